"""A diff for people: plain text for a terminal, Markdown for a pull-request comment.

Markdown folds each environment into a <details> block and stops adding changes before GitHub's
comment limit (65,536 characters), saying how many were left out; the summary always counts all.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from preview.changes import Change

__all__ = ["COMMENT_MARKER", "markdown", "summary", "text"]

# The workflow finds its own comment by this line and updates it instead of adding another.
COMMENT_MARKER = "<!-- payledger-diff -->"
# GitHub refuses a comment longer than 65,536 characters.
MARKDOWN_LIMIT = 65_000
SIGNS = {"added": "+", "removed": "-", "changed": "~"}
SIDES = ("terraform", "kubernetes")


def _counts(changes: Sequence[Change], side: str) -> str:
    counted = Counter(change.action for change in changes if change.side == side)
    return f"{side} {counted['added']} added, {counted['removed']} removed, {counted['changed']} changed"


def summary(changes: Sequence[Change], base: str) -> str:
    """One line that counts both sides."""
    if not changes:
        return f"diff: no changes against {base}"
    return f"diff against {base}: " + "; ".join(_counts(changes, side) for side in SIDES)


def _where(change: Change) -> str:
    return f"{change.side} {change.scope}" if change.side == "terraform" else change.side


def _by_env(changes: Sequence[Change]) -> list[list[Change]]:
    """The changes grouped by environment, in the order they came."""
    groups: dict[str, list[Change]] = {}
    for change in changes:
        groups.setdefault(change.env, []).append(change)
    return list(groups.values())


def text(changes: Sequence[Change], base: str) -> str:
    """Per environment, each change as `+|-|~ subject`, a changed one followed by its detail, indented."""
    lines: list[str] = []
    for mine in _by_env(changes):
        lines.append(f"== {mine[0].env} ==")
        for change in mine:
            lines.append(f"{SIGNS[change.action]} {_where(change)}: {change.subject}")
            lines += [f"    {line}" for line in change.detail.splitlines()]
    return "\n".join([*lines, summary(changes, base)]) + "\n"


def _fenced(body: str, language: str) -> str:
    """A code block whose fence is longer than any run of backticks inside it."""
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{body}\n{fence}"


def _entry(change: Change) -> str:
    line = f"- `{SIGNS[change.action]}` **{_where(change)}**: `{change.subject}`"
    if not change.detail:
        return line
    language = "diff" if change.side == "kubernetes" else "text"
    return f"{line}\n\n{_fenced(change.detail, language)}\n"


def _left_out(count: int) -> str:
    return (f"_{count} more changes not shown (the comment would be too long); "
            "run `python main.py diff` for all of them._")


def markdown(changes: Sequence[Change], base: str, limit: int = MARKDOWN_LIMIT) -> str:
    """A pull-request comment of at most `limit` characters: the summary, then one collapsible block per
    environment with changes.

    Each environment gets an equal share of the room still left, so a long first environment cannot
    hide the others; whatever does not fit is counted at the end.
    """
    parts = [COMMENT_MARKER, f"### PayLedger: what this change does (against `{base}`)", "", summary(changes, base), ""]
    room = limit - sum(len(part) + 1 for part in parts) - len(_left_out(len(changes))) - 1
    by_env = _by_env(changes)
    left_out = 0
    for index, mine in enumerate(by_env):
        head = (f"<details><summary><b>{mine[0].env}</b>: "
                f"{'; '.join(_counts(mine, side) for side in SIDES)}</summary>\n")
        share = room // (len(by_env) - index) - len(head) - len("</details>\n\n")
        entries = []
        for change in mine:
            entry = _entry(change)
            if len(entry) + 1 > share:
                left_out += len(mine) - len(entries)
                break
            entries.append(entry)
            share -= len(entry) + 1
        section = "\n".join([head, *entries, "</details>", ""])
        parts.append(section)
        room -= len(section) + 1
    if left_out:
        parts.append(_left_out(left_out))
    return "\n".join(parts) + "\n"
