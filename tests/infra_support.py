"""Synthesizes every Terraform stack once per test session (the AWS bindings load once).

Imported lazily by the `infra` fixture so test runs that never touch Terraform stay fast.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from catalog import Catalog


@dataclass
class InfraSynth:
    outdir: Path
    stacks: dict[str, Any]
    _json: dict[str, dict[str, Any]] = field(default_factory=dict)

    def json(self, stack_name: str) -> dict[str, Any]:
        """cdktf `Testing.synth` of one stack, parsed (cached)."""
        if stack_name not in self._json:
            from cdktf import Testing

            self._json[stack_name] = json.loads(Testing.synth(self.stacks[stack_name]))
        return self._json[stack_name]

    def stack_dirs(self) -> list[Path]:
        return [self.outdir / "stacks" / name for name in self.stacks]


def synthesize_all(catalog: Catalog, outdir: Path) -> InfraSynth:
    """Loads the provider through the fast path, as main.py does (tests/test_fast_provider.py proves
    it yields the same bytes), so the session pays ~1 s instead of ~15 s for the bindings."""
    from speedups import provider as fast_provider

    fast_provider.enable()
    import infra_stacks

    app, stacks = infra_stacks.build(catalog, env_names=list(catalog.environments), outdir=outdir,
                                     local_backend=False)
    app.synth()
    return InfraSynth(outdir=outdir, stacks=stacks)


def resources(data: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return data.get("resource", {}).get(kind, {})


