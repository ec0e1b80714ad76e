"""Mermaid flowcharts for the generated pages (GitHub renders ```mermaid blocks).

Node ids are derived from names, one to one: names hold only lowercase letters, digits, `-` and `.`,
so `_` stands for `-` and `_D_` (the only uppercase letter an id can hold) for `.`. A prefix per kind of
thing keeps ids from clashing across kinds and from being a Mermaid keyword (`end`, `graph`, ...).
Labels are always quoted, so they may hold anything but a double quote, which is escaped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["ID", "Flowchart", "node_id"]

# What an id may look like: a letter, then letters, digits and underscores.
ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
SHAPES = {"box": '["{}"]', "rounded": '("{}")', "database": '[("{}")]', "circle": '(("{}"))',
          "hexagon": '{{{{"{}"}}}}'}
NAME = re.compile(r"^[a-z0-9.-]+$")


def node_id(kind: str, name: str) -> str:
    """`kind`'s node for `name`: `svc`, `api-gateway` -> `svc_api_gateway`; `.` becomes `_D_`."""
    if not ID.match(kind) or not NAME.match(name):
        raise ValueError(f"cannot make a Mermaid id from {kind!r}, {name!r}")
    return f"{kind}_{name.replace('-', '_').replace('.', '_D_')}"


def _label(text: str) -> str:
    return text.replace('"', "#quot;")


class Flowchart:
    """A flowchart built line by line: nodes, subgraphs (as context managers) and edges.

    Args:
        direction: LR (left to right) or TB (top to bottom).
    """

    def __init__(self, direction: str = "LR") -> None:
        self.lines = [f"flowchart {direction}"]
        self.depth = 1

    def _add(self, line: str) -> None:
        self.lines.append("  " * self.depth + line)

    def node(self, node: str, label: str, shape: str = "box") -> str:
        self._add(node + SHAPES[shape].format(_label(label)))
        return node

    def subgraph(self, graph: str, label: str) -> _Subgraph:
        """`with chart.subgraph(id, label):` - the nodes added inside belong to it."""
        return _Subgraph(self, graph, label)

    def edge(self, source: str, target: str, label: str | None = None, *, dotted: bool = False) -> None:
        arrow = "-.->" if dotted else "-->"
        self._add(f"{source} {arrow}|\"{_label(label)}\"| {target}" if label else f"{source} {arrow} {target}")

    def style(self, name: str, css: str, members: Iterable[str]) -> None:
        """A class of nodes drawn alike (`css`: Mermaid's classDef properties); nothing when it has no members."""
        if members := list(members):
            self._add(f"classDef {name} {css}")
            self._add(f"class {','.join(members)} {name}")

    def markdown(self) -> list[str]:
        if self.depth != 1:
            raise ValueError("a subgraph is still open")
        return ["```mermaid", *self.lines, "```"]


class _Subgraph:
    def __init__(self, chart: Flowchart, graph: str, label: str) -> None:
        self.chart, self.graph, self.label = chart, graph, label

    def __enter__(self) -> str:
        self.chart._add(f'subgraph {self.graph}["{_label(self.label)}"]')
        self.chart.depth += 1
        return self.graph

    def __exit__(self, *exc: object) -> None:
        self.chart.depth -= 1
        self.chart._add("end")
