"""Add-on contract: pinned charts, declared dependencies, Helm values derived from the catalog."""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterator
from typing import Any

import pytest
from catalog_params import ENVIRONMENTS
from crd_validation import CRD_DIR

from catalog import Catalog, naming
from k8s_charts import addons
from k8s_charts.addons import ADDONS, kube_prometheus_stack, loki, tempo

EXACT_VERSION = re.compile(r"^v?\d+\.\d+\.\d+$")
EXPECTED = {"argocd", "gateway-api-crds", "nginx-gateway-fabric", "aws-load-balancer-controller", "cert-manager",
            "external-secrets", "kube-prometheus-stack", "loki", "tempo", "alloy"}


def find(values: Any, key: str) -> Iterator[Any]:
    """Every value stored under `key` anywhere in a Helm values tree."""
    if isinstance(values, dict):
        for name, value in values.items():
            if name == key:
                yield value
            yield from find(value, key)
    elif isinstance(values, list):
        for item in values:
            yield from find(item, key)


def test_every_addon_module_is_registered_once() -> None:
    modules = [info.name for info in pkgutil.iter_modules(addons.__path__) if info.name != "base"]
    names = {importlib.import_module(f"k8s_charts.addons.{module}").ADDON.name for module in modules}
    assert names == set(ADDONS) == EXPECTED
    assert len(modules) == len(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_chart_is_pinned_to_an_exact_version(name: str) -> None:
    addon = ADDONS[name]
    assert EXACT_VERSION.match(addon.version), f"{name} chart version {addon.version!r} is not an exact pin"
    assert addon.repo_url.startswith(("https://", "oci://"))


def test_pins_match_the_crds_we_validate_against() -> None:
    """The CRD owners install the release whose CRDs ../shared/crds holds (same minor, for the operator
    kube-prometheus-stack ships); Argo CD's chart is older than its CRDs there (see k8s_charts.addons.argo_cd)."""
    sources = CRD_DIR / "SOURCES.txt"
    if not sources.is_file():
        pytest.skip(f"no {sources}")
    tags = dict(re.findall(r"^(\S+) (v[\d.]+) ", sources.read_text(), flags=re.MULTILINE))
    assert tags["cert-manager/cert-manager"] == ADDONS["cert-manager"].version
    assert tags["external-secrets/external-secrets"] == f"v{ADDONS['external-secrets'].version}"
    operator_minor = kube_prometheus_stack.OPERATOR_VERSION.rsplit(".", 1)[0]
    assert tags["prometheus-operator/prometheus-operator"].rsplit(".", 1)[0] == operator_minor
    assert tags["kubernetes-sigs/gateway-api"] == ADDONS["gateway-api-crds"].version
    assert tags["nginx/nginx-gateway-fabric"] == f"v{ADDONS['nginx-gateway-fabric'].version}"
    assert tags["kubernetes-sigs/aws-load-balancer-controller"] == f"v{ADDONS['aws-load-balancer-controller'].version}"


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
@pytest.mark.parametrize("name", sorted(naming.ADDON_SERVICE_ACCOUNTS.keys() & EXPECTED))
def test_irsa_service_account_and_role_arn(catalog: Catalog, env_name: str, name: str) -> None:
    env = catalog.environments[env_name]
    addon = ADDONS[name]
    account = naming.ADDON_SERVICE_ACCOUNTS[name]
    values = addon.values(env)
    assert addon.namespace == account.namespace
    assert values["serviceAccount"]["name"] == account.name
    assert values["serviceAccount"]["annotations"] == {
        "eks.amazonaws.com/role-arn": f"arn:aws:iam::{env.account_id}:role/{env.project}-{env.name}-addon-{name}"
    }
    assert values["serviceAccount"]["annotations"]["eks.amazonaws.com/role-arn"] == naming.role_arn(
        env, naming.addon_role_name(env, name))


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_object_storage_buckets(catalog: Catalog, env_name: str) -> None:
    env = catalog.environments[env_name]
    loki_bucket, tempo_bucket = (f"{env.project}-{env.name}-{use}-{env.account_id}" for use in ("loki", "tempo"))
    storage = loki.values(env)["loki"]["storage"]
    assert storage["bucketNames"] == {"chunks": loki_bucket, "ruler": loki_bucket, "admin": loki_bucket}
    assert storage["s3"]["region"] == env.region
    trace = tempo.values(env)["tempo"]["storage"]["trace"]
    assert trace["backend"] == "s3"
    assert trace["s3"]["bucket"] == naming.bucket_name(env, "tempo") == tempo_bucket


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_replicas_follow_the_environment(catalog: Catalog, env_name: str) -> None:
    env = catalog.environments[env_name]
    n = env.addon_replicas
    assert ADDONS["cert-manager"].values(env)["replicaCount"] == n
    assert ADDONS["external-secrets"].values(env)["replicaCount"] == n
    assert ADDONS["nginx-gateway-fabric"].values(env)["nginxGateway"]["replicas"] == n
    assert ADDONS["nginx-gateway-fabric"].values(env)["nginx"]["replicas"] == n
    assert ADDONS["aws-load-balancer-controller"].values(env)["replicaCount"] == n
    assert ADDONS["kube-prometheus-stack"].values(env)["prometheus"]["prometheusSpec"]["replicas"] == n
    # Loki: one replica, or enough for a write quorum that survives losing one; no simple-scalable targets.
    assert loki.values(env)["singleBinary"]["replicas"] == (1 if n == 1 else max(n, loki.REPLICATION_FACTOR))
    assert {loki.values(env)[path]["replicas"] for path in ("read", "write", "backend")} == {0}
    assert tempo.values(env)["replicas"] == 1  # the single binary forms no cluster (k8s_charts.addons.tempo)
    # A disruption budget on a single replica would block node drains.
    assert ADDONS["cert-manager"].values(env)["podDisruptionBudget"]["enabled"] is (n > 1)


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
@pytest.mark.parametrize("name", sorted(name for name in EXPECTED if ADDONS[name].values))
def test_resources_are_set(catalog: Catalog, env_name: str, name: str) -> None:
    # Container resources are maps; RBAC rules' `resources` are lists of API resources, and a volume
    # claim's `resources` request storage.
    values = ADDONS[name].values(catalog.environments[env_name])
    resources = [r for r in find(values, "resources") if isinstance(r, dict) and "storage" not in r.get("requests", {})]
    assert resources and all({"requests", "limits"} <= set(r) for r in resources), name


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_servicemonitor_creators_depend_on_the_crd_owner(catalog: Catalog, env_name: str) -> None:
    env = catalog.environments[env_name]
    creators = {name for name, addon in ADDONS.items() if addon.values
                if any(monitor.get("enabled") for key in ("serviceMonitor", "servicemonitor")
                       for monitor in find(addon.values(env), key))}
    # Argo CD installs before any ServiceMonitor CRD exists, so it ships none; NGF's chart has none.
    assert creators == EXPECTED - {"kube-prometheus-stack", "argocd", "gateway-api-crds", "nginx-gateway-fabric"}
    for name in creators:
        assert "kube-prometheus-stack" in ADDONS[name].depends_on, name


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_prometheus_and_grafana_select_from_every_namespace(catalog: Catalog, env_name: str) -> None:
    values = kube_prometheus_stack.values(catalog.environments[env_name])
    spec = values["prometheus"]["prometheusSpec"]
    assert spec["serviceMonitorSelectorNilUsesHelmValues"] is False
    assert spec["ruleSelectorNilUsesHelmValues"] is False
    sidecar = values["grafana"]["sidecar"]["dashboards"]
    assert (sidecar["label"], sidecar["labelValue"]) == kube_prometheus_stack.DASHBOARD_LABEL
    assert sidecar["searchNamespace"] == "ALL"
    assert ADDONS["kube-prometheus-stack"].server_side_apply


def test_services_export_traces_to_the_tempo_release() -> None:
    assert f"http://{tempo.OTLP_GRPC_HOST}" == tempo.OTLP_ENDPOINT
    assert tempo.ADDON.name == "tempo" and tempo.NAMESPACE == "observability"
