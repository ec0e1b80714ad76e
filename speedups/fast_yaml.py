"""A block-style YAML emitter that writes exactly what PyYAML + libyaml write for our manifests.

`yaml.dump` spends ~0.2 ms per manifest in PyYAML's Python representer and resolver (one call chain
per scalar), the largest cost of a synth. Manifests are plain JSON-like trees, so their layout is
fixed and most scalars are the same few thousand strings: this module lays the tree out directly
and classifies every distinct string once. PyYAML stays the reference: strings the fast rules do not
clearly cover are rendered once by the real dumper and cached, and a document with anything outside
the supported subset (floats PyYAML would tag, tuples, non-str keys, long or odd multi-line strings,
...) makes `dump` return None so the caller falls back to `yaml.dump`. Byte identity is enforced by
tests/test_fast_yaml.py against every committed manifest, a table of tricky scalars and a fuzz.
"""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Callable
from typing import Any

import yaml

__all__ = ["PYYAML_OPTIONS", "make_dump"]

# The `yaml.dump` keyword arguments the fast emitter reproduces; the fallback must use the same.
PYYAML_OPTIONS: dict[str, Any] = {"sort_keys": False, "default_flow_style": False, "width": 4096}

_STR_TAG = "tag:yaml.org,2002:str"
_FLOAT_TAG = "tag:yaml.org,2002:float"

# Longest one-line rendering and deepest indentation handled: together with keys (< 128) they keep
# every line far below the 4096 column where libyaml starts folding plain and quoted scalars.
_MAX_SCALAR = 2000
_MAX_INDENT = 400

# Printable ASCII starting with a character that is never an indicator. With the checks in
# `plain` (no ": ", " #", trailing ":" or space, "..." prefix) libyaml's block-plain test passes.
_PLAIN = re.compile(r"[A-Za-z0-9_/.][\x20-\x7e]*")
# Literal blocks we lay out ourselves: printable ASCII and newlines, not starting with a space or
# newline (those get an indentation indicator); `literal` rules out the rest.
_LITERAL = re.compile(r"[\x21-\x7e][\x20-\x7e\n]*")


class _Unsupported(Exception):
    """Raised deep in the emitter to abandon the fast path for the whole document."""


def make_dump(dumper: type[yaml.CSafeDumper]) -> Callable[[Any], str | None]:
    """Return `dump(manifest) -> str | None` producing `yaml.dump(manifest, Dumper=dumper, **PYYAML_OPTIONS)`.

    `dumper` must be a SafeDumper that never emits aliases and asks for literal style exactly for
    strings containing "\\n" (output.render._Dumper); a probe document checks this once, and if
    the dumper renders it differently the returned function always answers None (one warning
    line). Renderings are memoized for the life of the returned function (a few MB for the
    largest catalog).
    """
    values: dict[str, str] = {}  # one-line rendering of a value; "" = unsupported
    keys: dict[str, str] = {}  # one-line rendering of a key; "" = unsupported
    blocks: dict[tuple[str, int], str] = {}  # (multi-line value, container indent) -> literal block
    pads = [" " * n for n in range(_MAX_INDENT + 3)]

    def reference(document: Any) -> str:
        return yaml.dump(document, Dumper=dumper, **PYYAML_OPTIONS)

    def implicit_tag(value: str) -> str:
        """The tag a plain `value` would be read back as (Resolver.resolve with implicit plain)."""
        table = dumper.yaml_implicit_resolvers
        for tag, regexp in table.get(value[0] if value else "", []) + table.get(None, []):
            if regexp.match(value):
                return tag
        return _STR_TAG

    def plain(value: str) -> bool:
        """True when libyaml would surely write `value` plain in block context (conservative)."""
        return (
            _PLAIN.fullmatch(value) is not None
            and ": " not in value
            and " #" not in value
            and value[-1] not in " :"
            and not value.startswith("...")
            and implicit_tag(value) == _STR_TAG
        )

    def render_value(value: str) -> str:
        """One-line rendering of a str value, from the fast rules or from the real dumper; "" if none."""
        if len(value) > _MAX_SCALAR:
            return ""
        if plain(value):
            return value
        text = reference({"k": value})
        rendered = text[3:-1]
        if not text.startswith("k: ") or "\n" in rendered or len(rendered) > _MAX_SCALAR:
            return ""
        return rendered

    def render_key(key: str) -> str:
        """Like render_value, for simple keys (libyaml writes keys over 128 bytes as `? key`)."""
        if len(key) < 128 and plain(key):
            return key
        text = reference({key: None})
        rendered = text[:-7]
        if not text.endswith(": null\n") or "\n" in rendered or len(rendered) > _MAX_SCALAR:
            return ""
        return rendered

    def cached(table: dict[str, str], text: str, render: Callable[[str], str]) -> str:
        """`render(text)`, computed once into `table`; an unsupported text ("") abandons the document."""
        rendered = table.get(text)
        if rendered is None:
            rendered = table[text] = render(text)
        if not rendered:
            raise _Unsupported
        return rendered

    def string(value: str, indent: int) -> str:
        """Slow path of a str value not yet in `values` (or multi-line): classify, cache, or give up."""
        if "\n" in value:
            return literal(value, indent)
        return cached(values, value, render_value)

    def key(name: str) -> str:
        return cached(keys, name, render_key)

    def literal(value: str, indent: int) -> str:
        """`|` block for a multi-line value of a container at `indent`, without the final newline.

        libyaml writes the content at the container's indent + 2, empty lines as bare newlines, and
        chomping "-" when the value does not end with a newline. Leading spaces or newlines
        (indentation indicator), "\\n\\n" at the end ("+" and an open-ended document), trailing
        spaces and spaces before a newline (double-quoted instead) are left to PyYAML.
        """
        cache_key = (value, indent)
        block = blocks.get(cache_key)
        if block is not None:
            return block
        if _LITERAL.fullmatch(value) is None or " \n" in value or value[-1] == " " or value.endswith("\n\n"):
            raise _Unsupported
        if value[-1] == "\n":
            header, lines = "|", value[:-1].split("\n")
        else:
            header, lines = "|-", value.split("\n")
        pad = "\n" + pads[indent + 2]
        block = blocks[cache_key] = header + "".join(pad + line if line else "\n" for line in lines)
        return block

    def other(value: Any) -> str:
        """Non-str scalars, as SafeRepresenter writes them; exact types only (subclasses -> PyYAML)."""
        kind = type(value)
        if value is None:
            return "null"
        if kind is bool:
            return "true" if value else "false"
        if kind is int:
            return str(value)
        if kind is float:
            # SafeRepresenter.represent_float; kept only when it reads back as a float (written plain).
            if value != value:
                text = ".nan"
            elif value in (float("inf"), float("-inf")):
                text = ".inf" if value > 0 else "-.inf"
            else:
                text = repr(value).lower()
                if "." not in text and "e" in text:
                    text = text.replace("e", ".0e", 1)
            if implicit_tag(text) == _FLOAT_TAG:
                return text
        raise _Unsupported

    def mapping(node: dict, indent: int, lead: str) -> None:
        """Keys at `indent`; the first one after `lead` (its padding, or "" right after a dash)."""
        if indent > _MAX_INDENT:
            raise _Unsupported
        pad = pads[indent]
        for name, value in node.items():
            if type(name) is not str:  # before the cache: a str subclass equal to a cached key is PyYAML's
                raise _Unsupported
            rendered_key = keys.get(name) or key(name)
            kind = type(value)
            if kind is str:
                append(lead + rendered_key + ": " + (values.get(value) or string(value, indent)) + "\n")
            elif kind is dict:
                if value:
                    append(lead + rendered_key + ":\n")
                    mapping(value, indent + 2, pads[indent + 2])
                else:
                    append(lead + rendered_key + ": {}\n")
            elif kind is list:
                if value:
                    append(lead + rendered_key + ":\n")
                    sequence(value, indent, pad)  # indentless: dashes under the key
                else:
                    append(lead + rendered_key + ": []\n")
            else:
                append(lead + rendered_key + ": " + other(value) + "\n")
            lead = pad

    def sequence(node: list, indent: int, lead: str) -> None:
        """Dashes at `indent`; nested collections start on the dash line (`- a: 1`, `- - x`)."""
        if indent > _MAX_INDENT:
            raise _Unsupported
        lead += "- "
        dash = pads[indent] + "- "
        for value in node:
            kind = type(value)
            if kind is str:
                append(lead + (values.get(value) or string(value, indent)) + "\n")
            elif kind is dict:
                if value:
                    append(lead)
                    mapping(value, indent + 2, "")
                else:
                    append(lead + "{}\n")
            elif kind is list:
                if value:
                    append(lead)
                    sequence(value, indent + 2, "")
                else:
                    append(lead + "[]\n")
            else:
                append(lead + other(value) + "\n")
            lead = dash

    out: list[str] = []
    append = out.append
    busy = threading.Lock()  # `out` is shared: a concurrent (or re-entrant) call falls back instead

    def dump(manifest: Any) -> str | None:
        """The YAML text for `manifest` (a non-empty dict), or None when PyYAML must render it."""
        if type(manifest) is not dict or not manifest or not busy.acquire(blocking=False):
            return None
        try:
            mapping(manifest, 0, "")
            return "".join(out)
        except (_Unsupported, RecursionError):
            return None
        finally:
            out.clear()
            busy.release()

    probe = {
        "a": "x",
        "b": {"c": [1, True, None, "", "yes", {"d": "e\nf\n", "g": [["h", {}], []]}]},
        "i": ["j\n\nk"],
    }
    if dump(probe) != reference(probe):
        print(f"payledger: {dumper.__name__} writes YAML differently from speedups.fast_yaml; "
              "using PyYAML for every manifest", file=sys.stderr)
        return lambda manifest: None
    return dump
