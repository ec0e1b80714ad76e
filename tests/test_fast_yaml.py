"""speedups/fast_yaml.py: byte-identical to `yaml.dump` with output._Dumper, or None (PyYAML renders).

The reference is always the real dumper; a fast rendering that differs by one byte is a failure,
a None is not (the caller falls back), except where we assert the fast path is actually taken so a
regression to "always fall back" cannot pass silently. No timing assertions: see bench/.
"""

from __future__ import annotations

import datetime
import random
from collections import OrderedDict
from pathlib import Path
from typing import Any

import pytest
import yaml

from output.render import HEADER, _Dumper, to_yaml
from speedups import fast_yaml

GITOPS_OUT = Path(__file__).resolve().parent.parent / "gitops_out"


def reference(document: Any) -> str:
    return yaml.dump(document, Dumper=_Dumper, **fast_yaml.PYYAML_OPTIONS)


@pytest.fixture
def dump():
    """A fresh emitter per test, so memoized renderings from one test cannot hide a bug in another."""
    return fast_yaml.make_dump(_Dumper)


def assert_same(dump, document: Any) -> str | None:
    fast = dump(document)
    if fast is not None:
        assert fast == reference(document), document
    return fast


def test_every_committed_manifest_is_rendered_fast_and_identically(dump) -> None:
    files = sorted(GITOPS_OUT.rglob("*.yaml"))
    assert len(files) > 100
    fallbacks = []
    for path in files:
        committed = path.read_bytes()
        assert committed.startswith(HEADER)
        manifest = yaml.load(committed, Loader=yaml.CSafeLoader)
        fast = dump(manifest)
        if fast is None:
            fallbacks.append(path)
            continue
        assert fast == reference(manifest), path
        assert HEADER + fast.encode("utf-8") == committed, path
        assert to_yaml(manifest) == committed, path
    assert fallbacks == []


# fmt: off
TRICKY = [
    "", " a", "a ", "yes", "No", "on", "OFF", "y", "~", "null", "Null", "123", "-1", "+1", "0o17", "017", "0x1f",
    "0b101", "1_000", "1e3", "1.5", ".5", ".inf", "-.Inf", ".nan", ".NaN", "1:20", "190:20:30.15", "2001-12-14",
    "2001-12-14t21:59:43.10-05:00", "<<", "=", "- a", "-a", "-", "--x", "a: b", "a:b", "a:", ":a", "a #b", "a#b",
    "#a", "*a", "&a", "!a", "%a", "@a", "`a", "'a", '"a', "a'b", 'a"b', "|a", ">a", "é", "日本", "a\u2028b",
    "a\x85b", "a\rb", "tab\there", "\t", "nul\x00", "\ufeffbom", "---", "--- a", "...", "... a", ".", "..", "a,b",
    "[a]", "{a}", "?a", "? a", "?", "a?", "http://x:80/y", "a  b", "a b c", "{{ .host }}", "$(VAR)", "a\\b",
    "line1\nline2", "line1\nline2\n", "line1\n\nline2", "line1\n  indented\nline3\n", "a\n\n", "\n", "\na",
    " lead\nx", "trail \nx", "x\n", "x \n", "a\n \nb", "a\tb\nc", "é\nx", "true\n", "# c\n- x\n", "a\r\nb",
    "x" * 1999, "x" * 2001, "word " * 500, "x" * 5000 + "\nshort\n",
]
# fmt: on

PLACEMENTS = {
    "value": lambda s: {"k": s},
    "key": lambda s: {s: 1, "after": s},
    "in list": lambda s: {"k": [s, "x"]},
    "lists of lists": lambda s: {"k": [[s, [s]], [[s]]]},
    "nested mappings": lambda s: {"a": {"b": {"c": s, "d": [{"e": s, "f": [s]}]}}},
    "after empties": lambda s: {"k": {}, "l": [], "m": [{}, [], s], "n": s},
}


@pytest.mark.parametrize("placement", PLACEMENTS)
@pytest.mark.parametrize("value", TRICKY, ids=[repr(s)[:30] for s in TRICKY])
def test_tricky_scalars_match_pyyaml(dump, value: str, placement: str) -> None:
    assert_same(dump, PLACEMENTS[placement](value))


@pytest.mark.parametrize(
    "document",
    [
        {"k": "a"},
        {"k": "yes", "l": "123", "m": "", "n": "a: b", "o": "{{ .host }}"},
        {"k": "line1\nline2", "l": "line1\nline2\n", "m": "a\n\nb\n", "n": "a\n  b"},
        {"k": ["a\nb\n", ["c\nd", ["e\nf\n"]], {"g": "h\ni"}]},
        {"a": {"b": {"c": {"d": ["x\ny\n", {"e": ["z\n"]}]}}}},
        {"k": [[], {}, None, True, False, 0, -7, 10**30, 1.5, 1e17, float("inf"), float("nan")]},
        {"k" * 127: 1, "é": "é"},
    ],
)
def test_supported_documents_take_the_fast_path(dump, document: dict) -> None:
    assert assert_same(dump, document) is not None


def test_literal_block_layout(dump) -> None:
    document = {"a": {"b": ["x\n\ny\n", ["p\nq"]], "c": "m\n n\n"}}
    assert dump(document) == ("a:\n  b:\n  - |\n    x\n\n    y\n  - - |-\n      p\n      q\n  c: |\n    m\n     n\n")
    assert dump(document) == reference(document)


@pytest.mark.parametrize(
    "document",
    [
        {"k": ("a", "b")},
        {1: "a"},
        {"k": {"a"}},
        {"k": b"bytes"},
        {"k": datetime.date(2024, 1, 2)},
        {"k": "a\n\n"},
        {"k": " lead\nx"},
        {"k": "x" * 2001},
        {"multi\nline": 1},
        {"k" * 129: 1},
        {},
    ],
    ids=repr,
)
def test_unsupported_documents_fall_back_to_pyyaml(dump, document: dict) -> None:
    assert dump(document) is None
    assert to_yaml(document) == HEADER + reference(document).encode("utf-8")


class _Name(str):
    pass


@pytest.mark.parametrize(
    "document", [{"k": _Name("x")}, {_Name("k"): "x"}, {"k": [_Name("x")]}, {"k": OrderedDict(a=1)}], ids=repr
)
def test_values_pyyaml_rejects_still_raise_through_the_fallback(dump, document: dict) -> None:
    assert dump({"k": "x", "l": ["x"]}) is not None  # "k" and "x" are cached: the type check comes first
    assert dump(document) is None  # exact types only: subclasses are PyYAML's business
    with pytest.raises(yaml.representer.RepresenterError):
        to_yaml(document)


def test_a_dumper_that_does_not_match_the_assumed_layout_disables_the_fast_path(
        capsys: pytest.CaptureFixture[str]) -> None:
    plain_dump = fast_yaml.make_dump(yaml.CSafeDumper)  # no literal blocks for multi-line strings
    assert plain_dump({"a": "b"}) is None
    warning = capsys.readouterr().err.splitlines()
    assert len(warning) == 1 and "using PyYAML for every manifest" in warning[0]


# Rich in indicators; the second alphabet leaves out what always falls back, to exercise the layout.
ALPHABET = "ab Zy019-:#'\"?,[]{}&*!|>%@`~.=<+_/\\\t\n\n\n  é\x85\r"
TAME = "ab Zy019-:#'\"?,[]{}&*!|>%@`~.=<+_/\\\n"
WORDS = ["true", "no", "null", "~", "0x1", "1.5", "1e3", "12", "0o7", "1:2", "2001-01-01", "---", "...", "<<", ""]


def random_string(rng: random.Random, alphabet: str = ALPHABET) -> str:
    if rng.random() < 0.3:
        return "".join(rng.choice([*WORDS, rng.choice(alphabet)]) for _ in range(rng.randint(1, 3)))
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))


def random_scalar(rng: random.Random) -> Any:
    roll = rng.random()
    if roll < 0.7:
        return random_string(rng, TAME if rng.random() < 0.9 else ALPHABET)
    if roll < 0.8:
        return rng.choice([None, True, False])
    if roll < 0.9:
        return rng.randint(-(10**6), 10**6)
    return rng.choice([rng.uniform(-1e6, 1e6), 10.0 ** rng.randint(-20, 20), float("inf"), 0.0])


def random_node(rng: random.Random, depth: int) -> Any:
    roll = rng.random()
    if depth >= 4 or roll < 0.5:
        return random_scalar(rng)
    size = rng.randint(0, 4)
    if roll < 0.75:
        return {random_string(rng, TAME): random_node(rng, depth + 1) for _ in range(size)}
    return [random_node(rng, depth + 1) for _ in range(size)]


def test_fuzzed_strings_match_pyyaml(dump) -> None:
    rng = random.Random(20240611)
    handled = 0
    for _ in range(3000):
        value = random_string(rng)
        for placement in ("value", "key", "in list"):
            handled += assert_same(dump, PLACEMENTS[placement](value)) is not None
    assert handled > 6000  # of 9000: most random strings are still rendered by the fast path (7025 seen)


def test_fuzzed_documents_match_pyyaml(dump) -> None:
    rng = random.Random(7)
    handled = 0
    for _ in range(1500):
        document = {random_string(rng, TAME): random_node(rng, 1) for _ in range(rng.randint(1, 5))}
        handled += assert_same(dump, document) is not None
    assert handled > 600  # of 1500 (703 seen); the rest hold a tab, CR, NEL, é or an odd multi-line string
