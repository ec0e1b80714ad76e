"""The fast path changes how the AWS provider loads and drops jsii's runtime type checks: the six real
stacks must come out byte for byte the same with it off (synthesized in the background; see
tests/slow_path_support.py). Marked `slow`: CI runs it, `pytest -m "not slow"` skips it locally."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


def test_the_real_stacks_are_byte_identical_with_the_fast_path_off(infra, slow_path_synth) -> None:
    process, out = slow_path_synth
    _, errors = process.communicate(timeout=600)
    assert process.returncode == 0, errors
    assert "fast provider" not in errors, "the slow path must not touch the fast path"
    for stack in infra.stacks:
        fast = (infra.outdir / "stacks" / stack / "cdk.tf.json").read_bytes()
        slow = (out / "stacks" / stack / "cdk.tf.json").read_bytes()
        assert slow == fast, f"{stack}: the fast path changed the synthesized JSON"
    assert sorted(p.name for p in (out / "stacks").iterdir()) == sorted(infra.stacks)
