"""Grafana dashboard JSON from a few panel kinds, laid out left to right on Grafana's 24-column grid.

Every panel and query names its data source by uid (kube_prometheus_stack.PROMETHEUS_UID, CLOUDWATCH_UID),
so a dashboard never depends on which data source happens to be Grafana's default.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from k8s_charts.addons.kube_prometheus_stack import CLOUDWATCH_UID, DASHBOARD_LABEL, PROMETHEUS_UID

__all__ = ["CLOUDWATCH", "COLUMNS", "PROMETHEUS", "Panel", "Steps", "Target", "cloudwatch", "config_map",
           "dashboard", "prometheus", "row", "stat", "table", "text", "timeseries"]

Panel = dict[str, Any]
Target = dict[str, Any]
# Threshold steps, lowest first: (from value, colour); the first starts at minus infinity (None).
Steps = Sequence[tuple[float | None, str]]

PROMETHEUS = {"type": "prometheus", "uid": PROMETHEUS_UID}
CLOUDWATCH = {"type": "cloudwatch", "uid": CLOUDWATCH_UID}
COLUMNS = 24
SCHEMA_VERSION = 39


def prometheus(expr: str, legend: str = "", *, instant: bool = False) -> Target:
    """A PromQL query; `instant` for a table of the current values."""
    target: Target = {"datasource": PROMETHEUS, "expr": expr}
    if legend:
        target["legendFormat"] = legend
    if instant:
        target |= {"instant": True, "range": False, "format": "table"}
    return target


def cloudwatch(*, namespace: str, metric: str, dimensions: dict[str, str], region: str, statistic: str = "Sum",
               match_exact: bool = True) -> Target:
    """A CloudWatch metric query; `match_exact` False also returns the series of dimensions not named."""
    return {"datasource": CLOUDWATCH, "queryMode": "Metrics", "metricQueryType": 0, "namespace": namespace,
            "metricName": metric, "dimensions": dimensions, "matchExact": match_exact, "region": region,
            "statistic": statistic, "period": "", "id": "", "expression": ""}


def _panel(kind: str, title: str, targets: Sequence[Target], *, width: int, height: int, unit: str | None,
           steps: Steps | None, description: str) -> Panel:
    defaults: dict[str, Any] = {}
    if unit:
        defaults["unit"] = unit
    if steps:
        defaults["thresholds"] = {"mode": "absolute", "steps": [{"value": value, "color": colour}
                                                                for value, colour in steps]}
    panel: Panel = {
        "type": kind,
        "title": title,
        "datasource": targets[0]["datasource"],
        "gridPos": {"w": width, "h": height},
        "targets": [{"refId": chr(ord("A") + index), **target} for index, target in enumerate(targets)],
    }
    if description:
        panel["description"] = description
    if defaults:
        panel["fieldConfig"] = {"defaults": defaults, "overrides": []}
    return panel


def timeseries(title: str, *targets: Target, width: int = 12, height: int = 8, unit: str | None = None,
               steps: Steps | None = None, description: str = "") -> Panel:
    return _panel("timeseries", title, targets, width=width, height=height, unit=unit, steps=steps,
                  description=description)


def stat(title: str, target: Target, *, width: int = 6, height: int = 5, unit: str | None = None,
         steps: Steps | None = None, description: str = "") -> Panel:
    return _panel("stat", title, [target], width=width, height=height, unit=unit, steps=steps,
                  description=description)


def table(title: str, target: Target, *, width: int = 8, height: int = 8, unit: str | None = None,
          steps: Steps | None = None, description: str = "") -> Panel:
    return _panel("table", title, [target], width=width, height=height, unit=unit, steps=steps,
                  description=description)


def text(title: str, content: str, *, width: int = COLUMNS, height: int = 6) -> Panel:
    """Markdown: what a dashboard cannot show, and why."""
    return {"type": "text", "title": title, "gridPos": {"w": width, "h": height},
            "options": {"mode": "markdown", "content": content}}


def row(title: str) -> Panel:
    return {"type": "row", "title": title, "collapsed": False, "panels": [], "gridPos": {"w": COLUMNS, "h": 1}}


def _layout(panels: Sequence[Panel]) -> list[Panel]:
    """Numbers the panels and places each right of the previous one, starting a new line when it would
    not fit; a row always starts a line of its own."""
    x = y = line_height = 0
    placed = []
    for number, panel in enumerate(panels, start=1):
        width, height = panel["gridPos"]["w"], panel["gridPos"]["h"]
        if panel["type"] == "row" or x + width > COLUMNS:
            x, y, line_height = 0, y + line_height, 0
        placed.append({**panel, "id": number, "gridPos": {"x": x, "y": y, "w": width, "h": height}})
        x, line_height = x + width, max(line_height, height)
        if panel["type"] == "row":
            x = COLUMNS
    return placed


def dashboard(*, uid: str, title: str, tags: Sequence[str], panels: Sequence[Panel], description: str = "",
              time_from: str = "now-6h") -> dict[str, Any]:
    board: dict[str, Any] = {
        "uid": uid,
        "title": title,
        "tags": list(tags),
        "timezone": "utc",
        "schemaVersion": SCHEMA_VERSION,
        "time": {"from": time_from, "to": "now"},
        "panels": _layout(panels),
    }
    if description:
        board["description"] = description
    return board


def config_map(*, name: str, namespace: str, labels: dict[str, str], file: str,
               board: dict[str, Any]) -> dict[str, Any]:
    """The ConfigMap Grafana's sidecar loads (kube_prometheus_stack.DASHBOARD_LABEL); `file` names the
    dashboard in Grafana's one dashboard folder, so it must be unique across the cluster."""
    label, value = DASHBOARD_LABEL
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace, "labels": {**labels, label: value}},
        "data": {file: json.dumps(board, indent=2, sort_keys=True)},
    }
