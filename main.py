"""PayLedger infrastructure synthesizer: the one entry for people, CI and the cdktf/cdk8s CLIs.

    python main.py synth      [--env ENV]... [--only kubernetes|terraform] [--catalog PATH]
    python main.py check      is the committed gitops_out/ what the code synthesizes now?
    python main.py validate   schemas, CRDs and cross-object invariants of gitops_out/
    python main.py verify     --env ENV: is the deployed environment what the catalog asks for?

Exit codes: 0 ok, 1 a check failed, 2 bad input or usage. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import atexit
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

ROOT = Path(__file__).resolve().parent
EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2
SIDES = ("kubernetes", "terraform")

# jsii prints a multi-line banner on every start while Node.js 20 (end of life 2026-10-30) runs it;
# the value lists the silenced major versions. Upgrading Node removes the need.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class InputError(Exception):
    """Bad input detected by the CLI itself; reported as one line, exit code 2."""


def kubernetes_files(catalog, env_names: Sequence[str]) -> dict[str, bytes]:
    """Every file of gitops_out/ for `env_names`, rendered in memory (nothing touches disk)."""
    from k8s_charts import build_environment, manifests_by_folder
    from synthesis import fast_render
    from synthesis.output import render_folders

    render = fast_render.renderer()
    files: dict[str, bytes] = {}
    for name in env_names:
        folders = manifests_by_folder(build_environment(catalog, catalog.environments[name]), render)
        rendered = render_folders(folders)
        progress(f"kubernetes: {name}: {len(rendered)} objects")
        files.update({f"{name}/{path}": content for path, content in rendered.items()})
    return files


def synth(catalog, args: argparse.Namespace) -> int:
    from synthesis import fast_provider
    from synthesis.output import replace_tree

    fast_provider.enable()  # before the first jsii binding is imported: it also starts the kernel

    env_names = args.env or list(catalog.environments)
    sides = [args.only] if args.only else list(SIDES)
    if "kubernetes" in sides:
        out = Path(os.environ.get("CDK8S_OUTDIR") or args.out)
        files = kubernetes_files(catalog, env_names)
        replace_tree(out, files, replaced_subdirs=env_names if args.env else None)
        progress(f"kubernetes: wrote {len(files)} files to {args.out}")
    if "terraform" in sides:
        import infra_stacks

        local = args.local_backend or os.environ.get("PAYLEDGER_TF_BACKEND") == "local"
        cli_outdir = os.environ.get("CDKTF_OUTDIR")
        if cli_outdir:  # driven by `cdktf synth/deploy`: the CLI owns its output folder
            stacks = infra_stacks.synthesize(catalog, env_names=env_names, outdir=Path(cli_outdir), local_backend=local)
        else:
            stacks = []
            replace_tree(
                Path(args.tf_out),
                {},
                fill=lambda staging: stacks.extend(
                    infra_stacks.synthesize(catalog, env_names=env_names, outdir=staging, local_backend=local)
                ),
            )
        progress(f"terraform: wrote {', '.join(stacks)} to {cli_outdir or args.tf_out}")
    return EXIT_OK


def check(catalog, args: argparse.Namespace) -> int:
    from synthesis import fast_provider
    from synthesis.output import diff_tree, read_tree

    fast_provider.enable()
    expected = kubernetes_files(catalog, list(catalog.environments))
    difference = diff_tree(expected, read_tree(Path(args.out)))
    if difference:
        print("\n".join(difference.lines()))
        progress(f"check: {args.out} is out of date; run `make synth` and commit the result")
        return EXIT_FAILED
    progress(f"check: {args.out} matches the catalog ({len(expected)} files)")
    return EXIT_OK


def validate(catalog, args: argparse.Namespace) -> int:
    from synthesis.validate import CrdSchemas, validate_tree

    out = Path(args.out)
    if not out.is_dir():
        raise InputError(f"{args.out}: no such folder; run `python main.py synth` first")
    crds = None
    if args.crd_dir:
        if not Path(args.crd_dir).is_dir():
            raise InputError(f"--crd-dir {args.crd_dir}: no such folder")
        crds = CrdSchemas(Path(args.crd_dir))
    versions = {name: env.kubernetes_version for name, env in catalog.environments.items()}
    report = validate_tree(out, kubernetes_versions=versions, crds=crds)
    for finding in report.findings:
        print(finding)
    progress(
        f"validate: {report.builtin_checked} built-in and {report.custom_checked} custom objects checked, "
        f"{len(report.findings)} problems"
    )
    return EXIT_FAILED if report.findings else EXIT_OK


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
        return sub

    sub = command("synth", synth, "Synthesize Terraform JSON (cdktf.out/) and Kubernetes YAML (gitops_out/).")
    sub.add_argument("--env", action="append", help="only this environment (repeatable; default: all)")
    sub.add_argument("--only", choices=SIDES, help="only one side")
    sub.add_argument("--tf-out", default="cdktf.out", help="Terraform output folder (default: cdktf.out)")
    sub.add_argument("--local-backend", action="store_true",
                     help="local Terraform state instead of S3 (also PAYLEDGER_TF_BACKEND=local)")
    command("check", check, "Exit 1 and list the files that differ when gitops_out/ is not what synth makes now.")
    sub = command("validate", validate, "Validate every object under gitops_out/ (schemas, CRDs, invariants).")
    sub.add_argument("--crd-dir", help="folder of CustomResourceDefinition YAML files for custom resources")
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

    try:
        catalog = load_catalog(Path(args.catalog), display_name=args.catalog)
        unknown = sorted(set(getattr(args, "env", None) or ()) - set(catalog.environments))
        if unknown:
            raise InputError(f"--env {', '.join(unknown)}: not in {args.catalog} "
                             f"(known: {', '.join(catalog.environments)})")
        return args.handler(catalog, args)
    except CatalogError as error:
        for problem in error.problems:
            progress(str(problem))
        return EXIT_BAD_INPUT
    except InputError as error:
        progress(f"error: {error}")
        return EXIT_BAD_INPUT


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
