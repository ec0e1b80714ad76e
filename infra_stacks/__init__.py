"""CDKTF side: one Terraform stack per environment (plus its state bootstrap) from the catalog.

The AWS provider bindings are imported by submodule inside this package only, so the cost of
loading them is paid once, by whoever synthesizes.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from cdktf import App, TerraformStack

from catalog import Catalog, naming
from infra_stacks.stack import EnvironmentStack
from infra_stacks.state import StateBootstrapStack

__all__ = ["build", "synthesize"]

# Set here, not in cdktf.json, so `cdktf synth` and `python main.py synth` write identical JSON.
CONTEXT = {"excludeStackIdFromLogicalIds": "true", "allowSepCharsInLogicalIds": "true"}


def build(catalog: Catalog, *, env_names: Iterable[str], outdir: Path,
          local_backend: bool) -> tuple[App, dict[str, TerraformStack]]:
    """The app and its stacks by name, before synthesis (tests assert on the stacks)."""
    # No stack traces: cdktf records a JavaScript one for every construct, for error messages only; they never
    # reach the JSON, and capturing them is about a tenth of a synth.
    app = App(outdir=str(outdir), context=CONTEXT, stack_traces=False)
    stacks: dict[str, TerraformStack] = {}
    for env_name in env_names:
        env = catalog.environments[env_name]
        stacks[naming.stack_name(env)] = EnvironmentStack(app, env=env, local_backend=local_backend)
        stacks[naming.state_stack_name(env)] = StateBootstrapStack(app, env=env)
    return app, stacks


def synthesize(catalog: Catalog, *, env_names: Iterable[str], outdir: Path, local_backend: bool) -> list[str]:
    """Write cdktf.out-style stacks under `outdir`; returns the stack names written."""
    app, stacks = build(catalog, env_names=env_names, outdir=outdir, local_backend=local_backend)
    app.synth()
    return list(stacks)
