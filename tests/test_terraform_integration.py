"""Real Terraform and checkov on the synthesized stacks: init from the filesystem mirror, validate,
an offline plan, and the policy scan.

Locations: TERRAFORM_BIN (else `terraform` on PATH), TF_PLUGIN_MIRROR (else /opt/tf-plugins),
CHECKOV_BIN (else .venv-checkov/bin/checkov). Each test skips with the reason when its tool is absent.
The plan's provider override (fake keys, no AWS calls) is written into a temporary copy only.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from concurrent.futures import Future, ThreadPoolExecutor, wait
from pathlib import Path

import pytest
from checkov_support import CHECKOV, failed_and_passed, skips_with_reasons

ROOT = Path(__file__).resolve().parent.parent
TERRAFORM = os.environ.get("TERRAFORM_BIN") or shutil.which("terraform")
MIRROR = Path(os.environ.get("TF_PLUGIN_MIRROR", "/opt/tf-plugins"))
CHECKOV_CONFIG = ROOT / "policy" / "checkov-terraform.yaml"
STACKS = [f"payledger-{env}{suffix}" for env in ("dev", "staging", "prod") for suffix in ("", "-state")]

needs_terraform = pytest.mark.skipif(
    not TERRAFORM or not (MIRROR / "registry.terraform.io" / "hashicorp" / "aws").is_dir(),
    reason=f"needs the terraform CLI (TERRAFORM_BIN or PATH: {TERRAFORM or 'not found'}) and the "
           f"hashicorp/aws filesystem mirror (TF_PLUGIN_MIRROR: {MIRROR})",
)

# Offline plan only: static fake credentials, and no call that would need real ones. The account
# guard is lifted because without an account lookup the provider cannot tell the account id.
PLAN_OVERRIDE = {
    "provider": {"aws": [{
        "access_key": "AKIAIOSFODNN7EXAMPLE",
        "secret_key": "offline-plan-not-a-real-key",
        "skip_credentials_validation": True,
        "skip_requesting_account_id": True,
        "skip_metadata_api_check": "true",
        "skip_region_validation": True,
        "allowed_account_ids": None,
    }]},
    "terraform": {"backend": {"local": {}}},
}


def terraform(workdir: Path, cli_config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TF_CLI_CONFIG_FILE": str(cli_config), "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
    result = subprocess.run([TERRAFORM, f"-chdir={workdir}", *args, "-no-color"], env=env, text=True,
                            capture_output=True, timeout=600, check=False)
    assert result.returncode == 0, f"terraform {' '.join(args)} in {workdir.name}:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def cli_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Install from the mirror only; the plugin cache links one copy into every working dir."""
    folder = tmp_path_factory.mktemp("terraform")
    (folder / "plugin-cache").mkdir()
    path = folder / "terraform.rc"
    path.write_text(f'plugin_cache_dir = "{folder / "plugin-cache"}"\n'
                    f'provider_installation {{\n  filesystem_mirror {{\n    path = "{MIRROR}"\n  }}\n}}\n')
    return path


def init_validate_plan(source: Path, workdir: Path, cli_config: Path) -> str:
    """Validate a copy of the stack as synthesized, then plan it offline with the override; return the plan."""
    shutil.copytree(source, workdir)
    terraform(workdir, cli_config, "init", "-backend=false", "-input=false")
    terraform(workdir, cli_config, "validate")  # the output exactly as synthesized
    (workdir / "offline_override.tf.json").write_text(json.dumps(PLAN_OVERRIDE))
    terraform(workdir, cli_config, "init", "-input=false")
    return terraform(workdir, cli_config, "plan", "-input=false", "-lock=false", "-refresh=false").stdout


@pytest.fixture(scope="module")
def plans(infra, cli_config: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Future[str]]:
    """Every stack through Terraform, two at a time: each run is one CPU-bound provider process."""
    workdir = tmp_path_factory.mktemp("plans")
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(init_validate_plan, infra.outdir / "stacks" / name, workdir / name, cli_config)
                   for name in STACKS}
        wait(futures.values())
    return futures


@needs_terraform
@pytest.mark.parametrize("stack_name", STACKS)
def test_init_validate_and_offline_plan(infra, plans: dict[str, Future[str]], stack_name: str) -> None:
    source = infra.outdir / "stacks" / stack_name
    assert (source / "cdk.tf.json").is_file()
    plan = plans[stack_name].result()
    summary = re.search(r"Plan: (\d+) to add, (\d+) to change, (\d+) to destroy", plan)
    assert summary, plan[-2000:]
    assert int(summary.group(1)) > 0 and summary.group(2, 3) == ("0", "0")
    assert "Warning:" not in plan, plan
    assert not (source / "offline_override.tf.json").exists(), "override leaked into the synthesized output"


def test_checkov_skips_are_few_and_explained() -> None:
    assert 0 < len(skips_with_reasons(CHECKOV_CONFIG, r"CKV2?_AWS_\d+")) <= 5


@pytest.mark.skipif(not CHECKOV.is_file(), reason=f"checkov not installed at {CHECKOV} (make test installs it)")
def test_checkov_reports_no_failed_check(infra) -> None:
    failed, passed = failed_and_passed(infra.outdir, "terraform_json", CHECKOV_CONFIG)
    assert not failed, "\n".join(failed)
    assert passed > 500, "checkov scanned almost nothing: did the output folder move?"
