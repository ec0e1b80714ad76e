"""Every Grafana dashboard the platform ships, per service and overview: well formed, and reading only metrics
that something really exports.

A query may read (a) a recording rule the platform defines, (b) a business metric a service declares in
platform.yaml, (c) the HTTP metrics every service exposes (catalog.metrics), or (d) an exporter metric in
k8s_charts.dashboards.exporter_metrics, the list that names each exporter, its pinned version and its
source. PromQL is parsed with a real parser (promql-parser), not matched with patterns.
"""

from __future__ import annotations

import json
import re
from typing import Any

import promql_parser
import pytest
from catalog_params import ENV_SERVICES, ENVIRONMENTS
from crd_validation import validate_builtin

from catalog import Catalog, Environment, naming
from catalog.metrics import BusinessMetric, http_series
from k8s_charts.addons import ADDONS, cert_manager, external_secrets, kube_prometheus_stack
from k8s_charts.dashboards import BUILDERS, business, infrastructure, security
from k8s_charts.dashboards.exporter_metrics import CLOUDWATCH, EXPORTERS

Manifest = dict[str, Any]
LABEL, LABEL_VALUE = kube_prometheus_stack.DASHBOARD_LABEL
DATA_SOURCES = {"prometheus": kube_prometheus_stack.PROMETHEUS_UID, "cloudwatch": kube_prometheus_stack.CLOUDWATCH_UID}


@pytest.fixture(scope="module")
def objects(platform_objects) -> dict[str, list[Manifest]]:
    """Every object of each environment, rendered as `main.py synth` writes them."""
    return platform_objects


def dashboards(objects: list[Manifest]) -> dict[str, dict[str, Any]]:
    """file name -> dashboard, for every ConfigMap Grafana's sidecar loads."""
    return {file: json.loads(text) for obj in objects if obj["kind"] == "ConfigMap"
            and obj["metadata"].get("labels", {}).get(LABEL) == LABEL_VALUE for file, text in obj["data"].items()}


def overview(objects: list[Manifest], env: Environment, kind: str) -> dict[str, Any]:
    return dashboards(objects)[f"{naming.overview_dashboard_uid(env, kind)}.json"]


def queries(board: dict[str, Any]) -> list[dict[str, Any]]:
    return [target for panel in board["panels"] for target in panel.get("targets", [])]


def metric_names(expr: str) -> set[str]:
    """The metric name of every series selector in a PromQL expression, `{__name__="..."}` included."""
    names: set[str] = set()

    def visit(node: promql_parser.Expr) -> bool:
        if isinstance(node, promql_parser.VectorSelector):
            names.update([node.name] if node.name else
                         [m.value for m in node.matchers.matchers if m.name == "__name__"])
        return True

    promql_parser.walk(promql_parser.parse(expr), visit)
    return names


def allowed_metrics(env: Environment, objects: list[Manifest]) -> set[str]:
    records = {rule["record"] for obj in objects if obj["kind"] == "PrometheusRule"
               for group in obj["spec"]["groups"] for rule in group["rules"] if "record" in rule}
    contracted = {metric.name for service in env.services.values() for metric in service.business_metrics}
    exported = {metric for exporter in EXPORTERS for metric in exporter.metrics}
    return records | contracted | set(http_series()) | exported


def test_metric_names_are_the_selectors_not_labels_functions_or_keywords() -> None:
    expr = ('sum by (le) (rate(http_request_duration_seconds_bucket{job="a"}[5m])) > 1 and on (node) '
            'kube_node_labels{label_x="y"} unless absent({__name__="made_up_total"}) or max_over_time(b[1h:5m])')
    assert metric_names(expr) == {"http_request_duration_seconds_bucket", "kube_node_labels", "made_up_total", "b"}
    with pytest.raises(ValueError):
        metric_names("sum(rate(x[5m])")


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_every_dashboard_is_well_formed(catalog: Catalog, objects, env_name: str) -> None:
    boards = dashboards(objects[env_name])
    env = catalog.environments[env_name]
    assert len(boards) == len(env.services) + len(naming.OVERVIEW_DASHBOARDS)
    uids = [board["uid"] for board in boards.values()]
    assert len(uids) == len(set(uids)), "Grafana keeps one dashboard per uid"
    for file, board in boards.items():
        assert board["title"] and board["panels"], file
        assert len({panel["id"] for panel in board["panels"]}) == len(board["panels"]), file
        for panel in board["panels"]:
            assert panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24, (file, panel["title"])
            if panel["type"] in ("row", "text"):
                continue
            assert panel["targets"], (file, panel["title"])
            for target in [panel, *panel["targets"]]:
                kind = target["datasource"]["type"]
                assert target["datasource"]["uid"] == DATA_SOURCES[kind], (file, panel["title"])
            for target in panel["targets"]:
                assert ("expr" in target) is (target["datasource"]["type"] == "prometheus"), (file, panel["title"])


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_every_query_reads_only_metrics_someone_provides(catalog: Catalog, objects, env_name: str) -> None:
    env = catalog.environments[env_name]
    allowed = allowed_metrics(env, objects[env_name])
    cloudwatch = {(space.namespace, metric) for space in CLOUDWATCH for metric in space.metrics}
    exprs = [target["expr"] for board in dashboards(objects[env_name]).values() for target in queries(board)
             if "expr" in target]
    exprs += [rule["expr"] for obj in objects[env_name] if obj["kind"] == "PrometheusRule"
              for group in obj["spec"]["groups"] for rule in group["rules"]]
    unknown = {(name, expr) for expr in exprs for name in metric_names(expr) - allowed}
    assert not unknown, "add the metric to k8s_charts/dashboards/exporter_metrics.py with its source, or fix the query"
    read = [(target["namespace"], target["metricName"]) for board in dashboards(objects[env_name]).values()
            for target in queries(board) if "metricName" in target]
    assert read and set(read) <= cloudwatch


def test_the_check_fails_on_a_metric_nobody_exports(catalog: Catalog, objects) -> None:
    env_name = ENVIRONMENTS[0]
    allowed = allowed_metrics(catalog.environments[env_name], objects[env_name])
    assert {"kube_node_status_condition", "slo:http_error_ratio:rate5m", "http_requests_total"} <= allowed
    assert metric_names("sum(kube_node_ready_total) / sum(kube_node_status_condition)") - allowed == {
        "kube_node_ready_total"}


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_overview_configmaps_validate_and_reach_grafana(catalog: Catalog, objects, env_name: str) -> None:
    env = catalog.environments[env_name]
    names = {naming.overview_dashboard_name(kind) for kind in naming.OVERVIEW_DASHBOARDS}
    maps = [obj for obj in objects[env_name] if obj["kind"] == "ConfigMap" and obj["metadata"]["name"] in names]
    assert len(maps) == len(names) and set(BUILDERS) == set(naming.OVERVIEW_DASHBOARDS)
    for obj in maps:
        assert validate_builtin(obj, env.kubernetes_version) == []
        assert obj["metadata"]["namespace"] == kube_prometheus_stack.NAMESPACE
        assert obj["metadata"]["labels"][LABEL] == LABEL_VALUE


@pytest.mark.parametrize(("env_name", "name"), ENV_SERVICES)
def test_every_service_has_its_row_in_the_platform_overview(catalog: Catalog, objects, env_name: str,
                                                           name: str) -> None:
    env = catalog.environments[env_name]
    service = env.services[name]
    panels = overview(objects[env_name], env, "platform")["panels"]
    title = f"{name} ({service.namespace})"
    start = next(i for i, p in enumerate(panels) if p["type"] == "row" and p["title"] == title)
    row = panels[start + 1:start + 5]
    assert all(p["type"] != "row" for p in row)
    exprs = [target["expr"] for panel in row for target in panel["targets"]]
    assert all(f'namespace="{service.namespace}", job="{name}"' in expr for expr in exprs)
    availability, budget = exprs[0], exprs[1]
    assert "increase(http_requests_total" in availability and 'code=~"5.."' in availability
    assert "[30d]" in availability and budget.endswith("/ 0.001")
    assert [p["fieldConfig"]["defaults"]["unit"] for p in row] == ["percentunit", "percentunit", "reqps", "s"]


@pytest.mark.parametrize(("env_name", "name"), ENV_SERVICES)
def test_every_business_metric_has_a_panel_on_its_owners_row(catalog: Catalog, objects, env_name: str,
                                                             name: str) -> None:
    env = catalog.environments[env_name]
    service = env.services[name]
    panels = overview(objects[env_name], env, "business")["panels"]
    titles = [p["title"] for p in panels if p["type"] == "row"]
    assert (f"{name} ({service.namespace})" in titles) is bool(service.business_metrics)
    exprs = [target["expr"] for panel in panels for target in panel.get("targets", [])]
    for metric in service.business_metrics:
        assert f'sum(rate({metric.name}{{namespace="{service.namespace}", job="{name}"}}[5m]))' in exprs


def test_a_gauge_and_a_new_service_show_up_without_code_changes(catalog: Catalog) -> None:
    env = catalog.environments[ENVIRONMENTS[0]]
    service = next(iter(env.services.values()))
    gauge = BusinessMetric(name="payledger_queue_depth", type="gauge", description="Queue depth")
    grown = env.model_copy(update={"services": {**env.services, "ledger-export": service.model_copy(
        update={"name": "ledger-export", "business_metrics": (gauge,)})}})
    exprs = [t["expr"] for t in queries(business.business(grown))]
    assert f'sum(payledger_queue_depth{{namespace="{service.namespace}", job="ledger-export"}})' in exprs
    bare = env.model_copy(update={"services": {n: s.model_copy(update={"business_metrics": ()})
                                               for n, s in env.services.items()}})
    assert [p["type"] for p in business.business(bare)["panels"]] == ["text"]


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_node_pools_are_the_catalogs_and_the_label_kube_state_metrics_exports(catalog: Catalog, objects,
                                                                            env_name: str) -> None:
    env = catalog.environments[env_name]
    values = kube_prometheus_stack.values(env)["kube-state-metrics"]
    (allowed,) = values["metricLabelsAllowlist"]
    label = re.fullmatch(r"nodes=\[(.+)\]", allowed).group(1)
    assert label == naming.NODE_POOL_LABEL
    # kube-state-metrics v2.20.0 internal/store/utils.go: `label_` and the key with [^a-zA-Z0-9_] replaced by '_'
    assert "label_" + re.sub(r"[^a-zA-Z0-9_]", "_", label) == kube_prometheus_stack.NODE_POOL_METRIC_LABEL
    panels = overview(objects[env_name], env, "infrastructure")["panels"]
    pools = {name: group for name, group in env.node_groups if group is not None}
    stats = [p for p in panels if p["type"] == "stat" and "nodes ready" in p["title"]]
    assert [p["title"] for p in stats] == [f"{name}: nodes ready (min {group.min}, max {group.max})"
                                           for name, group in pools.items()]
    for panel, name in zip(stats, pools, strict=True):
        assert f'{kube_prometheus_stack.NODE_POOL_METRIC_LABEL}="{name}"' in panel["targets"][0]["expr"]
    assert infrastructure.KIND in BUILDERS


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_security_reads_the_environments_waf_and_exporters_that_are_scraped(catalog: Catalog, objects,
                                                                          env_name: str) -> None:
    env = catalog.environments[env_name]
    board = overview(objects[env_name], env, "security")
    waf = [t for t in queries(board) if t["datasource"]["type"] == "cloudwatch"]
    assert waf and all(t["dimensions"]["WebACL"] == naming.waf_acl_name(naming.stack_name(env))
                       and t["region"] == t["dimensions"]["Region"] == env.region for t in waf)
    grafana = kube_prometheus_stack.values(env)["grafana"]
    (source,) = [s for s in grafana["additionalDataSources"] if s["type"] == "cloudwatch"]
    assert source["uid"] == kube_prometheus_stack.CLOUDWATCH_UID and source["jsonData"]["authType"] == "default"
    assert grafana["serviceAccount"]["annotations"]["eks.amazonaws.com/role-arn"] == naming.role_arn(
        env, naming.addon_role_name(env, "grafana"))
    assert cert_manager.values(env)["prometheus"]["servicemonitor"]["enabled"] is True
    assert external_secrets.values(env)["serviceMonitor"]["enabled"] is True
    (note,) = [p for p in board["panels"] if p["type"] == "text"]
    assert note["options"]["content"] == security.NETWORK_POLICY_NOTE
    assert not any("network_policy" in t.get("expr", "") for t in queries(board))


def test_the_exporter_list_was_checked_against_the_pinned_addons() -> None:
    for exporter in EXPORTERS:
        assert ADDONS[exporter.addon].version == exporter.pinned, (
            f"{exporter.addon} is now {ADDONS[exporter.addon].version}: check {exporter.name}'s metrics at the "
            f"version it ships, then update exporter_metrics.py")
        assert exporter.version in exporter.source and exporter.metrics
