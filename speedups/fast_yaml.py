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
    emitter = _Emitter(dumper)
    probe = {
        "a": "x",
        "b": {"c": [1, True, None, "", "yes", {"d": "e\nf\n", "g": [["h", {}], []]}]},
        "i": ["j\n\nk"],
    }
    if emitter.dump(probe) != emitter.reference(probe):
        print(f"payledger: {dumper.__name__} writes YAML differently from speedups.fast_yaml; "
              "using PyYAML for every manifest", file=sys.stderr)
        return lambda manifest: None
    return emitter.dump


class _Emitter:
    """Lays a manifest out as block YAML; every distinct scalar is classified once and memoized."""

    def __init__(self, dumper: type[yaml.CSafeDumper]) -> None:
        self.dumper = dumper
        self.values: dict[str, str] = {}  # one-line rendering of a value; "" = unsupported
        self.keys: dict[str, str] = {}  # one-line rendering of a key; "" = unsupported
        self.blocks: dict[tuple[str, int], str] = {}  # (multi-line value, container indent) -> literal block
        self.pads = [" " * n for n in range(_MAX_INDENT + 3)]
        self.out: list[str] = []
        self.busy = threading.Lock()  # `out` is shared: a concurrent (or re-entrant) call falls back instead

    def dump(self, manifest: Any) -> str | None:
        """The YAML text for `manifest` (a non-empty dict), or None when PyYAML must render it."""
        if type(manifest) is not dict or not manifest or not self.busy.acquire(blocking=False):
            return None
        try:
            self.mapping(manifest, 0, "")
            return "".join(self.out)
        except (_Unsupported, RecursionError):
            return None
        finally:
            self.out.clear()
            self.busy.release()

    def reference(self, document: Any) -> str:
        return yaml.dump(document, Dumper=self.dumper, **PYYAML_OPTIONS)

    # ----------------------------------------------------------------- layout (the hot path)

    def mapping(self, node: dict, indent: int, lead: str) -> None:
        """Keys at `indent`; the first one after `lead` (its padding, or "" right after a dash)."""
        if indent > _MAX_INDENT:
            raise _Unsupported
        append, keys, values, pads = self.out.append, self.keys, self.values, self.pads
        pad = pads[indent]
        for name, value in node.items():
            if type(name) is not str:  # before the cache: a str subclass equal to a cached key is PyYAML's
                raise _Unsupported
            prefix = lead + (keys.get(name) or self.key(name))
            kind = type(value)
            if kind is str:
                append(prefix + ": " + (values.get(value) or self.string(value, indent)) + "\n")
            elif kind is dict or kind is list:
                self.collection(value, prefix + ":", indent, dict_indent=indent + 2, list_indent=indent)
            else:
                append(prefix + ": " + self.other(value) + "\n")
            lead = pad

    def sequence(self, node: list, indent: int, lead: str) -> None:
        """Dashes at `indent`; nested collections start on the dash line (`- a: 1`, `- - x`)."""
        if indent > _MAX_INDENT:
            raise _Unsupported
        append, values = self.out.append, self.values
        lead += "- "
        dash = self.pads[indent] + "- "
        for value in node:
            kind = type(value)
            if kind is str:
                append(lead + (values.get(value) or self.string(value, indent)) + "\n")
            elif kind is dict:
                if value:
                    append(lead)
                    self.mapping(value, indent + 2, "")
                else:
                    append(lead + "{}\n")
            elif kind is list:
                if value:
                    append(lead)
                    self.sequence(value, indent + 2, "")
                else:
                    append(lead + "[]\n")
            else:
                append(lead + self.other(value) + "\n")
            lead = dash

    def collection(self, value: dict | list, prefix: str, indent: int, *, dict_indent: int, list_indent: int) -> None:
        """A mapping's value that is a dict or a list: flow `{}`/`[]` when empty, else a nested block
        (a list is indentless: its dashes sit under the key)."""
        if not value:
            self.out.append(prefix + (" {}\n" if type(value) is dict else " []\n"))
            return
        self.out.append(prefix + "\n")
        if type(value) is dict:
            self.mapping(value, dict_indent, self.pads[dict_indent])
        else:
            self.sequence(value, list_indent, self.pads[indent])

    # ----------------------------------------------------------------- scalars (once per distinct one)

    def implicit_tag(self, value: str) -> str:
        """The tag a plain `value` would be read back as (Resolver.resolve with implicit plain)."""
        table = self.dumper.yaml_implicit_resolvers
        for tag, regexp in table.get(value[0] if value else "", []) + table.get(None, []):
            if regexp.match(value):
                return tag
        return _STR_TAG

    def plain(self, value: str) -> bool:
        """True when libyaml would surely write `value` plain in block context (conservative)."""
        return (
            _PLAIN.fullmatch(value) is not None
            and ": " not in value
            and " #" not in value
            and value[-1] not in " :"
            and not value.startswith("...")
            and self.implicit_tag(value) == _STR_TAG
        )

    def render_value(self, value: str) -> str:
        """One-line rendering of a str value, from the fast rules or from the real dumper; "" if none."""
        if len(value) > _MAX_SCALAR:
            return ""
        if self.plain(value):
            return value
        text = self.reference({"k": value})
        rendered = text[3:-1]
        if not text.startswith("k: ") or "\n" in rendered or len(rendered) > _MAX_SCALAR:
            return ""
        return rendered

    def render_key(self, key: str) -> str:
        """Like render_value, for simple keys (libyaml writes keys over 128 bytes as `? key`)."""
        if len(key) < 128 and self.plain(key):
            return key
        text = self.reference({key: None})
        rendered = text[:-7]
        if not text.endswith(": null\n") or "\n" in rendered or len(rendered) > _MAX_SCALAR:
            return ""
        return rendered

    @staticmethod
    def cached(table: dict[str, str], text: str, render: Callable[[str], str]) -> str:
        """`render(text)`, computed once into `table`; an unsupported text ("") abandons the document."""
        rendered = table.get(text)
        if rendered is None:
            rendered = table[text] = render(text)
        if not rendered:
            raise _Unsupported
        return rendered

    def string(self, value: str, indent: int) -> str:
        """Slow path of a str value not yet in `values` (or multi-line): classify, cache, or give up."""
        if "\n" in value:
            return self.literal(value, indent)
        return self.cached(self.values, value, self.render_value)

    def key(self, name: str) -> str:
        return self.cached(self.keys, name, self.render_key)

    def literal(self, value: str, indent: int) -> str:
        """`|` block for a multi-line value of a container at `indent`, without the final newline.

        libyaml writes the content at the container's indent + 2, empty lines as bare newlines, and
        chomping "-" when the value does not end with a newline. Leading spaces or newlines
        (indentation indicator), "\\n\\n" at the end ("+" and an open-ended document), trailing
        spaces and spaces before a newline (double-quoted instead) are left to PyYAML.
        """
        cache_key = (value, indent)
        block = self.blocks.get(cache_key)
        if block is not None:
            return block
        if _LITERAL.fullmatch(value) is None or " \n" in value or value[-1] == " " or value.endswith("\n\n"):
            raise _Unsupported
        if value[-1] == "\n":
            header, lines = "|", value[:-1].split("\n")
        else:
            header, lines = "|-", value.split("\n")
        pad = "\n" + self.pads[indent + 2]
        block = self.blocks[cache_key] = header + "".join(pad + line if line else "\n" for line in lines)
        return block

    def other(self, value: Any) -> str:
        """Non-str scalars, as SafeRepresenter writes them; exact types only (subclasses -> PyYAML)."""
        kind = type(value)
        if value is None:
            return "null"
        if kind is bool:
            return "true" if value else "false"
        if kind is int:
            return str(value)
        if kind is float:
            text = _float_text(value)
            if self.implicit_tag(text) == _FLOAT_TAG:  # kept only when it reads back as a float
                return text
        raise _Unsupported


def _float_text(value: float) -> str:
    """SafeRepresenter.represent_float."""
    if value != value:
        return ".nan"
    if value in (float("inf"), float("-inf")):
        return ".inf" if value > 0 else "-.inf"
    text = repr(value).lower()
    if "." not in text and "e" in text:
        text = text.replace("e", ".0e", 1)
    return text
