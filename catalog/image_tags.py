"""Set a service's image tag for some environments in platform.yaml's text, changing only the lines it must.

The tag goes where the catalog already resolves per-environment values: the environment's
`service_overrides.<service>.image_tag` (catalog/loader.py). ruamel.yaml's round-trip parser says
where each mapping and value sits; the edit itself is made in the text, so every comment, key,
blank line and flow layout the parser would re-emit differently stays as it was. The result is
parsed again and must be the old document with exactly the new tags, or nothing is returned.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from dataclasses import dataclass

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError

__all__ = ["EditError", "set_image_tag"]

OVERRIDES, FIELD = "service_overrides", "image_tag"
# A scalar as written: double-quoted, single-quoted or plain (up to a space, a comma, a brace or a comment).
SCALAR = re.compile(r""""(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s,}#]+""")


class EditError(Exception):
    """The file cannot be edited in place; str() is the one line to show."""


@dataclass(frozen=True)
class _Edit:
    """Replace `count` lines from `line` (0-based) with `text`."""

    line: int
    count: int
    text: str


def set_image_tag(text: str, *, service: str, tag: str, env_names: Sequence[str], source: str) -> str:
    """The catalog text with `service`'s image tag set to `tag` in each of `env_names`."""
    try:
        document = YAML().load(text)
    except YAMLError as error:
        raise EditError(f"{source}: not YAML this tool can edit ({error.__class__.__name__})") from None
    lines = text.splitlines(keepends=True)
    edits = [_edit(lines, document["environments"], name, service, f'"{tag}"', source) for name in env_names]
    for edit in sorted(edits, key=lambda edit: edit.line, reverse=True):  # bottom up: earlier lines stay put
        lines[edit.line:edit.line + edit.count] = [edit.text]
    edited = "".join(lines)
    if _parsed(edited) != _expected(_parsed(text), service, tag, env_names):
        raise EditError(f"{source}: environments.*.{OVERRIDES}.{service}: cannot be edited in place in this layout; "
                        f"set {FIELD} there by hand")
    return edited


def _parsed(text: str) -> dict:
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # libyaml where it is built


def _expected(data: dict, service: str, tag: str, env_names: Sequence[str]) -> dict:
    data = copy.deepcopy(data)
    for name in env_names:
        overrides = data["environments"][name].get(OVERRIDES) or {}
        overrides.setdefault(service, {})[FIELD] = tag
        data["environments"][name][OVERRIDES] = overrides
    return data


def _edit(lines: list[str], environments: CommentedMap, env_name: str, service: str, value: str,
          source: str) -> _Edit:
    env = environments[env_name]
    where = f"{source}:{environments.lc.key(env_name)[0] + 1}: environments.{env_name}"
    step = " " * environments.lc.col  # the file's indentation step: environments' keys sit one step in
    if not isinstance(env, CommentedMap) or env.fa.flow_style():
        raise EditError(f"{where}: a flow mapping; write it as a block to let set-image edit it")
    if OVERRIDES not in env:
        indent = " " * env.lc.col
        block = f"{indent}{OVERRIDES}:\n{indent}{step}{service}:\n{indent}{step}{step}{FIELD}: {value}\n"
        return _insert(_block_end(lines, env.lc.line, env.lc.col), block)
    overrides = env[OVERRIDES]
    if not isinstance(overrides, CommentedMap):
        raise EditError(f"{where}.{OVERRIDES}: not a mapping of service to patch")
    if service not in overrides:
        return _add(lines, overrides, service, f"{{{FIELD}: {value}}}", step=step, nested=f"{FIELD}: {value}")
    patch = overrides[service]
    if not isinstance(patch, CommentedMap):
        raise EditError(f"{where}.{OVERRIDES}.{service}: not a mapping; make it one to let set-image edit it")
    if FIELD not in patch:
        return _add(lines, patch, FIELD, value, step=step)
    line, col = patch.lc.value(FIELD)
    found = SCALAR.match(lines[line], col)
    if not found:
        raise EditError(f"{source}:{line + 1}: environments.{env_name}.{OVERRIDES}.{service}.{FIELD}: "
                        "not a plain or quoted scalar")
    return _Edit(line, 1, lines[line][:col] + value + lines[line][found.end():])


def _add(lines: list[str], mapping: CommentedMap, key: str, flow: str, *, step: str,
         nested: str | None = None) -> _Edit:
    """`key: flow` added to `mapping`: first inside a flow mapping's brace, else as the block's last entry
    (`key:` with `nested` one level deeper beneath it, when given)."""
    if mapping.fa.flow_style() or not mapping:  # `{...}` or `{}`: the brace is at the mapping's position
        line, col = mapping.lc.line, mapping.lc.col
        brace = lines[line].index("{", col)
        separator = ", " if mapping else ""
        return _Edit(line, 1, lines[line][:brace + 1] + f"{key}: {flow}{separator}" + lines[line][brace + 1:])
    indent = " " * mapping.lc.col
    entry = f"{indent}{key}: {flow}\n" if nested is None else f"{indent}{key}:\n{indent}{step}{nested}\n"
    return _insert(_block_end(lines, mapping.lc.line, mapping.lc.col), entry)


def _insert(at: int, text: str) -> _Edit:
    return _Edit(at, 0, text)


def _block_end(lines: list[str], first: int, col: int) -> int:
    """The line after the block mapping whose keys start at `col` from line `first`: before the next
    line that is indented less, and before the blank lines and comments that lead up to it."""
    end = len(lines)
    for index in range(first + 1, len(lines)):
        stripped = lines[index].strip()
        if stripped and not stripped.startswith("#") and len(lines[index]) - len(lines[index].lstrip()) < col:
            end = index
            break
    while end > first + 1 and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")):
        end -= 1
    return end
