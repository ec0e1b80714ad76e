"""NamespacesChart: Pod Security labels, Istio toggle, quota sizing, container defaults, baseline policies."""

from __future__ import annotations

from typing import Any

import cdk8s
import kubernetes_validate
import pytest

from catalog import Catalog, Environment
from catalog.models import Gpu
from k8s_charts.namespaces import NamespacesChart

Rendered = dict[tuple[str, str, str], dict[str, Any]]
WORKLOAD_NAMESPACES = ("platform-core", "services")


def render(catalog: Catalog, env: Environment) -> Rendered:
    chart = NamespacesChart(cdk8s.Testing.app(), "namespaces", catalog=catalog, env=env)
    assert chart.folder == "cluster"
    return {(obj["kind"], obj["metadata"].get("namespace", ""), obj["metadata"]["name"]): obj
            for obj in cdk8s.Testing.synth(chart)}


@pytest.fixture(scope="module")
def rendered(catalog: Catalog) -> dict[str, Rendered]:
    return {name: render(catalog, env) for name, env in catalog.environments.items()}


@pytest.fixture(scope="module")
def prod(rendered: dict[str, Rendered]) -> Rendered:
    return rendered["prod"]


@pytest.mark.parametrize("env_name", ["dev", "staging", "prod"])
def test_every_object_validates_against_its_kubernetes_version(rendered, env, env_name: str) -> None:
    for obj in rendered[env_name].values():
        kubernetes_validate.validate(obj, f"{env(env_name).kubernetes_version}.0", strict=True)


@pytest.mark.parametrize(("namespace", "level"), [
    ("platform-core", "restricted"), ("services", "restricted"), ("observability", "privileged"),
    ("nginx-gateway", "restricted"), ("cert-manager", "restricted"),
])
def test_namespaces_enforce_their_pod_security_level(prod, env, namespace: str, level: str) -> None:
    labels = prod["Namespace", "", namespace]["metadata"]["labels"]
    for mode in ("enforce", "audit", "warn"):
        assert labels[f"pod-security.kubernetes.io/{mode}"] == level
    assert labels["pod-security.kubernetes.io/enforce-version"] == f"v{env('prod').kubernetes_version}"
    assert "istio-injection" not in labels


def test_exactly_the_five_namespaces(prod) -> None:
    assert sorted(name for kind, _, name in prod if kind == "Namespace") == sorted(
        ["platform-core", "services", "observability", "nginx-gateway", "cert-manager"])


def test_istio_injection_labels_workload_namespaces_only(catalog, env) -> None:
    objects = render(catalog, env("prod").model_copy(update={"istio_injection": True}))
    for kind, _, name in objects:
        if kind == "Namespace":
            labels = objects[kind, "", name]["metadata"]["labels"]
            assert labels.get("istio-injection") == ("enabled" if name in WORKLOAD_NAMESPACES else None)
    for namespace in WORKLOAD_NAMESPACES:
        policy = objects["NetworkPolicy", namespace, "allow-istiod-egress"]["spec"]
        assert policy["egress"][0]["ports"] == [{"protocol": "TCP", "port": 15012}]
    # The sidecar's pinned resources (100m/128Mi requests, 500m/256Mi limits) are counted per pod.
    assert objects["ResourceQuota", "platform-core", "compute"]["spec"]["hard"]["limits.cpu"] == "49500m"


def test_guard_rails_only_in_workload_namespaces(prod) -> None:
    namespaced = {namespace for _, namespace, _ in prod if namespace}
    assert namespaced == set(WORKLOAD_NAMESPACES)
    for namespace in WORKLOAD_NAMESPACES:
        assert {(kind, name) for kind, ns, name in prod if ns == namespace} == {
            ("NetworkPolicy", "default-deny"), ("NetworkPolicy", "allow-dns-egress"),
            ("ResourceQuota", "compute"), ("LimitRange", "container-defaults")}


@pytest.mark.parametrize(("namespace", "hard"), [
    # 13 + 10 + 10 pods (HPA max + 25% surge) at 250m/256Mi requests, 1 CPU/512Mi limits.
    ("platform-core", {"pods": "33", "requests.cpu": "8250m", "requests.memory": "8448Mi",
                       "limits.cpu": "33000m", "limits.memory": "16896Mi", "requests.nvidia.com/gpu": "0"}),
    # 58 default-sized pods plus 8 AI orchestrator pods at 1 CPU/2Gi requests, 2 CPU/4Gi limits.
    ("services", {"pods": "66", "requests.cpu": "22500m", "requests.memory": "31232Mi",
                  "limits.cpu": "74000m", "limits.memory": "62464Mi", "requests.nvidia.com/gpu": "0"}),
])
def test_prod_quota_is_derived_from_the_services(prod, namespace: str, hard: dict[str, str]) -> None:
    assert prod["ResourceQuota", namespace, "compute"]["spec"]["hard"] == hard


def test_quota_follows_the_environment(rendered) -> None:
    # dev: every service scales to 2 pods (+1 surge), so platform-core holds 3 x 3.
    assert rendered["dev"]["ResourceQuota", "platform-core", "compute"]["spec"]["hard"]["pods"] == "9"


def test_quota_admits_gpus_only_for_gpu_services(catalog, env) -> None:
    prod_env = env("prod")
    services = dict(prod_env.services)
    gpu = Gpu(enabled=True, count=1)
    services["ai-orchestrator"] = services["ai-orchestrator"].model_copy(update={"gpu": gpu})
    objects = render(catalog, prod_env.model_copy(update={"services": services}))
    hard = {ns: objects["ResourceQuota", ns, "compute"]["spec"]["hard"] for ns in WORKLOAD_NAMESPACES}
    assert hard["services"]["requests.nvidia.com/gpu"] == "8"
    assert hard["platform-core"]["requests.nvidia.com/gpu"] == "0"


@pytest.mark.parametrize(("env_name", "request_cpu", "request_memory"), [
    ("prod", "250m", "256Mi"), ("dev", "100m", "128Mi")])
def test_limit_range_defaults_to_the_smallest_service(rendered, env_name: str, request_cpu: str,
                                                      request_memory: str) -> None:
    (limit,) = rendered[env_name]["LimitRange", "services", "container-defaults"]["spec"]["limits"]
    assert limit == {"type": "Container", "defaultRequest": {"cpu": request_cpu, "memory": request_memory},
                     "default": {"cpu": "1000m", "memory": "512Mi"}}


@pytest.mark.parametrize("namespace", WORKLOAD_NAMESPACES)
def test_default_deny_and_dns(prod, namespace: str) -> None:
    deny = prod["NetworkPolicy", namespace, "default-deny"]["spec"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    dns = prod["NetworkPolicy", namespace, "allow-dns-egress"]["spec"]
    assert dns["podSelector"] == {}
    assert dns["policyTypes"] == ["Egress"]
    (rule,) = dns["egress"]
    assert rule["to"] == [{
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
        "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
    }]
    assert rule["ports"] == [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]
