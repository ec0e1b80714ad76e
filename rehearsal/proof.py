"""What the rehearsal proves on the live (emulated) resources after the apply: the cross-side names,
and `main.py verify`'s AWS half run as an operator would run it, against the emulator."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from catalog.models import Environment
from operations import manifests, verify_aws
from rehearsal.crossside import CrossSide, cross_side

__all__ = ["ALWAYS_SKIPPED", "VERIFY_NEEDS", "prove_cross_side", "run_verify", "verify_skips"]

ROOT = Path(__file__).resolve().parent.parent
# verify's AWS checks by the resource type each inspects: skipped when the emulator left such a resource out.
VERIFY_NEEDS = {
    "cluster": "aws_eks_cluster",
    "node-groups": "aws_eks_node_group",
    "database": "aws_db_instance",
    "redis": "aws_elasticache_replication_group",
    "buckets": "aws_s3_bucket",
    "waf": "aws_wafv2_web_acl",
}
ALWAYS_SKIPPED = {
    "waf-association": "the load balancer is created in the cluster (and the emulator has no ListResourcesForWebACL)",
}


def verify_skips(excluded: Mapping[str, str]) -> dict[str, str]:
    """verify's checks the rehearsal cannot answer, each with why."""
    skips = dict(ALWAYS_SKIPPED)
    for check, kind in VERIFY_NEEDS.items():
        address = next((a for a in sorted(excluded) if a.split(".", 1)[0] == kind), None)
        if address:
            skips[check] = f"{address} {excluded[address]}"
    return skips


def prove_cross_side(env: Environment, url: str, gitops_out: Path, stack: Mapping[str, Any],
                     excluded: Mapping[str, str]) -> CrossSide:
    names = manifests.aws_names(manifests.load(gitops_out, env.name))
    return cross_side(verify_aws.connect(env, url), names, env.region, stack, excluded)


def run_verify(env: Environment, url: str, catalog: Path, gitops_out: Path,
               skips: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    """`main.py verify --only aws` against the emulator, in its own process as a user runs it."""
    command = [sys.executable, str(ROOT / "main.py"), "verify", "--env", env.name, "--only", "aws",
               "--endpoint-url", url, "--catalog", str(catalog), "--out", str(gitops_out)]
    command += [argument for check in sorted(skips) for argument in ("--skip", check)]
    return subprocess.run(command, cwd=ROOT, text=True, capture_output=True, check=False, timeout=300)
