"""`main.py verify`: the post-deploy check of one environment, AWS side and cluster side.

One line per failed check on stdout, a summary on stderr; exit 0 when everything passed, 1 on any
failed check, 2 on bad input or no way in (one line, no traceback).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from catalog import Catalog
from operations import manifests, verify_aws, verify_cluster
from operations.findings import AccessError, Finding

__all__ = ["CHECK_NAMES", "verify"]

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2
CHECK_NAMES = (*verify_aws.CHECKS, *verify_cluster.CHECKS)


def _aws(env, docs, args: argparse.Namespace) -> list[Finding]:
    client = verify_aws.connect(env, args.endpoint_url)
    return verify_aws.findings(client, env, manifests.aws_names(docs).buckets, skip=args.skip)


def _cluster(docs, args: argparse.Namespace) -> list[Finding]:
    expected = manifests.expected_objects(docs)
    api = verify_cluster.connect(args.kubeconfig, args.context)
    live = verify_cluster.read_live(api, {namespace for namespace, _ in expected.applications} or {"argocd"})
    return verify_cluster.findings(live, expected, skip=args.skip)


def _bad_input(catalog: Catalog, args: argparse.Namespace) -> str | None:
    """main.py has refused unknown environments already."""
    if len(args.env) != 1:
        return f"--env {', '.join(args.env)}: verify checks one environment at a time"
    unknown = sorted(set(args.skip) - set(CHECK_NAMES))
    if unknown:
        return f"--skip {', '.join(unknown)}: no such check (known: {', '.join(CHECK_NAMES)})"
    return None


def _run(catalog: Catalog, args: argparse.Namespace) -> list[Finding]:
    (env_name,) = args.env
    docs = manifests.load(Path(args.out), env_name)
    env = catalog.environments[env_name]
    findings = [] if args.only == "kubernetes" else _aws(env, docs, args)
    return findings + ([] if args.only == "aws" else _cluster(docs, args))


def verify(catalog: Catalog, args: argparse.Namespace) -> int:
    args.skip = args.skip or []
    problem = _bad_input(catalog, args)
    findings: list[Finding] = []
    if problem is None:
        try:
            findings = _run(catalog, args)
        except (AccessError, FileNotFoundError) as error:
            problem = str(error)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    failed = [finding for finding in findings if not finding.ok]
    for finding in failed:
        print(finding)
    skipped = f"; skipped: {', '.join(sorted(args.skip))}" if args.skip else ""
    print(f"verify {args.env[0]}: {len(findings) - len(failed)} of {len(findings)} checks passed, "
          f"{len(failed)} failed{skipped}", file=sys.stderr)
    return EXIT_FAILED if failed else EXIT_OK
