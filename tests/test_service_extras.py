"""ServiceExtras and ServiceSecrets: secrets wired to what the Deployment reads, scraping, SLO alerts, dashboards.

Every service of every environment is checked against its own catalog entry (tests/catalog_params.py).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import cdk8s
import pytest
from catalog_params import ENV_SERVICES
from crd_validation import CRD_DIR, custom_kinds, validate_builtin, validate_custom

from catalog import Catalog, naming
from k8s_charts.addons.kube_prometheus_stack import DASHBOARD_LABEL
from k8s_charts.manifest import FolderChart
from k8s_charts.service import ServiceWorkload
from k8s_charts.service_extras import ServiceExtras
from k8s_charts.service_secrets import ServiceSecrets

Rendered = dict[tuple[str, str], dict[str, Any]]


@pytest.fixture(scope="module")
def rendered(catalog: Catalog) -> dict[tuple[str, str], Rendered]:
    """(env, service) -> {(kind, name): object} for workload and extras together, as in the real chart."""
    out = {}
    for env in catalog.environments.values():
        for service in env.services.values():
            chart = FolderChart(cdk8s.Testing.app(), "chart", folder=f"{service.namespace}/{service.name}")
            ServiceWorkload(chart, "workload", env=env, service=service)
            ServiceExtras(chart, "extras", catalog=catalog, env=env, service=service)
            ServiceSecrets(chart, "secrets", env=env, service=service)
            out[(env.name, service.name)] = {(o["kind"], o["metadata"]["name"]): o for o in cdk8s.Testing.synth(chart)}
    return out


def of_kind(objects: Rendered, kind: str) -> dict[str, dict[str, Any]]:
    return {name: obj for (k, name), obj in objects.items() if k == kind}


def test_every_object_validates_strictly(catalog: Catalog, rendered: dict[tuple[str, str], Rendered]) -> None:
    if not CRD_DIR.is_dir():
        pytest.skip(f"no CRD folder at {CRD_DIR}")
    kinds = custom_kinds()
    for (env_name, service), objects in rendered.items():
        version = catalog.environments[env_name].kubernetes_version
        for (kind, name), obj in objects.items():
            errors = validate_custom(obj) if (obj["apiVersion"], kind) in kinds else validate_builtin(obj, version)
            assert errors == [], (env_name, service, kind, name)


@pytest.mark.parametrize(("env_name", "name"), ENV_SERVICES)
def test_every_secret_the_deployment_reads_is_materialised(rendered, env_name: str, name: str) -> None:
    objects = rendered[(env_name, name)]
    (deployment,) = [d for d in of_kind(objects, "Deployment").values() if d["metadata"]["name"] == name]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    consumed = {ref["secretRef"]["name"] for ref in container["envFrom"] if "secretRef" in ref}
    produced = {es["spec"]["target"]["name"] for es in of_kind(objects, "ExternalSecret").values()}
    assert consumed == produced
    assert all(es["spec"]["target"]["creationPolicy"] == "Owner" for es in of_kind(objects, "ExternalSecret").values())


@pytest.mark.parametrize(("env_name", "name"), ENV_SERVICES)
def test_vault_secrets_one_property_each(rendered, env, env_name: str, name: str) -> None:
    environment = env(env_name)
    service = environment.services[name]
    secrets = of_kind(rendered[(env_name, name)], "ExternalSecret")
    assert (f"{name}-app" in secrets) is bool(service.vault_secrets)
    if not service.vault_secrets:
        return
    secret = secrets[f"{name}-app"]
    assert secret["spec"]["secretStoreRef"] == {"kind": "SecretStore", "name": naming.secret_store_name(name, "vault")}
    assert secret["spec"]["target"]["name"] == f"{name}-app"
    path = f"{environment.project}/{env_name}/{name}"
    assert secret["spec"]["data"] == [
        {"secretKey": key.upper().replace("-", "_"), "remoteRef": {"key": path, "property": key}}
        for key in service.vault_secrets]


@pytest.mark.parametrize(("env_name", "name"), ENV_SERVICES)
def test_connection_details_from_secrets_manager(rendered, env, env_name: str, name: str) -> None:
    environment = env(env_name)
    service = environment.services[name]
    secrets = of_kind(rendered[(env_name, name)], "ExternalSecret")
    users = {"postgres": name.replace("-", "_"), "redis": f"{environment.project}-{env_name}-{name}"}
    for component, wanted in (("postgres", service.depends_on.postgres), ("redis", service.depends_on.redis)):
        assert (f"{name}-{component}" in secrets) is wanted, component
        if not wanted:
            continue
        spec = secrets[f"{name}-{component}"]["spec"]
        assert spec["secretStoreRef"] == {"kind": "SecretStore",
                                          "name": naming.secret_store_name(name, "secrets-manager")}
        assert {d["remoteRef"]["key"] for d in spec["data"]} == {
            f"{environment.project}/{env_name}/{component}/connection"}
        variables = spec["target"]["template"]["data"]
        prefix = component.upper()
        assert {f"{prefix}_HOST", f"{prefix}_PORT", f"{prefix}_USER"} <= set(variables)
        assert variables[f"{prefix}_HOST"] == "{{ .host }}"
        assert variables[f"{prefix}_USER"] == users[component]
        # Every template reference is fetched.
        referenced = set(re.findall(r"\{\{ \.(\w+) \}\}", "".join(variables.values())))
        assert referenced == {d["secretKey"] for d in spec["data"]}


@pytest.mark.parametrize(("env_name", "name"), ENV_SERVICES)
def test_service_monitor_scrapes_the_service_port(rendered, env, env_name: str, name: str) -> None:
    service = env(env_name).services[name]
    objects = rendered[(env_name, name)]
    monitor = of_kind(objects, "ServiceMonitor")[name]["spec"]
    svc = of_kind(objects, "Service")[name]
    assert monitor["endpoints"][0]["port"] in {port["name"] for port in svc["spec"]["ports"]}
    assert monitor["endpoints"][0]["path"] == service.metrics_path
    assert monitor["selector"]["matchLabels"].items() <= svc["metadata"]["labels"].items()
    assert monitor["namespaceSelector"] == {"matchNames": [service.namespace]}


def _rules(objects: Rendered, service: str) -> tuple[dict[str, str], list[dict[str, Any]]]:
    rule = of_kind(objects, "PrometheusRule")[f"{service}-slo"]
    records = {r["record"]: r["expr"] for g in rule["spec"]["groups"] for r in g["rules"] if "record" in r}
    alerts = [r for g in rule["spec"]["groups"] for r in g["rules"] if "alert" in r]
    return records, alerts


def camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("-"))


@pytest.mark.parametrize(("env_name", "name"), ENV_SERVICES)
def test_multi_window_burn_rate_alerts(rendered, env_name: str, name: str) -> None:
    records, alerts = _rules(rendered[(env_name, name)], name)
    burns = {a["labels"]["window"]: a for a in alerts if a["alert"] == f"{camel(name)}ErrorBudgetBurn"}
    assert set(burns) == {"1h/5m", "6h/30m", "1d/2h", "3d/6h"}
    assert "rate1h" in burns["1h/5m"]["expr"] and "rate5m" in burns["1h/5m"]["expr"]
    assert burns["1h/5m"]["expr"].count("> (14.4 * 0.001)") == 2
    assert burns["6h/30m"]["expr"].count("> (6.0 * 0.001)") == 2
    assert burns["1h/5m"]["labels"]["severity"] == burns["6h/30m"]["labels"]["severity"] == "critical"
    assert burns["3d/6h"]["labels"]["severity"] == "warning"
    for alert in alerts:
        for series in re.findall(r"slo:[a-z_:0-9]+", alert["expr"]):
            assert series in records, f"{alert['alert']} reads {series}, which is not recorded"
    assert 'code=~"5.."' in records["slo:http_error_ratio:rate5m"]
    assert f'job="{name}"' in records["slo:http_error_ratio:rate5m"]


@pytest.mark.parametrize(("env_name", "name"), ENV_SERVICES)
def test_latency_and_error_rate_alerts(rendered, env_name: str, name: str) -> None:
    _, alerts = _rules(rendered[(env_name, name)], name)
    by_name = {a["alert"]: a for a in alerts}
    assert "histogram_quantile(0.99" in by_name[f"{camel(name)}HighLatencyP99"]["expr"]
    assert by_name[f"{camel(name)}HighErrorRate"]["expr"].endswith("> 0.05")


@pytest.mark.parametrize(("env_name", "name"), ENV_SERVICES)
def test_every_alert_links_an_existing_runbook_section(catalog: Catalog, rendered, env_name: str, name: str) -> None:
    """runbook_url points at docs/runbooks.md in the GitOps repo, at a heading that exists."""
    root = Path(__file__).resolve().parent.parent
    headings = {line[3:].strip() for line in (root / "docs/runbooks.md").read_text().splitlines()
                if line.startswith("## ")}
    project = catalog.project
    runbooks = f"{project.gitops_repo_url.removesuffix('.git')}/blob/{project.gitops_revision}/docs/runbooks.md#"
    _, alerts = _rules(rendered[(env_name, name)], name)
    assert alerts
    for alert in alerts:
        url = alert["annotations"]["runbook_url"]
        assert url.startswith(runbooks)
        assert url.partition("#")[2] in headings, url


@pytest.mark.parametrize(("env_name", "name"), ENV_SERVICES)
def test_dashboard_is_found_by_the_grafana_sidecar(rendered, env, env_name: str, name: str) -> None:
    label, value = DASHBOARD_LABEL
    config = of_kind(rendered[(env_name, name)], "ConfigMap")[f"{name}-dashboard"]
    assert config["metadata"]["labels"][label] == value
    assert config["metadata"]["namespace"] == env(env_name).services[name].namespace
    dashboard = json.loads(config["data"][f"{name}.json"])
    assert dashboard["title"] == f"{name} ({env_name})"
    assert len(dashboard["panels"]) == 4
    assert all(f'job="{name}"' in p["targets"][0]["expr"] for p in dashboard["panels"])
