"""YAML parsing that remembers where every value came from.

PyYAML drops line numbers and silently keeps the last of two equal keys; a catalog error must
name the line, and a duplicated service name must be an error, so we build values from the node
tree ourselves.
"""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["Located", "YamlProblem", "parse"]

Path = tuple[str, ...]


class YamlProblem(Exception):
    """A problem found while parsing; `line` is 1-based or None."""

    def __init__(self, line: int | None, path: Path, message: str) -> None:
        super().__init__(message)
        self.line, self.path, self.message = line, path, message


class Located:
    """Parsed data plus the line each path starts on."""

    def __init__(self, data: Any, lines: dict[Path, int]) -> None:
        self.data, self.lines = data, lines

    def line_of(self, path: Path) -> int | None:
        """Line of `path`, or of its nearest ancestor that exists in the file."""
        for end in range(len(path), -1, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return None


# libyaml's parser is several times faster and gives the same nodes and marks; PyYAML's own is the
# fallback where PyYAML was built without libyaml.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse(text: str) -> tuple[Located, list[YamlProblem]]:
    """Parse one YAML document; raise YamlProblem for syntax errors, return duplicate-key problems."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else None
        detail = ", ".join(part for part in (error.context, error.problem) if part) or str(error)
        raise YamlProblem(line, (), f"YAML syntax error: {detail}") from None
    except yaml.YAMLError as error:
        raise YamlProblem(None, (), f"YAML syntax error: {error}") from None
    finally:
        loader.dispose()
    if node is None:
        raise YamlProblem(None, (), "the file is empty; expected a mapping with project, services, ...")
    lines: dict[Path, int] = {}
    problems: list[YamlProblem] = []

    def build(node: yaml.Node, path: Path) -> Any:
        lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            loader.flatten_mapping(node)
            result: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = loader.construct_object(key_node, deep=True)
                if not isinstance(key, str | int | float | bool):
                    problems.append(YamlProblem(key_node.start_mark.line + 1, path, "keys must be scalars"))
                    continue
                key = str(key)
                if key in result:
                    problems.append(
                        YamlProblem(
                            key_node.start_mark.line + 1,
                            (*path, key),
                            f"duplicate key {key!r} (first defined on line {lines[(*path, key)]})",
                        )
                    )
                    continue
                lines[(*path, key)] = key_node.start_mark.line + 1
                result[key] = build(value_node, (*path, key))
                lines[(*path, key)] = key_node.start_mark.line + 1
            return result
        if isinstance(node, yaml.SequenceNode):
            return [build(item, (*path, str(index))) for index, item in enumerate(node.value)]
        try:
            return loader.construct_object(node, deep=True)
        except yaml.YAMLError as error:
            problems.append(YamlProblem(node.start_mark.line + 1, path, f"cannot read value: {error}"))
            return None

    data = build(node, ())
    if not isinstance(data, dict):
        raise YamlProblem(lines[()], (), f"the top level must be a mapping, not a {type(data).__name__}")
    return Located(data, lines), problems
