"""The commands that read: check (the drift gate), validate, diff and verify; none writes an output."""

from __future__ import annotations

import argparse
import datetime
import os
import sys
from pathlib import Path

from cli.console import EXIT_FAILED, EXIT_OK, InputError, capacity_warnings, progress, warning
from cli.write import FILE_SIDES, checkout_lock, display, kubernetes_files, rendered_files

__all__ = ["check", "diff", "validate", "verify"]


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
    env_names = args.env or list(catalog.environments)
    with checkout_lock(args, exclusive=False):
        report = validate_tree(out, kubernetes_versions=versions, crds=crds,
                               gitops_repo=catalog.project.gitops_repo_url, env_names=args.env)
    errors, warnings = kubernetes_support(catalog, datetime.date.today())  # at ("environments", name, ...)
    unsupported = [finding for finding in errors if finding.path[1] in env_names]
    aging = [finding for finding in warnings if finding.path[1] in env_names]
    for finding in aging:
        warning(finding, catalog.source)
    capacity_warnings(catalog, env_names)
    for finding in unsupported:
        print(finding.shown(catalog.source))
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
    if args.root not in gitops.parents:
        raise InputError(f"--out {args.out}: diff reads it from git, so it must be inside {args.root.name}")
    local = os.environ.get("PAYLEDGER_TF_BACKEND") == "local"
    try:
        changes = preview.compare(catalog, args.env, checkout=args.root, base=args.base,
                                  gitops_folder=gitops.relative_to(args.root).as_posix(),
                                  kubernetes_files=kubernetes_files, local_backend=local)
    except preview.RevisionError as error:
        raise InputError(str(error)) from None
    report = preview.markdown if args.format == "markdown" else preview.text
    sys.stdout.write(report(changes, args.base))
    if args.format == "markdown":  # the text report ends with it already
        progress(preview.summary(changes, args.base))
    return EXIT_FAILED if changes else EXIT_OK


def verify(catalog, args: argparse.Namespace) -> int:
    from operations.verify import verify as run_verify

    return run_verify(catalog, args)

