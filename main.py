"""PayLedger infrastructure synthesizer: the one entry for people, CI and the cdktf/cdk8s CLIs.

    python main.py synth      [--env ENV]... [--only kubernetes|terraform] [--catalog PATH]
    python main.py check      is the committed gitops_out/ what the code synthesizes now?
    python main.py validate   [--env ENV]...: schemas, CRDs and cross-object invariants of gitops_out/
    python main.py diff       [--base REF] [--env ENV]... [--format text|markdown]: what this change does
    python main.py set-image  SERVICE TAG --env ENV... | --all-envs: bump an image, then synth
    python main.py verify     --env ENV: is the deployed environment what the catalog asks for?

Exit codes: 0 ok, 1 a check failed, 2 bad input or usage. Progress goes to stderr (stdout under the
cdktf CLI, which calls anything on stderr an error); errors always go to stderr.
"""

from __future__ import annotations

import argparse
import atexit
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from cli.console import EXIT_BAD_INPUT, EXIT_FAILED, InputError, problem
from cli.read import check, diff, validate, verify
from cli.write import SIDES, set_image, synth

# The checkout: the commands resolve outputs, the lock and git revisions against it.
ROOT = Path(__file__).resolve().parent
# This checkout's lock and transaction journal (git-ignored): one synth at a time, none left half-done.
STATE_DIR = ROOT / ".payledger-synth"
# The commands that render through jsii (cdk8s, cdktf).
RENDERING = ("synth", "set-image", "check", "diff")

# jsii prints a multi-line banner on every start while Node.js 20 (end of life 2026-10-30) runs it;
# the value lists the silenced major versions. Upgrading Node removes the need.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


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
    sub.add_argument("--env", action="append", help="only this environment (repeatable; default: all)")
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
    if args.command in RENDERING:
        from speedups import provider as fast_provider

        fast_provider.enable()  # its kernel boots while the catalog loads
    from catalog import CatalogError, load_catalog
    from output.lock import LockTimeout
    from output.targets import UnsafeOutput

    try:
        args.root, args.state_dir = ROOT, STATE_DIR
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
    if fast_provider := sys.modules.get("speedups.provider"):
        fast_provider.wait()
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    exit_now(main())
