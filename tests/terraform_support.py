"""Real Terraform on the synthesized stacks: init from the filesystem mirror and an offline plan, which
validates the configuration first (Terraform's docs: plan "includes an implied validation check"; a
separate `terraform validate` would load the provider's schema and walk every resource a second time).

The plans are ~70 s of CPU-bound work in provider processes; conftest starts them in the
background before the first test of a session that includes tests/test_terraform_integration.py,
so they run beside the rest of the suite instead of after it.

Locations: TERRAFORM_BIN (else `terraform` on PATH), TF_PLUGIN_MIRROR (else /opt/tf-plugins).
The plan's provider override (fake keys, no AWS calls) is written into a temporary copy only.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from background_support import BACKGROUND

TERRAFORM = os.environ.get("TERRAFORM_BIN") or shutil.which("terraform")
MIRROR = Path(os.environ.get("TF_PLUGIN_MIRROR", "/opt/tf-plugins"))
MISSING = (
    None if TERRAFORM and (MIRROR / "registry.terraform.io" / "hashicorp" / "aws").is_dir()
    else f"needs the terraform CLI (TERRAFORM_BIN or PATH: {TERRAFORM or 'not found'}) and the "
         f"hashicorp/aws filesystem mirror (TF_PLUGIN_MIRROR: {MIRROR})"
)

# Offline plan only: static fake credentials, and no call that would need real ones. The account
# guard is lifted because without an account lookup the provider cannot tell the account id.
OFFLINE_PROVIDER = {
    "access_key": "AKIAIOSFODNN7EXAMPLE",
    "secret_key": "offline-plan-not-a-real-key",
    "skip_credentials_validation": True,
    "skip_requesting_account_id": True,
    "skip_metadata_api_check": "true",
    "skip_region_validation": True,
    "allowed_account_ids": None,
}


def plan_override(stack: dict) -> dict:
    """The offline settings for every aws provider of the stack (an override block merges with the block of
    the same alias), and local state."""
    providers = [{**OFFLINE_PROVIDER, **({"alias": p["alias"]} if "alias" in p else {})}
                 for p in stack["provider"]["aws"]]
    return {"provider": {"aws": providers}, "terraform": {"backend": {"local": {}}}}


def terraform(workdir: Path, cli_config: Path, *args: str) -> str:
    env = {**os.environ, "TF_CLI_CONFIG_FILE": str(cli_config), "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
    result = subprocess.run([*BACKGROUND, TERRAFORM, f"-chdir={workdir}", *args, "-no-color"], env=env, text=True,
                            capture_output=True, timeout=600, check=False)
    if result.returncode != 0:
        raise AssertionError(f"terraform {' '.join(args)} in {workdir.name}:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def init_and_plan(source: Path, workdir: Path, cli_config: Path) -> str:
    """Plan a copy of the stack offline with the override (it replaces the provider's credentials and the
    backend, nothing a resource says); return the plan."""
    shutil.copytree(source, workdir)
    stack = json.loads((workdir / "cdk.tf.json").read_text(encoding="utf-8"))
    (workdir / "offline_override.tf.json").write_text(json.dumps(plan_override(stack)))
    terraform(workdir, cli_config, "init", "-input=false")
    return terraform(workdir, cli_config, "plan", "-input=false", "-lock=false", "-refresh=false")


def start_plans(stacks_dir: Path, names: list[str], workdir: Path,
                workers: int) -> tuple[ThreadPoolExecutor, dict[str, Future[str]]]:
    """The named stacks through Terraform in the background; the futures hold each plan's output."""
    (workdir / "plugin-cache").mkdir()
    cli_config = workdir / "terraform.rc"  # install from the mirror only; the cache links one copy per stack
    cli_config.write_text(f'plugin_cache_dir = "{workdir / "plugin-cache"}"\n'
                          f'provider_installation {{\n  filesystem_mirror {{\n    path = "{MIRROR}"\n  }}\n}}\n')
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="terraform")
    futures = {name: pool.submit(init_and_plan, stacks_dir / name, workdir / name, cli_config)
               for name in names}
    return pool, futures
