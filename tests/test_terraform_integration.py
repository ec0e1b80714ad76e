"""Real Terraform and checkov on the synthesized stacks: init from the filesystem mirror,
an offline plan that validates first (tests/terraform_support.py; started early by conftest), and the policy scan.

CHECKOV_BIN (else .venv-checkov/bin/checkov) locates checkov. Each test skips with the reason when
its tool is absent.
"""

from __future__ import annotations

import re
from concurrent.futures import Future

import pytest
from catalog_params import STACKS
from checkov_support import CHECKOV, CONFIGS, failed_and_passed, skips_with_reasons
from terraform_support import MISSING

needs_terraform = pytest.mark.skipif(MISSING is not None, reason=MISSING or "")


@needs_terraform
@pytest.mark.parametrize("stack_name", STACKS)
def test_init_and_offline_plan(infra, terraform_plans: dict[str, Future[str]], stack_name: str) -> None:
    source = infra.outdir / "stacks" / stack_name
    assert (source / "cdk.tf.json").is_file()
    plan = terraform_plans[stack_name].result()
    summary = re.search(r"Plan: (\d+) to add, (\d+) to change, (\d+) to destroy", plan)
    assert summary, plan[-2000:]
    assert int(summary.group(1)) > 0 and summary.group(2, 3) == ("0", "0")
    assert "Warning:" not in plan, plan
    # Known at plan time, and different for each deployment: the time of the plan that creates the instance.
    snapshots = re.findall(r'final_snapshot_identifier\s+= "([^"]+)"', plan)
    assert len(snapshots) == len(infra.json(stack_name).get("resource", {}).get("aws_db_instance", {}))
    assert all(re.fullmatch(r"[a-z][a-z0-9-]*-postgres-final-\d{14}", name) for name in snapshots), snapshots
    assert not (source / "offline_override.tf.json").exists(), "override leaked into the synthesized output"


def test_checkov_skips_are_few_and_explained() -> None:
    assert 0 < len(skips_with_reasons(CONFIGS["terraform_json"], r"CKV2?_AWS_\d+")) <= 7


@pytest.mark.skipif(not CHECKOV.is_file(), reason=f"checkov not installed at {CHECKOV} (make test installs it)")
def test_checkov_reports_no_failed_check(checkov_scans) -> None:
    failed, passed = failed_and_passed(checkov_scans["terraform_json"])
    assert not failed, "\n".join(failed)
    assert passed > 500, "checkov scanned almost nothing: did the output folder move?"
