"""One rule violation at a catalog path."""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["FieldPath", "Finding"]

FieldPath = tuple[str, ...]


class Finding(NamedTuple):
    """A violation at a catalog path; `env` is set when the path is a service resolved for that env."""

    path: FieldPath
    message: str
    env: str | None = None

    def shown(self, source: str) -> str:
        """One line: `<source>: <dotted path>: <message>`."""
        return f"{source}: {'.'.join(self.path)}: {self.message}"
