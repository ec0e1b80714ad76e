"""The one line the rehearsal prints per stack, and its parser (the benchmark reads it back)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Failed", "StackReport", "parse"]

LINE = re.compile(r"(?P<stack>\S+): applied (?P<applied>\d+) of (?P<planned>\d+), emulator gaps (?P<gaps>\d+), "
                  r"re-plan changes (?P<changes>\d+), (?P<end>destroyed|not destroyed) in (?P<seconds>\d+) s")


class Failed(Exception):
    """The rehearsal failed for a reason other than a known emulator gap: `lines`, one per problem."""

    def __init__(self, lines: Sequence[str]) -> None:
        self.lines = list(lines)
        super().__init__("\n".join(self.lines))


@dataclass
class StackReport:
    """Counts come from Terraform: `planned` from a plan of the whole stack, `applied` from the state."""

    stack: str
    planned: int = 0
    applied: int = 0
    gaps: int = 0
    replan_changes: int = 0
    destroyed: bool = False
    seconds: float = 0.0

    def line(self) -> str:
        end = "destroyed" if self.destroyed else "not destroyed"
        return (f"{self.stack}: applied {self.applied} of {self.planned}, emulator gaps {self.gaps}, "
                f"re-plan changes {self.replan_changes}, {end} in {self.seconds:.0f} s")


def parse(line: str) -> StackReport | None:
    match = LINE.fullmatch(line.strip())
    if not match:
        return None
    numbers = {key: int(match[key]) for key in ("applied", "planned", "gaps")}
    return StackReport(match["stack"], replan_changes=int(match["changes"]), destroyed=match["end"] == "destroyed",
                       seconds=float(match["seconds"]), **numbers)
