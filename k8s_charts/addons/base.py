"""The contract every add-on module fills in, and the ordering derived from it.

Each add-on module declares its chart, namespace, the add-ons it needs (usually because they own CRDs it
creates objects of) and its Helm values as a function of the environment. `sync_waves` turns the
declared dependencies into Argo CD sync waves, so nobody numbers waves by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from catalog import Environment

__all__ = ["Addon", "DependencyError", "irsa_annotations", "sync_waves"]


@dataclass(frozen=True, kw_only=True)
class Addon:
    """One Helm release. `server_side_apply` is for charts whose CRDs exceed the client-side apply limit."""

    name: str
    repo_url: str
    chart: str
    version: str
    namespace: str
    depends_on: tuple[str, ...]
    values: Callable[[Environment], dict[str, Any]] = field(repr=False)
    server_side_apply: bool = False


class DependencyError(ValueError):
    """A declared dependency is unknown or part of a cycle."""


def sync_waves(graph: Mapping[str, Iterable[str]]) -> dict[str, int]:
    """Depth of each node: 0 needs nothing, otherwise one more than its deepest dependency."""
    waves: dict[str, int] = {}

    def depth(name: str, trail: tuple[str, ...]) -> int:
        if name in trail:
            cycle = " -> ".join((*trail[trail.index(name):], name))
            raise DependencyError(f"dependency cycle: {cycle}")
        if name not in waves:
            needs = tuple(graph[name])
            for need in needs:
                if need not in graph:
                    raise DependencyError(f"{name!r} depends on {need!r}, which is not declared")
            waves[name] = 1 + max((depth(need, (*trail, name)) for need in needs), default=-1)
        return waves[name]

    for name in sorted(graph):
        depth(name, ())
    return waves


def irsa_annotations(role_arn: str) -> dict[str, str]:
    """The ServiceAccount annotation EKS reads to inject web-identity credentials for `role_arn`."""
    return {"eks.amazonaws.com/role-arn": role_arn}
