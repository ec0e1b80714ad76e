"""ServiceExtras: secrets wired to what the Deployment reads, scraping, SLO alerts and dashboards."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import cdk8s
import pytest
from crd_validation import CRD_DIR, custom_kinds, validate_builtin, validate_custom

from catalog import Catalog, naming
from k8s_charts.addons.kube_prometheus_stack import DASHBOARD_LABEL
from k8s_charts.manifest import FolderChart
from k8s_charts.service import ServiceWorkload
from k8s_charts.service_extras import ServiceExtras

ENVS = ("dev", "staging", "prod")
Rendered = dict[tuple[str, str], dict[str, Any]]


@pytest.fixture(scope="module")
def rendered(catalog: Catalog) -> dict[tuple[str, str], Rendered]:
    """(env, service) -> {(kind, name): object} for workload and extras together, as in the real chart."""
    out = {}
    for env in catalog.environments.values():
        for service in env.services.values():
            chart = FolderChart(cdk8s.Testing.app(), "chart", folder=f"{service.namespace}/{service.name}")
            ServiceWorkload(chart, "workload", catalog=catalog, env=env, service=service)
            ServiceExtras(chart, "extras", catalog=catalog, env=env, service=service)
            out[(env.name, service.name)] = {(o["kind"], o["metadata"]["name"]): o for o in cdk8s.Testing.synth(chart)}
    return out


def of_kind(objects: Rendered, kind: str) -> dict[str, dict[str, Any]]:
    return {name: obj for (k, name), obj in objects.items() if k == kind}


def test_every_object_validates_strictly(rendered: dict[tuple[str, str], Rendered]) -> None:
    if not CRD_DIR.is_dir():
        pytest.skip(f"no CRD folder at {CRD_DIR}")
    kinds = custom_kinds()
    for (env_name, service), objects in rendered.items():
        for (kind, name), obj in objects.items():
            errors = validate_custom(obj) if (obj["apiVersion"], kind) in kinds else validate_builtin(obj)
            assert errors == [], (env_name, service, kind, name)


@pytest.mark.parametrize("env_name", ENVS)
def test_every_secret_the_deployment_reads_is_materialised(catalog: Catalog, rendered, env_name: str) -> None:
    for service in catalog.environments[env_name].services.values():
        objects = rendered[(env_name, service.name)]
        (deployment,) = of_kind(objects, "Deployment").values()
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        consumed = {ref["secretRef"]["name"] for ref in container["envFrom"] if "secretRef" in ref}
        produced = {es["spec"]["target"]["name"] for es in of_kind(objects, "ExternalSecret").values()}
        assert consumed == produced, service.name
        assert all(es["spec"]["target"]["creationPolicy"] == "Owner"
                   for es in of_kind(objects, "ExternalSecret").values())


@pytest.mark.parametrize("env_name", ENVS)
def test_vault_secrets_one_property_each(catalog: Catalog, rendered, env_name: str) -> None:
    env = catalog.environments[env_name]
    billing = env.services["billing-service"]
    secret = of_kind(rendered[(env_name, "billing-service")], "ExternalSecret")["billing-service-app"]
    assert secret["spec"]["secretStoreRef"] == {"kind": "ClusterSecretStore", "name": "vault"}
    assert secret["spec"]["target"]["name"] == naming.kubernetes_secret_name(billing, "app")
    assert secret["spec"]["data"] == [
        {"secretKey": "STRIPE_API_KEY",
         "remoteRef": {"key": f"payledger/{env_name}/billing-service", "property": "stripe-api-key"}},
        {"secretKey": "STRIPE_WEBHOOK_SECRET",
         "remoteRef": {"key": f"payledger/{env_name}/billing-service", "property": "stripe-webhook-secret"}},
    ]
    ai = of_kind(rendered[(env_name, "ai-orchestrator")], "ExternalSecret")["ai-orchestrator-app"]
    assert {d["remoteRef"]["property"] for d in ai["spec"]["data"]} == {"openai-api-key", "bedrock-model-id"}
    for service in env.services.values():
        names = set(of_kind(rendered[(env_name, service.name)], "ExternalSecret"))
        assert (f"{service.name}-app" in names) is bool(service.vault_secrets)


@pytest.mark.parametrize("env_name", ENVS)
def test_connection_details_from_secrets_manager(catalog: Catalog, rendered, env_name: str) -> None:
    env = catalog.environments[env_name]
    for service in env.services.values():
        secrets = of_kind(rendered[(env_name, service.name)], "ExternalSecret")
        for component, wanted in (("postgres", service.depends_on.postgres), ("redis", service.depends_on.redis)):
            name = naming.kubernetes_secret_name(service, component)
            assert (name in secrets) is wanted, (service.name, component)
            if not wanted:
                continue
            spec = secrets[name]["spec"]
            assert spec["secretStoreRef"] == {"kind": "ClusterSecretStore", "name": "aws-secrets-manager"}
            assert {d["remoteRef"]["key"] for d in spec["data"]} == {f"payledger/{env_name}/{component}/connection"}
            variables = spec["target"]["template"]["data"]
            prefix = component.upper()
            assert {f"{prefix}_HOST", f"{prefix}_PORT", f"{prefix}_USER"} <= set(variables)
            assert variables[f"{prefix}_HOST"] == "{{ .host }}"
            # Every template reference is fetched.
            referenced = set(re.findall(r"\{\{ \.(\w+) \}\}", "".join(variables.values())))
            assert referenced == {d["secretKey"] for d in spec["data"]}
    auth = of_kind(rendered[(env_name, "auth-service")], "ExternalSecret")
    assert auth["auth-service-postgres"]["spec"]["target"]["template"]["data"]["POSTGRES_USER"] == "auth_service"
    assert auth["auth-service-redis"]["spec"]["target"]["template"]["data"]["REDIS_USER"] == (
        f"payledger-{env_name}-auth-service")


@pytest.mark.parametrize("env_name", ENVS)
def test_service_monitor_scrapes_the_service_port(catalog: Catalog, rendered, env_name: str) -> None:
    for service in catalog.environments[env_name].services.values():
        objects = rendered[(env_name, service.name)]
        monitor = of_kind(objects, "ServiceMonitor")[service.name]["spec"]
        svc = of_kind(objects, "Service")[service.name]
        assert monitor["endpoints"][0]["port"] in {port["name"] for port in svc["spec"]["ports"]}
        assert monitor["endpoints"][0]["path"] == service.metrics_path
        assert monitor["selector"]["matchLabels"].items() <= svc["metadata"]["labels"].items()
        assert monitor["namespaceSelector"] == {"matchNames": [service.namespace]}


def _rules(objects: Rendered, service: str) -> tuple[dict[str, str], list[dict[str, Any]]]:
    rule = of_kind(objects, "PrometheusRule")[f"{service}-slo"]
    records = {r["record"]: r["expr"] for g in rule["spec"]["groups"] for r in g["rules"] if "record" in r}
    alerts = [r for g in rule["spec"]["groups"] for r in g["rules"] if "alert" in r]
    return records, alerts


def test_multi_window_burn_rate_alerts(rendered) -> None:
    records, alerts = _rules(rendered[("prod", "billing-service")], "billing-service")
    burns = {a["labels"]["window"]: a for a in alerts if a["alert"] == "BillingServiceErrorBudgetBurn"}
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
    assert 'job="billing-service"' in records["slo:http_error_ratio:rate5m"]


def test_latency_and_error_rate_alerts(rendered) -> None:
    _, alerts = _rules(rendered[("prod", "api-gateway")], "api-gateway")
    by_name = {a["alert"]: a for a in alerts}
    assert "histogram_quantile(0.99" in by_name["ApiGatewayHighLatencyP99"]["expr"]
    assert by_name["ApiGatewayHighErrorRate"]["expr"].endswith("> 0.05")


def test_every_alert_links_an_existing_runbook_section(rendered) -> None:
    """runbook_url points at docs/runbooks.md in the GitOps repo, at a heading that exists."""
    root = Path(__file__).resolve().parent.parent
    headings = {line[3:].strip() for line in (root / "docs/runbooks.md").read_text().splitlines()
                if line.startswith("## ")}
    _, alerts = _rules(rendered[("prod", "api-gateway")], "api-gateway")
    assert alerts
    for alert in alerts:
        url = alert["annotations"]["runbook_url"]
        assert url.startswith("https://github.com/payledger/payledger-infrastructure/blob/main/docs/runbooks.md#")
        assert url.partition("#")[2] in headings, url


@pytest.mark.parametrize("env_name", ENVS)
def test_dashboard_is_found_by_the_grafana_sidecar(catalog: Catalog, rendered, env_name: str) -> None:
    label, value = DASHBOARD_LABEL
    for service in catalog.environments[env_name].services.values():
        config = of_kind(rendered[(env_name, service.name)], "ConfigMap")[f"{service.name}-dashboard"]
        assert config["metadata"]["labels"][label] == value
        assert config["metadata"]["namespace"] == service.namespace
        dashboard = json.loads(config["data"][f"{service.name}.json"])
        assert dashboard["title"] == f"{service.name} ({env_name})"
        assert len(dashboard["panels"]) == 4
        assert all(f'job="{service.name}"' in p["targets"][0]["expr"] for p in dashboard["panels"])
