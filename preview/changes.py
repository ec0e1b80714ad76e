"""Changes of structured documents, by identity: what was added, removed, and which fields changed how.

DeepDiff compares the two versions of one document (a Kubernetes object, a Terraform resource) and
names every changed path; difflib renders a readable unified diff of the object's YAML. Nothing here
walks structures by hand.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from deepdiff import DeepDiff

__all__ = ["Change", "changes", "field_changes", "unified"]

Action = Literal["added", "removed", "changed"]
# How much of a value a one-line field change shows.
VALUE_WIDTH = 80


@dataclass(frozen=True)
class Change:
    """One document of one side added, removed or changed: `subject` names it, `detail` says how."""

    side: str  # "kubernetes" or "terraform"
    env: str
    scope: str  # the folder or the stack it is in
    action: Action
    subject: str
    detail: str = ""  # how a changed document changed: a unified diff or one line per field


def _path(deepdiff_path: str) -> str:
    """root['spec']['containers'][0]['image'] -> spec.containers[0].image"""
    parts = re.findall(r"\['((?:[^'\\]|\\.)*)'\]|\[(\d+)\]", deepdiff_path)
    text = ""
    for key, index in parts:
        text += f"[{index}]" if index else (f".{key}" if re.fullmatch(r"[A-Za-z_][\w-]*", key) else f"[{key!r}]")
    return text.lstrip(".")


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= VALUE_WIDTH else text[: VALUE_WIDTH - 1] + "…"


def field_changes(before: Any, after: Any) -> str:
    """One line per changed field: `path: old -> new`, `path: added value`, `path: removed`."""
    found = DeepDiff(before, after, verbose_level=2).to_dict()
    lines = [f"{_path(path)}: {_shown(change['old_value'])} -> {_shown(change['new_value'])}"
             for kind in ("values_changed", "type_changes") for path, change in found.get(kind, {}).items()]
    for kind, verb in (("dictionary_item_added", "added"), ("iterable_item_added", "added"),
                       ("dictionary_item_removed", "removed"), ("iterable_item_removed", "removed")):
        lines += [f"{_path(path)}: {verb} {_shown(value)}" if verb == "added" else f"{_path(path)}: removed"
                  for path, value in found.get(kind, {}).items()]
    return "\n".join(sorted(lines))


def unified(before: str, after: str, label: str) -> str:
    """The unified diff of one document's text, a/ and b/ labelled like git's."""
    return "\n".join(difflib.unified_diff(before.splitlines(), after.splitlines(), f"a/{label}", f"b/{label}",
                                          lineterm="", n=3))


def changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[tuple[Action, str]]:
    """Identities added, removed and changed between two maps of documents, in a stable order."""
    found: list[tuple[Action, str]] = [("added", key) for key in sorted(after.keys() - before.keys())]
    found += [("removed", key) for key in sorted(before.keys() - after.keys())]
    found += [("changed", key) for key in sorted(before.keys() & after.keys()) if before[key] != after[key]]
    return found
