"""PayLedger infrastructure synthesizer: the one entry for people, CI and the cdktf/cdk8s CLIs.

    python main.py synth      [--env ENV]... [--only kubernetes|terraform] [--catalog PATH]
    python main.py check      is the committed gitops_out/ what the code synthesizes now?
    python main.py validate   schemas, CRDs and cross-object invariants of gitops_out/
    python main.py diff       [--base REF] [--env ENV]... [--format text|markdown]: what this change does
    python main.py set-image  SERVICE TAG --env ENV... | --all-envs: bump an image, then synth
    python main.py verify     --env ENV: is the deployed environment what the catalog asks for?

Exit codes: 0 ok, 1 a check failed, 2 bad input or usage. Progress goes to stderr (stdout under the
cdktf CLI, which calls anything on stderr an error); errors always go to stderr.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import datetime
import errno
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

ROOT = Path(__file__).resolve().parent
# This checkout's lock and transaction journal (git-ignored): one synth at a time, none left half-done.
STATE_DIR = ROOT / ".payledger-synth"
EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2
SIDES = ("kubernetes", "terraform", "docs")
# Sides rendered in memory and written as a tree of files (the Terraform side is written by cdktf).
FILE_SIDES = ("kubernetes", "docs")

# jsii prints a multi-line banner on every start while Node.js 20 (end of life 2026-10-30) runs it;
# the value lists the silenced major versions. Upgrading Node removes the need.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


def progress(message: str) -> None:
    """A progress line: on stderr, except under `cdktf synth/deploy`, which labels every line an app writes
    on stderr `[ERROR]` and echoes its stdout as is (@cdktf/commons shell())."""
    print(message, file=sys.stdout if os.environ.get("CDKTF_OUTDIR") else sys.stderr, flush=True)


def problem(message: str) -> None:
    """An error or a warning: always on stderr."""
    print(message, file=sys.stderr, flush=True)


class InputError(Exception):
    """Bad input detected by the CLI itself; reported as one line, exit code 2."""


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
        recover(STATE_DIR, targets.values())
        with Transaction(STATE_DIR, targets) as staging:
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


def capacity_warnings(catalog, env_names: Sequence[str]) -> None:
    """Environments whose pods fit their node groups with little to spare: a warning each, never a failure
    (catalog.rules.capacity refuses those that do not fit when the catalog loads)."""
    from catalog.rules import low_headroom

    for finding in low_headroom(catalog, list(env_names)):
        problem(f"warning: {catalog.source}: {'.'.join(finding.path)}: {finding.message}")


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
    real = safe_outputs(options, checkout=ROOT)
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

    if not exclusive and transaction.pending(STATE_DIR):
        with lock.checkout_lock(STATE_DIR, exclusive=True, timeout=args.wait, waiting=waiting):
            transaction.recover(STATE_DIR)
    with lock.checkout_lock(STATE_DIR, exclusive=exclusive, timeout=args.wait, waiting=waiting):
        yield


def check(catalog, args: argparse.Namespace) -> int:
    from output.transaction import MARKER, marker_content
    from output.tree import diff_tree
    from speedups import provider as fast_provider

    fast_provider.enable()
    failed = False
    for side in FILE_SIDES:
        expected = {MARKER: marker_content(side), **rendered_files(catalog, side, list(catalog.environments))}
        where = display(args, side)
        out = Path(where)
        with checkout_lock(args, exclusive=False):
            difference = None if out.is_symlink() or not out.is_dir() else diff_tree(expected, out)
        if difference is None:
            progress(f"check: {where} is missing (or not a folder); run `make synth` and commit the result")
        elif difference:
            print("\n".join(difference.lines(where)))
            progress(f"check: {where} is out of date; run `make synth` and commit the result")
        else:
            progress(f"check: {where} matches the catalog ({len(expected)} files)")
        failed = failed or difference is None or bool(difference)
    return EXIT_FAILED if failed else EXIT_OK


def validate(catalog, args: argparse.Namespace) -> int:
    """Schemas, CRDs and invariants of gitops_out/, whether EKS still supports each environment's Kubernetes
    version today (the only command that reads the clock; synth never does), and capacity headroom."""
    from catalog.rules import kubernetes_support
    from validation import CrdSchemas, validate_tree

    out = Path(args.out)
    if not out.is_dir():
        raise InputError(f"{args.out}: no such folder; run `python main.py synth` first")
    crds = None
    if args.crd_dir:
        if not Path(args.crd_dir).is_dir():
            raise InputError(f"--crd-dir {args.crd_dir}: no such folder")
        crds = CrdSchemas(Path(args.crd_dir))
    versions = {name: env.kubernetes_version for name, env in catalog.environments.items()}
    with checkout_lock(args, exclusive=False):
        report = validate_tree(out, kubernetes_versions=versions, crds=crds,
                               gitops_repo=catalog.project.gitops_repo_url)
    unsupported, aging = kubernetes_support(catalog, datetime.date.today())
    for finding in aging:
        problem(f"warning: {catalog.source}: {'.'.join(finding.path)}: {finding.message}")
    capacity_warnings(catalog, list(catalog.environments))
    for finding in unsupported:
        print(f"{catalog.source}: {'.'.join(finding.path)}: {finding.message}")
    for finding in report.findings:
        print(finding)
    problems = len(report.findings) + len(unsupported)
    progress(
        f"validate: {report.builtin_checked} built-in and {report.custom_checked} custom objects checked, "
        f"Kubernetes versions against the EKS support calendar, {problems} problems"
    )
    return EXIT_FAILED if problems else EXIT_OK


def diff(catalog, args: argparse.Namespace) -> int:
    """What this checkout's synth changes against --base: Kubernetes objects and Terraform addresses."""
    import preview

    gitops = Path(args.out).resolve()
    if ROOT not in gitops.parents:
        raise InputError(f"--out {args.out}: diff reads it from git, so it must be inside {ROOT.name}")
    local = os.environ.get("PAYLEDGER_TF_BACKEND") == "local"
    try:
        changes = preview.compare(catalog, args.env, checkout=ROOT, base=args.base,
                                  gitops_folder=gitops.relative_to(ROOT).as_posix(),
                                  kubernetes_files=kubernetes_files, local_backend=local)
    except preview.RevisionError as error:
        raise InputError(str(error)) from None
    report = preview.markdown if args.format == "markdown" else preview.text
    sys.stdout.write(report(changes, args.base))
    if args.format == "markdown":  # the text report ends with it already
        progress(preview.summary(changes, args.base))
    return EXIT_FAILED if changes else EXIT_OK


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


def verify(catalog, args: argparse.Namespace) -> int:
    from operations.verify import verify as run_verify

    return run_verify(catalog, args)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="main.py", description=__doc__.split("\n\n")[0])
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, handler, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(handler=handler)
        sub.add_argument("--catalog", default="platform.yaml", help="catalog file (default: platform.yaml)")
        sub.add_argument("--out", default="gitops_out", help="GitOps output folder (default: gitops_out)")
        sub.add_argument("--docs-out", default="docs/generated",
                         help="generated documentation folder (default: docs/generated)")
        sub.add_argument("--wait", type=float, default=60, metavar="SECONDS",
                         help="how long to wait for another synth on this checkout (default: 60)")
        return sub

    sub = command("synth", synth, "Synthesize Terraform JSON (cdktf.out/) and Kubernetes YAML (gitops_out/).")
    sub.add_argument("--env", action="append", help="only this environment (repeatable; default: all)")
    sub.add_argument("--only", choices=SIDES, help="only one side")
    sub.add_argument("--tf-out", default="cdktf.out", help="Terraform output folder (default: cdktf.out)")
    sub.add_argument("--local-backend", action="store_true",
                     help="local Terraform state instead of S3 (also PAYLEDGER_TF_BACKEND=local)")
    sub = command("set-image", set_image, "Set a service's image tag in platform.yaml for some environments "
                  "(comments and layout kept), then synthesize them.")
    sub.add_argument("service", help="the service, as named under `services` in the catalog")
    sub.add_argument("tag", help="the image tag (OCI: up to 128 of A-Z a-z 0-9 _ . -)")
    which = sub.add_mutually_exclusive_group(required=True)
    which.add_argument("--env", action="append", help="this environment (repeatable)")
    which.add_argument("--all-envs", action="store_true", help="every environment")
    command("check", check, "Exit 1 and list the files that differ when gitops_out/ is not what synth makes now.")
    sub = command("validate", validate, "Validate every object under gitops_out/ (schemas, CRDs, invariants).")
    sub.add_argument("--crd-dir", help="folder of CustomResourceDefinition YAML files for custom resources")
    sub = command("diff", diff, "Show what this change does against a git revision, per object and address "
                  "(exit 1 when anything changes).")
    sub.add_argument("--base", default="HEAD", help="the git revision to compare with (default: HEAD)")
    sub.add_argument("--env", action="append", help="only this environment (repeatable; default: all)")
    sub.add_argument("--format", choices=("text", "markdown"), default="text",
                     help="text for a terminal, markdown for a pull-request comment (default: text)")
    sub = command("verify", verify, "Post-deploy check of one environment: AWS (boto3) and the cluster (kubeconfig).")
    sub.add_argument("--env", action="append", required=True, help="the environment to check")
    sub.add_argument("--endpoint-url", help="AWS endpoint (e.g. a local emulator) instead of AWS")
    sub.add_argument("--kubeconfig", help="kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)")
    sub.add_argument("--context", help="kubeconfig context (default: the current one)")
    sub.add_argument("--only", choices=("aws", "kubernetes"), help="only one side")
    sub.add_argument("--skip", action="append", metavar="CHECK", help="leave out one check (repeatable)")
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    from catalog import CatalogError, load_catalog
    from output.lock import LockTimeout
    from output.targets import UnsafeOutput

    try:
        catalog = load_catalog(Path(args.catalog), display_name=args.catalog)
        unknown = sorted(set(getattr(args, "env", None) or ()) - set(catalog.environments))
        if unknown:
            raise InputError(f"--env {', '.join(unknown)}: not in {args.catalog} "
                             f"(known: {', '.join(catalog.environments)})")
        return args.handler(catalog, args)
    except CatalogError as error:
        for found in error.problems:
            problem(str(found))
        return EXIT_BAD_INPUT
    except (InputError, UnsafeOutput, LockTimeout) as error:
        problem(f"error: {error}")
        return EXIT_BAD_INPUT
    except OSError as error:  # disk full, permissions: nothing was replaced (output.transaction)
        where = f"cannot write {error.filename}" if error.filename else "cannot write the output"
        problem(f"error: {where}: {error.strerror or error}; the previous output is unchanged")
        return EXIT_FAILED


def exit_now(code: int) -> NoReturn:
    """Exit without the interpreter's teardown, after the exit handlers (jsii stops its kernel and
    removes its temporary folder). Freeing the objects a large synth leaves behind one by one takes
    over a second at 550 services; the operating system reclaims the memory at once."""
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    exit_now(main())
