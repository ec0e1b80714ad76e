"""catalog.graph: the depth rule behind add-on sync waves and service rollout steps."""

from __future__ import annotations

import pytest

from catalog.graph import DependencyError, depths


def test_depths_are_topological() -> None:
    assert depths({"a": (), "b": ("a",), "c": ("a", "b"), "d": ()}) == {"a": 0, "b": 1, "c": 2, "d": 0}


def test_missing_dependency_fails_loudly() -> None:
    with pytest.raises(DependencyError, match="'loki' depends on 'prometheus', which is not declared"):
        depths({"loki": ("prometheus",)})


def test_dependency_cycle_is_named() -> None:
    with pytest.raises(DependencyError, match=r"dependency cycle: a -> b -> c -> a") as error:
        depths({"a": ("b",), "b": ("c",), "c": ("a",)})
    assert error.value.cycle == ("a", "b", "c", "a")
