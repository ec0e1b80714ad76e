"""Reading and parsing platform.yaml, remembering where every value came from.

PyYAML drops line numbers and silently keeps the last of two equal keys; a catalog error must
name the line, and a duplicated service name must be an error, so we build values from the node
tree ourselves.

The catalog is input from people and pull requests, so anything it never needs is refused before a
value is built, each with its line: files that are not small regular files, text that is not UTF-8
or holds characters YAML forbids (NUL), anchors and aliases (a 1 KB file of nested aliases expands
to gigabytes; the catalog repeats values through service_defaults and service_overrides instead),
merge keys (`<<`, useful only with aliases), explicit tags (quoting is the one thing a catalog
would use them for) and nesting deeper than MAX_DEPTH.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path as FilePath
from typing import Any, NamedTuple

import yaml

__all__ = ["MAX_BYTES", "MAX_DEPTH", "MAX_ITEMS", "Located", "Unreadable", "YamlProblem", "parse", "read_text"]

Path = tuple[str, ...]

# The real catalog is about 8 KB and a generated 550-service one about 250 KB.
MAX_BYTES = 1024 * 1024
# The schema nests seven levels deep; anything far deeper is not a catalog.
MAX_DEPTH = 32
# No list or mapping needs more entries than a large platform has services; the cap keeps any one
# schema check of hostile input short (each entry can fail on its own).
MAX_ITEMS = 2000
MERGE_TAG = "tag:yaml.org,2002:merge"


class YamlProblem(NamedTuple):
    """A problem found while reading or parsing; `line` is 1-based or None."""

    line: int | None
    path: Path
    message: str


class Unreadable(Exception):
    """The file cannot be turned into data at all; `problems` says why, each with its line if known."""

    def __init__(self, *problems: YamlProblem) -> None:
        super().__init__("\n".join(problem.message for problem in problems))
        self.problems = problems


def _refuse(line: int | None, message: str) -> Unreadable:
    return Unreadable(YamlProblem(line, (), message))


class Located:
    """Parsed data, the line each path starts on, and the paths whose value could not be read (null)."""

    def __init__(self, data: Any, lines: dict[Path, int], unread: frozenset[Path] = frozenset()) -> None:
        self.data, self.lines, self.unread = data, lines, unread

    def line_of(self, path: Path) -> int | None:
        """Line of `path`, or of its nearest ancestor that exists in the file."""
        for end in range(len(path), -1, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return None


def read_text(path: FilePath) -> str:
    """The text of a regular file of at most MAX_BYTES; never blocks on a FIFO or reads a device."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise _refuse(None, "not a regular file")
        # O_NONBLOCK: if a FIFO replaced the file since the stat, opening it must not wait for a writer.
        with os.fdopen(os.open(path, os.O_RDONLY | os.O_NONBLOCK), "rb") as file:
            data = file.read(MAX_BYTES + 1)
    except OSError as error:
        raise _refuse(None, error.strerror or str(error)) from None
    if len(data) > MAX_BYTES:
        raise _refuse(None, f"larger than {MAX_BYTES // 1024 // 1024} MiB; not a catalog")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise _refuse(line, f"not UTF-8 text (byte 0x{data[error.start]:02x})") from None


# libyaml's parser is several times faster and gives the same nodes and marks; PyYAML's own is the
# fallback where PyYAML was built without libyaml.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _line(mark: yaml.Mark | None) -> int | None:
    return mark.line + 1 if mark else None


def _forbidden_character(text: str) -> None:
    """YAML's own reader names an offset, not a line; find the character first to name its line."""
    found = yaml.reader.Reader.NON_PRINTABLE.search(text)
    if found:
        line = text.count("\n", 0, found.start()) + 1
        raise _refuse(line, f"character U+{ord(found.group()):04X} is not allowed in YAML text")


def _screen(text: str) -> list[YamlProblem]:
    """Anchors, aliases, tags, deep nesting and huge collections, found from parser events before any
    node is built."""
    problems: list[YamlProblem] = []
    # For each open collection: [children seen, children allowed] (a mapping entry is two children).
    collections: list[list[int]] = []
    for event in yaml.parse(text, Loader=_Loader):
        line = _line(event.start_mark)
        if isinstance(event, yaml.NodeEvent) and collections:
            counts = collections[-1]
            counts[0] += 1
            if counts[0] == counts[1] + 1:
                problems.append(YamlProblem(line, (), f"more than {MAX_ITEMS} entries in one list or mapping"))
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            problems.append(YamlProblem(line, (), "anchors and aliases (&, *) are not supported; "
                                                  "repeat values through service_defaults or service_overrides"))
        if getattr(event, "tag", None):
            problems.append(YamlProblem(line, (), f"tags ({event.tag}) are not supported; quote a value "
                                                  "to make it a string"))
        if isinstance(event, yaml.CollectionStartEvent):
            collections.append([0, MAX_ITEMS * (2 if isinstance(event, yaml.MappingStartEvent) else 1)])
            if len(collections) == MAX_DEPTH + 1:
                problems.append(YamlProblem(line, (), f"nested deeper than {MAX_DEPTH} levels"))
        elif isinstance(event, yaml.CollectionEndEvent):
            collections.pop()
    return problems


def _syntax_error(error: yaml.YAMLError) -> Unreadable:
    if isinstance(error, yaml.MarkedYAMLError):
        detail = ", ".join(part for part in (error.context, error.problem) if part) or str(error)
        return _refuse(_line(error.problem_mark or error.context_mark), f"YAML syntax error: {detail}")
    return _refuse(None, f"YAML syntax error: {str(error).splitlines()[0]}")


def parse(text: str) -> tuple[Located, list[YamlProblem]]:
    """Parse one YAML document; raise Unreadable when there is no data to check, return per-value problems."""
    _forbidden_character(text)
    loader = _Loader(text)
    try:
        refused = _screen(text)
        if refused:
            raise Unreadable(*refused)
        node = loader.get_single_node()
    except yaml.YAMLError as error:
        raise _syntax_error(error) from None
    finally:
        loader.dispose()
    if node is None:
        raise _refuse(None, "the file is empty; expected a mapping with project, services, ...")
    builder = _Builder(loader)
    data = builder.build(node, ())
    if not isinstance(data, dict):
        raise _refuse(builder.lines[()], f"the top level must be a mapping, not a {type(data).__name__}")
    return Located(data, builder.lines, frozenset(builder.unread)), builder.problems


class _Builder:
    """Plain values from a screened node tree, with the line of every path and the problems found."""

    def __init__(self, loader: Any) -> None:
        self.loader = loader
        self.lines: dict[Path, int] = {}
        self.problems: list[YamlProblem] = []
        self.unread: set[Path] = set()

    def build(self, node: yaml.Node, path: Path) -> Any:
        self.lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, str(index))) for index, item in enumerate(node.value)]
        return self.scalar(node, path)

    def scalar(self, node: yaml.Node, path: Path) -> Any:
        """Implicit scalars only (tags were refused), but a well-formed one can still be unreadable:
        an integer of 5,000 digits, the date 2024-13-45, PyYAML's `=` value tag."""
        try:
            return self.loader.construct_object(node)
        except (yaml.YAMLError, ValueError) as error:
            kind = node.tag.rsplit(":", 1)[-1]
            reason = str(error).splitlines()[0].split(";")[0]
            self.problems.append(YamlProblem(_line(node.start_mark), path, f"cannot read {kind} value: {reason}"))
            self.unread.add(path)
            return None

    def mapping(self, node: yaml.MappingNode, path: Path) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            key = self.key(key_node, path, key_line)
            if key is None:
                continue
            if key in result:
                self.problems.append(YamlProblem(key_line, (*path, key), f"duplicate key {key!r} "
                                                 f"(first defined on line {self.lines[(*path, key)]})"))
                continue
            self.lines[(*path, key)] = key_line
            result[key] = self.build(value_node, (*path, key))
            self.lines[(*path, key)] = key_line
        return result

    def key(self, node: yaml.Node, path: Path, line: int) -> str | None:
        """A mapping key as text, or None (reported) for a merge key or a key that is no scalar."""
        if node.tag == MERGE_TAG:
            self.problems.append(YamlProblem(line, path, "merge keys (<<) are not supported; "
                                                         "repeat values through service_defaults"))
            return None
        key = self.scalar(node, path) if isinstance(node, yaml.ScalarNode) else None
        if not isinstance(key, str | int | float | bool):
            self.problems.append(YamlProblem(line, path, "keys must be scalars"))
            return None
        return str(key)
