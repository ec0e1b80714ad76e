"""Which resources of a synthesized stack the rehearsal applies, derived from the JSON and the gaps.

A resource is left out when its type is unsupported by the emulator, when it reads an attribute the
emulator leaves unset, or when it depends on a resource left out (through `${...}` references, also
via locals, or `depends_on`). Everything else is a `-target`; Terraform adds a target's dependencies
itself, and none of them is left out, so what is applied is exactly the complement.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from rehearsal.gaps import Gaps

__all__ = ["Selection", "expressions", "references", "resource_addresses", "select"]

REFERENCE = re.compile(r"(?<![\w.])(local|[a-z][a-z0-9_]*)\.([A-Za-z_][\w-]*)((?:\[\d+\]|\.[A-Za-z_]\w*)*)")
INDEX = re.compile(r"\[\d+\]")


def expressions(value: Any) -> Iterator[str]:
    """The `${...}` interpolations in every string of a JSON value (cdktf's `//` metadata skipped)."""
    if isinstance(value, str):
        yield from _interpolations(value)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if key != "//":
                yield from expressions(item)
    elif isinstance(value, list):
        for item in value:
            yield from expressions(item)


def _interpolations(text: str) -> Iterator[str]:
    start = text.find("${")
    while start != -1:
        depth, end = 0, start + 1
        while end < len(text):
            depth += {"{": 1, "}": -1}.get(text[end], 0)
            if depth == 0:
                break
            end += 1
        yield text[start + 2:end]
        start = text.find("${", end)


def references(value: Any) -> Iterator[tuple[str, str, str]]:
    """(type or `local`, name, attribute path without list indexes) of each reference in `value`."""
    for expression in expressions(value):
        for kind, name, path in REFERENCE.findall(expression):
            yield kind, name, INDEX.sub("", path).lstrip(".")


def resource_addresses(stack: Mapping[str, Any]) -> list[str]:
    return [f"{kind}.{name}" for kind, items in stack.get("resource", {}).items() for name in items]


@dataclass(frozen=True)
class Selection:
    """`targets` are applied; `excluded` maps every other address to the gap that keeps it out."""

    targets: tuple[str, ...]
    excluded: Mapping[str, str]


def _dependencies(stack: Mapping[str, Any]) -> dict[str, set[tuple[str, str]]]:
    """Per address: (address, attribute path) it reads, with locals resolved; depends_on reads ''."""
    addresses = set(resource_addresses(stack))
    local_values = stack.get("locals", {})

    def reads(value: Any, seen: frozenset[str]) -> set[tuple[str, str]]:
        found: set[tuple[str, str]] = set()
        for kind, name, path in references(value):
            if kind == "local" and name in local_values and name not in seen:
                found |= reads(local_values[name], seen | {name})
            elif f"{kind}.{name}" in addresses:
                found.add((f"{kind}.{name}", path))
        return found

    graph = {}
    for kind, items in stack.get("resource", {}).items():
        for name, config in items.items():
            explicit = {(address, "") for address in config.get("depends_on", ()) if address in addresses}
            graph[f"{kind}.{name}"] = reads({k: v for k, v in config.items() if k != "depends_on"},
                                            frozenset()) | explicit
    return graph


def select(stack: Mapping[str, Any], gaps: Gaps) -> Selection:
    graph = _dependencies(stack)
    unsupported = {gap.resource_type: gap for gap in gaps.of("unsupported")}
    unset = {(gap.resource_type, gap.attribute): gap for gap in gaps.of("unset")}
    excluded: dict[str, str] = {}
    for address, reads in graph.items():
        kind = address.split(".", 1)[0]
        if kind in unsupported:
            excluded[address] = f"{unsupported[kind].what}: {unsupported[kind].reason}"
        for target, path in sorted(reads):
            gap = unset.get((target.split(".", 1)[0], path))
            if gap:
                excluded.setdefault(address, f"reads {gap.what}: {gap.reason}")
    changed = True
    while changed:  # close over dependents; stacks have a few hundred resources, so a fixpoint is plenty
        changed = False
        for address, reads in graph.items():
            blocker = next((target for target, _ in sorted(reads) if target in excluded), None)
            if address not in excluded and blocker:
                excluded[address] = f"depends on {blocker}"
                changed = True
    return Selection(tuple(a for a in graph if a not in excluded), excluded)
