"""Markdown building blocks the generated pages share: code spans and pipe tables.

Values in code spans are the names and figures a reader copies; tests/test_generated_docs.py checks
those of aws.md against the synthesized Terraform, so anything else (prose, yes/no) stays plain text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = ["code", "codes", "table", "yes_no"]


def code(value: object) -> str:
    """One value in a code span; a backtick inside would end the span, so none may be there."""
    text = str(value)
    if "`" in text:
        raise ValueError(f"a code span cannot hold a backtick: {text!r}")
    return f"`{text}`"


def codes(values: Iterable[object], separator: str = ", ") -> str:
    """Several values, each in its own code span; an em dash when there are none."""
    return separator.join(code(value) for value in values) or "—"


def yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


def table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    """A GitHub pipe table, one line per row; a `|` in a cell is escaped so it cannot split the cell."""

    def line(cells: Sequence[str]) -> str:
        if len(cells) != len(headers):
            raise ValueError(f"a row of {len(cells)} cells under {len(headers)} headers: {cells!r}")
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"

    return [line(headers), line(["---"] * len(headers)), *(line(row) for row in rows)]
