"""Depths in a dependency graph: the one ordering rule behind Argo CD sync waves and rollout steps."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

__all__ = ["DependencyError", "depths"]


class DependencyError(ValueError):
    """A dependency is undeclared or part of a cycle; `cycle` holds the loop when there is one."""

    def __init__(self, message: str, cycle: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.cycle = cycle


def depths(graph: Mapping[str, Iterable[str]]) -> dict[str, int]:
    """Depth of each node: 0 needs nothing, otherwise one more than its deepest dependency.

    Nodes are visited in name order, so the same graph always reports the same cycle.
    """
    found: dict[str, int] = {}

    def depth(name: str, trail: tuple[str, ...]) -> int:
        if name in trail:
            cycle = (*trail[trail.index(name):], name)
            raise DependencyError(f"dependency cycle: {' -> '.join(cycle)}", cycle)
        if name not in found:
            needs = tuple(graph[name])
            for need in needs:
                if need not in graph:
                    raise DependencyError(f"{name!r} depends on {need!r}, which is not declared")
            found[name] = 1 + max((depth(need, (*trail, name)) for need in needs), default=-1)
        return found[name]

    for name in sorted(graph):
        depth(name, ())
    return found
