"""One result of a post-deploy check, shared by both halves of `main.py verify`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["AccessError", "Finding", "probe"]


class AccessError(Exception):
    """No way in: missing credentials, another account, an unreachable endpoint (exit 2, one line)."""


@dataclass(frozen=True)
class Finding:
    check: str  # the name `--skip` takes
    subject: str
    problem: str = ""  # empty when the check passed

    @property
    def ok(self) -> bool:
        return not self.problem

    def __str__(self) -> str:
        return f"{self.check} {self.subject}: {self.problem or 'ok'}"


def probe(check: str, subject: str, inspect: Callable[[], list[str]],
          errors: tuple[type[Exception], ...], describe: Callable[[Exception], str]) -> Finding:
    """Run one inspection; an API error of the expected kinds is that check's failure, not a crash."""
    try:
        problems = inspect()
    except errors as error:
        problems = [describe(error)]
    return Finding(check, subject, "; ".join(problems))
