"""speedups.fast_render: the platform renders byte for byte as through cdk8s, and falls back when unsure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cdk8s import App

from catalog import Catalog
from k8s_charts import build_environment, manifests_by_folder
from k8s_charts.manifest import ChartPart, FolderChart, emit, render_with_cdk8s
from output.render import render_folders
from speedups import fast_render

ROOT = Path(__file__).resolve().parent.parent


def test_whole_platform_is_byte_identical_with_and_without_fast_render(catalog: Catalog) -> None:
    declined: list[str] = []

    def render(manifests: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
        rendered = fast_render.render(manifests)
        if rendered is None:
            declined.extend(manifest["metadata"]["name"] for manifest in manifests)
        return rendered

    for env in catalog.environments.values():
        charts = build_environment(catalog, env)
        folders = manifests_by_folder(charts, render)
        fast = render_folders(folders)
        # the same charts again, now through cdk8s: emitted objects stay queued until cdk8s renders them
        slow = render_folders(manifests_by_folder(charts))
        assert fast.keys() == slow.keys()
        assert [path for path in fast if fast[path] != slow[path]] == []
        assert len(fast) == sum(len(manifests) for manifests in folders.values()) > 0, "one file per object"
    assert declined == [], "every chart of the platform takes the fast path"


def _config_map(**changes: Any) -> dict[str, Any]:
    manifest: dict[str, Any] = {"apiVersion": "v1", "kind": "ConfigMap",
                                "metadata": {"name": "settings", "namespace": "apps", "labels": {"b": "2", "a": "1"}},
                                "data": {"key": "value"}}
    manifest.update(changes)
    return manifest


UNSURE = {
    "null value": _config_map(data={"key": None}),
    "float": _config_map(data={"ratio": 0.5}),
    "integer beyond 2^53": _config_map(data={"big": 2**60}),
    "array-index key (JavaScript orders it first)": _config_map(data={"b": "x", "1": "y"}),
    "jsii token-like key": _config_map(data={"$jsii.byref": "x"}),
    "__proto__ key": _config_map(data={"__proto__": "x"}),
    "tuple": _config_map(data={"list": ("a", "b")}),
    "top-level key that is a JSON pointer path": _config_map(**{"a/b": "x"}),
    "metadata field cdk8s does not carry": _config_map(metadata={"name": "settings", "generateName": "x-"}),
    "generated name": _config_map(metadata={"namespace": "apps"}),
    "non-string label": _config_map(metadata={"name": "settings", "labels": {"replicas": 2}}),
}


@pytest.mark.parametrize("manifest", UNSURE.values(), ids=UNSURE.keys())
def test_data_outside_the_plain_subset_is_left_to_cdk8s(manifest: dict[str, Any]) -> None:
    assert fast_render.render([_config_map(), manifest]) is None


def test_a_chart_the_fast_path_declines_still_renders_through_cdk8s() -> None:
    chart = FolderChart(App(), "chart", folder="apps/settings")
    emit(chart, "plain", _config_map())
    emit(ChartPart(chart, "group"), "float", _config_map(metadata={"name": "ratio"}, data={"ratio": 0.5}))
    rendered = {obj["metadata"]["name"]: obj for obj in chart.manifests(fast_render.render)}
    assert rendered["ratio"]["data"] == {"ratio": 0.5}
    assert rendered["settings"]["metadata"] == {"labels": {"a": "1", "b": "2"}, "name": "settings", "namespace": "apps"}


def test_rendering_matches_cdk8s_key_order_and_metadata_cleanup() -> None:
    manifest = {"kind": "Widget", "apiVersion": "example.com/v1",
                "metadata": {"name": "w", "namespace": None, "labels": {}, "annotations": {"z": "", "a": "1"},
                             "finalizers": []},
                "spec": {"z": [], "a": {}}, "status": {"b": True, "a": 0}}
    (rendered,) = fast_render.render([manifest])
    assert list(rendered) == ["apiVersion", "kind", "metadata", "spec", "status"]
    assert rendered["metadata"] == {"annotations": {"a": "1", "z": ""}, "name": "w"}
    assert list(rendered["metadata"]["annotations"]) == ["a", "z"]
    assert list(rendered["status"]) == ["b", "a"], "patched values keep their own order"

    chart = FolderChart(App(), "chart", folder="apps/w")
    emit(chart, "w", manifest)
    assert chart.manifests() == [rendered]


@pytest.fixture
def fresh_check(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fast_render, "_checked", [])
    monkeypatch.delenv("PAYLEDGER_FAST_RENDER", raising=False)


def test_renderer_is_on_when_the_canary_matches(fresh_check: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert fast_render.renderer(render_with_cdk8s) is fast_render.render
    assert capsys.readouterr().err == ""


def test_renderer_can_be_turned_off(fresh_check: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAYLEDGER_FAST_RENDER", "0")
    assert fast_render.renderer(render_with_cdk8s) is None


def test_a_cdk8s_that_renders_differently_turns_the_fast_path_off(
        fresh_check: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    real = fast_render._metadata
    monkeypatch.setattr(fast_render, "_metadata", lambda metadata: {**(real(metadata) or {}), "extra": "x"})
    assert fast_render.renderer(render_with_cdk8s) is None
    assert fast_render.renderer(render_with_cdk8s) is None, "checked once per process"
    warning = capsys.readouterr().err.splitlines()
    assert len(warning) == 1 and "renders differently" in warning[0]


def test_a_failing_check_turns_the_fast_path_off_with_one_warning(
        fresh_check: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    def broken(reference) -> bool:
        raise RuntimeError("kernel gone")

    monkeypatch.setattr(fast_render, "_canary_matches", broken)
    assert fast_render.renderer(render_with_cdk8s) is None
    warning = capsys.readouterr().err.splitlines()
    assert len(warning) == 1 and "kernel gone" in warning[0]


def test_a_chart_cdk8s_rendered_once_stays_with_cdk8s() -> None:
    chart = FolderChart(App(), "chart", folder="apps/settings")
    emit(chart, "first", _config_map())
    first = chart.to_json()
    emit(chart, "second", _config_map(metadata={"name": "second"}))
    rendered = chart.manifests(fast_render.render)
    assert [obj["metadata"]["name"] for obj in rendered] == ["settings", "second"]
    assert rendered[0] == first[0]
