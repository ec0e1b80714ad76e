"""The commands that write: synth, and set-image (an edit of the catalog, then synth).

Every file side is rendered in memory first; the trees are swapped in at once under the checkout's lock
(output.transaction), so a reader or a killed run never sees half of a synth.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import re
from collections.abc import Sequence
from pathlib import Path

from cli.console import EXIT_OK, InputError, capacity_warnings, progress

__all__ = ["FILE_SIDES", "SIDES", "checkout_lock", "display", "kubernetes_files", "rendered_files", "set_image",
           "synth"]

SIDES = ("kubernetes", "terraform", "docs")
# Sides rendered in memory and written as a tree of files (the Terraform side is written by cdktf).
FILE_SIDES = ("kubernetes", "docs")


def kubernetes_files(catalog, env_names: Sequence[str]) -> dict[str, bytes]:
    """Every file of gitops_out/ for `env_names`, rendered in memory (nothing touches disk)."""
    from k8s_charts import bootstrap_values, build_environment, manifests_by_folder
    from k8s_charts.manifest import render_with_cdk8s
    from output.render import render_documents, render_folders
    from speedups import fast_render

    render = fast_render.renderer(render_with_cdk8s)
    files: dict[str, bytes] = {}
    for name in env_names:
        env = catalog.environments[name]
        rendered = render_folders(manifests_by_folder(build_environment(catalog, env), render))
        progress(f"kubernetes: {name}: {len(rendered)} objects")
        rendered |= render_documents(bootstrap_values(env))
        files.update({f"{name}/{path}": content for path, content in rendered.items()})
    return files


def rendered_files(catalog, side: str, env_names: Sequence[str]) -> dict[str, bytes]:
    """One file side in memory: gitops_out/ (kubernetes) or docs/generated/ (docs)."""
    if side == "docs":
        from documentation import documentation_files

        return documentation_files(catalog, list(env_names))
    return kubernetes_files(catalog, env_names)


def synth(catalog, args: argparse.Namespace, sides: Sequence[str] = ()) -> int:
    """Render everything in memory and into staging folders, then replace every output tree at once."""
    from output.transaction import Transaction, carry_over, recover, staged_file_writer
    from speedups import provider as fast_provider

    outputs = checked_outputs(args)
    fast_provider.enable()  # before the first jsii binding is imported: it also starts the kernel

    env_names = args.env or list(catalog.environments)
    capacity_warnings(catalog, env_names)
    sides = sides or ([args.only] if args.only else list(SIDES))
    cli_outdir = os.environ.get("CDKTF_OUTDIR")  # driven by `cdktf synth/deploy`: the CLI owns that folder
    targets = {side: outputs[side] for side in sides if not (side == "terraform" and cli_outdir)}
    trees = {side: rendered_files(catalog, side, env_names) for side in FILE_SIDES if side in sides}
    stacks: list[str] = []
    with checkout_lock(args, exclusive=True):
        recover(args.state_dir, targets.values())
        with Transaction(args.state_dir, targets) as staging:
            for side, files in trees.items():
                if args.env:
                    carry_over(targets[side], staging[side], regenerated=env_names)
                write = staged_file_writer(targets[side], staging[side])
                for relative, content in files.items():
                    write(relative, content)
            if "terraform" in sides:
                stacks = terraform_stacks(catalog, args, env_names, Path(cli_outdir) if cli_outdir else
                                          staging["terraform"])
    for side, files in trees.items():
        progress(f"{side}: wrote {len(files)} files to {display(args, side)}")
    if "terraform" in sides:
        progress(f"terraform: wrote {', '.join(stacks)} to {cli_outdir or args.tf_out}")
    return EXIT_OK


def set_image(catalog, args: argparse.Namespace) -> int:
    """Set a service's image tag in platform.yaml for some environments, then synthesize their files (the
    tag never reaches Terraform): the edit and its output under one hold of the checkout's lock."""
    from catalog import load_catalog
    from catalog.fields import IMAGE_TAG
    from catalog.image_tags import EditError, set_image_tag
    from catalog.yaml_source import read_text
    from output.transaction import replace_file

    services = catalog.environments[next(iter(catalog.environments))].services
    if args.service not in services:
        raise InputError(f"{args.service}: not a service in {args.catalog} (known: {', '.join(services)})")
    if not IMAGE_TAG.fullmatch(args.tag):
        raise InputError(f"{args.tag!r}: not a valid OCI image tag (1 to 128 of A-Z a-z 0-9 _ . -, "
                         "not starting with . or -)")
    env_names = list(catalog.environments) if args.all_envs else args.env
    path = Path(args.catalog)
    checked_outputs(args)  # refused before the catalog is touched, not after
    with checkout_lock(args, exclusive=True):
        current = load_catalog(path, display_name=args.catalog)
        changing = [name for name in env_names if current.environments[name].services[args.service].image_tag
                    != args.tag]
        if not changing:
            progress(f"set-image: {args.service} already runs {args.tag} in {', '.join(env_names)}")
            return EXIT_OK
        try:
            edited = set_image_tag(read_text(path), service=args.service, tag=args.tag, env_names=changing,
                                   source=args.catalog)
        except EditError as error:
            raise InputError(str(error)) from None
        updated = load_catalog(path, display_name=args.catalog, text=edited)  # refused: nothing written
        replace_file(path, edited.encode("utf-8"))
        progress(f"set-image: {args.service} runs {args.tag} in {', '.join(changing)} ({args.catalog})")
        args.env = changing
        return synth(updated, args, FILE_SIDES)  # an image tag never reaches the Terraform side


def terraform_stacks(catalog, args: argparse.Namespace, env_names: Sequence[str], outdir: Path) -> list[str]:
    """Synthesize into `outdir`; a Node.js system error while writing (disk full) becomes the OSError it is."""
    import infra_stacks

    local = args.local_backend or os.environ.get("PAYLEDGER_TF_BACKEND") == "local"
    try:
        return infra_stacks.synthesize(catalog, env_names=env_names, outdir=outdir, local_backend=local)
    except RuntimeError as error:  # jsii reports Node's `Error: ENOSPC: no space left on device, write`
        found = re.search(r"\b(E[A-Z]+): ([^,\n]+)", str(error))
        if found and isinstance(getattr(errno, found[1], None), int):
            raise OSError(getattr(errno, found[1]), found[2], str(outdir)) from None
        raise


def checked_outputs(args: argparse.Namespace) -> dict[str, Path]:
    """Both output folders by side, refused (exit 2) unless each is this tool's own and they do not overlap."""
    from output.targets import safe_outputs

    options = {"--out": ("kubernetes", Path(os.environ.get("CDK8S_OUTDIR") or args.out))}
    options["--docs-out"] = ("docs", Path(args.docs_out))
    if getattr(args, "tf_out", None):
        options["--tf-out"] = ("terraform", Path(args.tf_out))
    real = safe_outputs(options, checkout=args.root)
    return {options[option][0]: path for option, path in real.items()}


def display(args: argparse.Namespace, side: str) -> str:
    if side == "terraform":
        return args.tf_out
    return os.environ.get("CDK8S_OUTDIR") or args.out if side == "kubernetes" else args.docs_out


@contextlib.contextmanager
def checkout_lock(args: argparse.Namespace, *, exclusive: bool):
    """The checkout's lock; a reader first lets a killed writer's transaction finish."""
    from output import lock, transaction

    def waiting(holder: str) -> None:
        progress(f"{args.command}: waiting for {holder} to finish")

    if not exclusive and transaction.pending(args.state_dir):
        with lock.checkout_lock(args.state_dir, exclusive=True, timeout=args.wait, waiting=waiting):
            transaction.recover(args.state_dir)
    with lock.checkout_lock(args.state_dir, exclusive=exclusive, timeout=args.wait, waiting=waiting):
        yield

