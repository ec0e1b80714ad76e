"""Both sides of a diff, per environment: the base revision against what this checkout makes now.

The base revision's Terraform is synthesized by its own code in a subprocess per environment, started
first so it runs while this checkout renders and synthesizes its own side.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from catalog import Catalog
from preview.changes import Change
from preview.kubernetes import object_changes
from preview.revision import RevisionError, export, files_at
from preview.terraform import stack_changes

__all__ = ["compare"]

# Outputs of the checkout that the base revision's synth does not need.
GENERATED = ("gitops_out", "docs/generated")


def compare(catalog: Catalog, env_names: Sequence[str] | None, *, checkout: Path, base: str, gitops_folder: str,
            kubernetes_files: Callable[[Catalog, Sequence[str]], Mapping[str, bytes]],
            local_backend: bool) -> list[Change]:
    """Every Kubernetes object and Terraform address of `env_names` that differs from `base`, environment
    by environment; None means every environment of either side (one the change removes included)."""
    from speedups import provider as fast_provider

    fast_provider.enable()  # before the first jsii binding (cdk8s, then cdktf) is imported
    before = files_at(checkout, base, gitops_folder)
    base_envs = sorted({path.split("/")[0] for path in before if "/" in path})
    if env_names is None:
        env_names = [*catalog.environments, *(name for name in base_envs if name not in catalog.environments)]
    with tempfile.TemporaryDirectory(prefix="payledger-diff-") as scratch:
        tree = export(checkout, base, Path(scratch) / "tree", exclude=GENERATED)
        base_out, current_out = Path(scratch) / "base", Path(scratch) / "current"
        running = {name: _start_synth(tree, name, base_out / name, local_backend)
                   for name in env_names if name in base_envs}
        try:
            after = kubernetes_files(catalog, [name for name in env_names if name in catalog.environments])
            _synthesize_current(catalog, env_names, current_out, local_backend)
            for name, process in running.items():
                _, errors = process.communicate()
                if process.returncode != 0:
                    last = (errors.strip().splitlines() or ["no message"])[-1]
                    raise RevisionError(f"--base {base}: its synth of {name} failed: {last}")
        finally:
            for process in running.values():
                process.kill()
                process.wait()
        found: list[Change] = []
        for name in env_names:  # Terraform first: fewer changes, and the ones a reviewer weighs most
            for stack in sorted(_stacks(base_out / name) | _stacks(current_out / name)):
                found += stack_changes(base_out / name, current_out / name, env=name, stack=stack)
            found += object_changes(before, after, name)
    return found


def _stacks(outdir: Path) -> set[str]:
    return {path.name for path in (outdir / "stacks").iterdir()} if (outdir / "stacks").is_dir() else set()


def _start_synth(tree: Path, env_name: str, out: Path, local_backend: bool) -> subprocess.Popen[str]:
    """The revision's own `main.py synth --only terraform --env ENV`; its code is imported from `tree`
    (the interpreter and packages are this checkout's)."""
    args = [sys.executable, str(tree / "main.py"), "synth", "--only", "terraform", "--env", env_name,
            "--tf-out", str(out)]
    if local_backend:
        args.append("--local-backend")
    env = {key: value for key, value in os.environ.items() if key not in ("CDKTF_OUTDIR", "CDK8S_OUTDIR")}
    env["PYTHONPATH"] = str(tree)
    return subprocess.Popen(args, cwd=tree, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _synthesize_current(catalog: Catalog, env_names: Sequence[str], out: Path, local_backend: bool) -> None:
    """This checkout's stacks, one folder per environment like the base side."""
    import infra_stacks

    for name in env_names:
        if name in catalog.environments:
            (out / name).parent.mkdir(parents=True, exist_ok=True)
            infra_stacks.synthesize(catalog, env_names=[name], outdir=out / name, local_backend=local_backend)
