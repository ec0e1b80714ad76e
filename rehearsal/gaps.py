"""The emulator's known gaps, read from one file in the repository (rehearsal/emulator-gaps.yaml).

Each line names a resource type or a `type.attribute` and says what the emulator does wrong with it,
why, and for which emulator version that was observed. The rehearsal derives everything from them:
which resources it does not apply and which attributes it ignores when re-planning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

__all__ = ["EFFECTS", "GAPS_FILE", "Gap", "GapError", "Gaps", "load_gaps"]

GAPS_FILE = Path(__file__).with_name("emulator-gaps.yaml")
EFFECTS = {
    "unsupported": "the resource type cannot be created: not applied, nor anything that depends on it",
    "unset": "the attribute stays empty: resources that read it are not applied",
    "read-back": "the attribute reads back differently: ignored in the re-plan only",
}
FIELDS = ("what", "effect", "emulator", "reason")
RESOURCE_TYPE = re.compile(r"[a-z][a-z0-9_]*")
ATTRIBUTE = re.compile(r"([a-z][a-z0-9_]*)\.([a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*)")


class GapError(Exception):
    """The gaps file is malformed; the message is one `file:line: problem` line per problem."""


@dataclass(frozen=True)
class Gap:
    resource_type: str
    attribute: str | None  # dotted path without list indexes, e.g. vpc_config.cluster_security_group_id
    effect: str
    emulator: str
    reason: str
    line: int

    @property
    def what(self) -> str:
        return f"{self.resource_type}.{self.attribute}" if self.attribute else self.resource_type


@dataclass(frozen=True)
class Gaps:
    entries: tuple[Gap, ...]

    def of(self, effect: str) -> list[Gap]:
        return [gap for gap in self.entries if gap.effect == effect]

    def emulators(self) -> set[str]:
        return {gap.emulator for gap in self.entries}


def _parse_entry(entry: object, line: int) -> Gap:
    if not isinstance(entry, dict) or set(entry) != set(FIELDS):
        raise ValueError(f"expected a mapping with exactly {', '.join(FIELDS)}")
    if not all(isinstance(entry[key], str) and entry[key].strip() for key in FIELDS):
        raise ValueError(f"{', '.join(FIELDS)} must be non-empty strings")
    what, effect = entry["what"], entry["effect"]
    if effect not in EFFECTS:
        raise ValueError(f"effect {effect!r}: expected one of {', '.join(EFFECTS)}")
    if effect == "unsupported":
        if not RESOURCE_TYPE.fullmatch(what):
            raise ValueError(f"what {what!r}: an unsupported gap names a resource type, e.g. aws_eks_addon")
        resource_type, attribute = what, None
    else:
        match = ATTRIBUTE.fullmatch(what)
        if not match:
            raise ValueError(f"what {what!r}: a {effect} gap names type.attribute, e.g. aws_kms_key.policy")
        resource_type, attribute = match.groups()
    return Gap(resource_type, attribute, effect, entry["emulator"], entry["reason"], line)


def load_gaps(path: Path = GAPS_FILE) -> Gaps:
    """Every entry, or GapError listing every problem (entries are single lines, so lines are exact)."""
    try:
        text = path.read_text(encoding="utf-8")
        nodes = yaml.compose(text, Loader=yaml.SafeLoader)
    except (OSError, yaml.YAMLError) as error:
        raise GapError(f"{path}: {' '.join(str(error).split())}") from error
    if nodes is None or not isinstance(nodes, yaml.SequenceNode):
        raise GapError(f"{path}: expected a list of gaps, one per line")
    loader = yaml.SafeLoader("")
    entries, problems, seen = [], [], {}
    for node in nodes.value:
        line = node.start_mark.line + 1
        try:
            gap = _parse_entry(loader.construct_object(node, deep=True), line)
        except ValueError as error:
            problems.append(f"{path}:{line}: {error}")
            continue
        if gap.what in seen:
            problems.append(f"{path}:{line}: {gap.what} is listed twice (first on line {seen[gap.what]})")
        seen.setdefault(gap.what, line)
        entries.append(gap)
    if problems:
        raise GapError("\n".join(problems))
    return Gaps(tuple(entries))
