"""The services' half of the metric contract (catalog.metrics): declared once in platform.yaml, refused when
malformed, and alerted on when a service stops exposing a metric it declared."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from catalog_params import ENV_SERVICES, ENVIRONMENTS
from cdk8s import App

from catalog import Catalog, CatalogError, load_catalog, naming
from catalog.rules import names
from k8s_charts.manifest import FolderChart
from k8s_charts.service_extras import ServiceExtras

ROOT = Path(__file__).resolve().parent.parent
GOOD = yaml.load((ROOT / "platform.yaml").read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)


def problems(edit: Callable[[dict[str, Any]], None]) -> list[str]:
    data = copy.deepcopy(GOOD)
    edit(data)
    with pytest.raises(CatalogError) as error:
        load_catalog(Path("bad.yaml"), text=yaml.dump(data, Dumper=yaml.CSafeDumper, sort_keys=False))
    return [str(problem) for problem in error.value.problems]


def owner(data: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """The first service that declares business metrics, and its list (to edit)."""
    return next((name, service["business_metrics"]) for name, service in data["services"].items()
                if service.get("business_metrics"))


def test_the_catalog_declares_business_metrics(catalog: Catalog) -> None:
    assert any(service.business_metrics for env in catalog.environments.values() for service in env.services.values())


@pytest.mark.parametrize(("change", "message"), [
    (lambda m: m.update(name=m["name"].removesuffix("_total")), r"counter '\w+' must end with '_total'"),
    (lambda m: m.update(type="gauge"), r"gauge '\w+' must not end with '_total'"),
    (lambda m: m.update(name="Payments-Total"), r"is not a valid Prometheus metric name"),
    (lambda m: m.update(unit="eur"), r"unknown field"),
])
def test_a_malformed_metric_is_refused_at_its_line(change, message: str) -> None:
    def edit(data: dict[str, Any]) -> None:
        change(owner(data)[1][0])

    (problem,) = problems(edit)
    assert re.match(r"bad\.yaml:\d+: services\.[a-z0-9-]+\.business_metrics\.0", problem)
    assert re.search(message, problem)


def test_metrics_are_named_under_the_project_prefix(catalog: Catalog) -> None:
    def edit(data: dict[str, Any]) -> None:
        owner(data)[1][0]["name"] = "payments_processed_total"

    prefix = naming.metric_prefix(catalog.project)
    assert all(f"must start with '{prefix}'" in problem for problem in problems(edit))
    assert all(metric.name.startswith(prefix) for env in catalog.environments.values()
               for service in env.services.values() for metric in service.business_metrics)


def test_a_metric_has_one_owner() -> None:
    def edit(data: dict[str, Any]) -> None:
        first, metrics = owner(data)
        other = next(service for name, service in data["services"].items() if name != first)
        other["business_metrics"] = [dict(metrics[0])]

    found = problems(edit)
    assert found and all("is already declared by" in problem for problem in found)


def test_an_environment_name_too_long_for_the_overview_uids_is_refused(catalog: Catalog) -> None:
    env = catalog.environments[ENVIRONMENTS[0]]
    assert list(names.overview_dashboards(env)) == []
    (finding, *_) = names.overview_dashboards(env.model_copy(update={"name": "e" * 40}))
    assert finding.path == ("environments", "e" * 40) and "Grafana dashboard uid" in finding.message


@pytest.mark.parametrize(("env_name", "name"), ENV_SERVICES)
def test_each_declared_metric_is_alerted_on_when_absent(catalog: Catalog, env_name: str, name: str) -> None:
    env = catalog.environments[env_name]
    service = env.services[name]
    chart = FolderChart(App(), "chart", folder=f"{service.namespace}/{name}")
    ServiceExtras(chart, "extras", catalog=catalog, env=env, service=service)
    (rule,) = [m for _, _, m in chart.emitted if m["kind"] == "PrometheusRule"]
    groups = {group["name"]: group["rules"] for group in rule["spec"]["groups"]}
    alerts = groups.get(f"{name}.business.alerts", [])
    selector = f'namespace="{service.namespace}", job="{name}"'
    assert [alert["expr"] for alert in alerts] == [f"absent({metric.name}{{{selector}}})"
                                                   for metric in service.business_metrics]
    for alert, metric in zip(alerts, service.business_metrics, strict=True):
        assert alert["labels"] == {"severity": "warning", "service": name, "metric": metric.name}
        assert alert["annotations"]["runbook_url"].endswith("#business-metric-absent")
