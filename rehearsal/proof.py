"""What the rehearsal proves on the live (emulated) resources after the apply: the cross-side names,
and `main.py verify`'s AWS half run as an operator would run it, against the emulator."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from catalog.models import Environment
from operations import manifests, verify_aws
from rehearsal.crossside import EDGE_TYPES, cross_side

__all__ = ["VERIFY_NEEDS", "prove_cross_side", "run_verify", "verify_skips"]

ROOT = Path(__file__).resolve().parent.parent
# verify's AWS checks by the resource types each inspects: skipped when the emulator left such a resource out.
VERIFY_NEEDS = {
    "cluster": ("aws_eks_cluster",),
    "node-groups": ("aws_eks_node_group",),
    "database": ("aws_db_instance",),
    "redis": ("aws_elasticache_replication_group",),
    "buckets": ("aws_s3_bucket",),
    "waf": ("aws_wafv2_web_acl",),
    "waf-association": ("aws_lb", "aws_wafv2_web_acl", "aws_wafv2_web_acl_association"),
    "edge": ("aws_lb_target_group", *EDGE_TYPES),
}


def verify_skips(excluded: Mapping[str, str]) -> dict[str, str]:
    """verify's checks the rehearsal cannot answer, each with why."""
    skips = {}
    for check, kinds in VERIFY_NEEDS.items():
        address = next((a for a in sorted(excluded) if a.split(".", 1)[0] in kinds), None)
        if address:
            skips[check] = f"{address} {excluded[address]}"
    return skips


def prove_cross_side(env: Environment, url: str, gitops_out: Path, stack: Mapping[str, Any],
                     excluded: Mapping[str, str], progress: Callable[[str], None]) -> list[str]:
    """One line per name that is missing or misshapen; gaps and warnings go to `progress`."""
    names = manifests.aws_names(manifests.load(gitops_out, env.name))
    found = cross_side(verify_aws.connect(env, url), names, env.region, stack, excluded)
    for line in found.gaps:
        progress(f"cross-side {line}")
    progress(f"cross-side: {found.checked - len(found.failures) - len(found.gaps)} of {found.checked} names "
             f"proven, {len(found.gaps)} not checkable (emulator gaps)")
    return [f"cross-side {finding}" for finding in found.failures]


def run_verify(env: Environment, url: str, catalog: Path, gitops_out: Path, excluded: Mapping[str, str],
               progress: Callable[[str], None]) -> list[str]:
    """`main.py verify --only aws` against the emulator, in its own process as an operator runs it;
    one line per failed check (or its bad-input error)."""
    skips = verify_skips(excluded)
    for check, why in skips.items():
        progress(f"verify skips {check}: {why}")
    command = [sys.executable, str(ROOT / "main.py"), "verify", "--env", env.name, "--only", "aws",
               "--endpoint-url", url, "--catalog", str(catalog), "--out", str(gitops_out)]
    command += [argument for check in sorted(skips) for argument in ("--skip", check)]
    result = subprocess.run(command, cwd=ROOT, text=True, capture_output=True, check=False, timeout=300)
    summary = result.stderr.strip().splitlines()[-1:] if result.stderr.strip() else []
    progress(" ".join(summary))
    if result.returncode not in (0, 1):
        return [f"verify exited {result.returncode}: {' '.join(summary)}"]
    return [f"verify {line}" for line in result.stdout.splitlines()]
