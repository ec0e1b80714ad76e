"""NamespacesChart: Pod Security labels, Istio toggle, quota sizing, container defaults, baseline policies.

Namespaces, environments and the services a quota holds come from the catalog (tests/catalog_params.py);
the expected quota is computed here from the services' catalog fields and the chart's declared surge and
sidecar size, not by the chart's own functions.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import cdk8s
import pytest
from catalog_params import ENVIRONMENTS, WORKLOAD_NAMESPACES
from crd_validation import validate_builtin

from catalog import Catalog, Environment, Service
from catalog.footprint import (
    EGRESS_PROXY_REPLICAS,
    EGRESS_PROXY_RESOURCES,
    ISTIO_PROXY,
    ROLLOUT_SURGE_PERCENT,
    PodFootprint,
)
from catalog.models import Gpu
from k8s_charts.addons import ADDONS
from k8s_charts.namespaces import NamespacesChart

Rendered = dict[tuple[str, str, str], dict[str, Any]]


def render(catalog: Catalog, env: Environment) -> Rendered:
    chart = NamespacesChart(cdk8s.Testing.app(), "namespaces", catalog=catalog, env=env)
    assert chart.folder == "cluster"
    return {(obj["kind"], obj["metadata"].get("namespace", ""), obj["metadata"]["name"]): obj
            for obj in cdk8s.Testing.synth(chart)}


@pytest.fixture(scope="module")
def rendered(catalog: Catalog) -> dict[str, Rendered]:
    return {name: render(catalog, env) for name, env in catalog.environments.items()}


def mebibytes(size: int) -> int:
    return math.ceil(size / 1024**2)


def deployments(services: list[Service]) -> list[tuple[int, PodFootprint]]:
    """(autoscaling maximum, pod) of each Deployment: every service's, and the egress proxy of each PCI-scoped
    service that reaches the internet (k8s_charts.egress_proxy)."""
    found = []
    for s in services:
        requests, limits = s.resources.requests, s.resources.limits
        found.append((s.autoscaling.max, PodFootprint(requests.cpu_millis, requests.memory_bytes, limits.cpu_millis,
                                                      limits.memory_bytes, s.gpu.count if s.gpu.enabled else 0)))
        if s.pci_scope and s.depends_on.external:
            found.append((EGRESS_PROXY_REPLICAS[1], PodFootprint.of(EGRESS_PROXY_RESOURCES)))
    return found


def expected_quota(services: list[Service], proxy: PodFootprint) -> dict[str, str]:
    """Room for each Deployment at its autoscaling maximum plus a rollout's surge (rounded up), each pod at
    its resources plus `proxy`, the sidecar's."""
    def total(per_pod: Callable[[PodFootprint], int]) -> int:
        return sum((peak + math.ceil(peak * ROLLOUT_SURGE_PERCENT / 100)) * per_pod(pod)
                   for peak, pod in deployments(services))

    return {
        "pods": str(total(lambda pod: 1)),
        "requests.cpu": f"{total(lambda pod: pod.requests_cpu + proxy.requests_cpu)}m",
        "requests.memory": f"{mebibytes(total(lambda pod: pod.requests_memory + proxy.requests_memory))}Mi",
        "limits.cpu": f"{total(lambda pod: pod.limits_cpu + proxy.limits_cpu)}m",
        "limits.memory": f"{mebibytes(total(lambda pod: pod.limits_memory + proxy.limits_memory))}Mi",
        "requests.nvidia.com/gpu": str(total(lambda pod: pod.gpus)),
    }


def expected_quotas(env: Environment) -> dict[str, dict[str, str]]:
    """Each workload namespace that runs services, with the pinned Istio sidecar counted when injected."""
    proxy = ISTIO_PROXY if env.istio_injection else PodFootprint(0, 0, 0, 0, 0)
    return {namespace: expected_quota(in_namespace(env, namespace), proxy)
            for namespace in WORKLOAD_NAMESPACES if in_namespace(env, namespace)}


def quotas(objects: Rendered) -> dict[str, dict[str, str]]:
    return {namespace: objects["ResourceQuota", namespace, "compute"]["spec"]["hard"]
            for namespace in WORKLOAD_NAMESPACES if ("ResourceQuota", namespace, "compute") in objects}


def in_namespace(env: Environment, namespace: str) -> list[Service]:
    return [service for service in env.services.values() if service.namespace == namespace]


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_every_object_validates_strictly(catalog: Catalog, rendered, env_name: str) -> None:
    version = catalog.environments[env_name].kubernetes_version
    for key, obj in rendered[env_name].items():
        assert validate_builtin(obj, version) == [], key


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_namespaces_enforce_their_pod_security_level(catalog: Catalog, rendered, env_name: str) -> None:
    env = catalog.environments[env_name]
    levels = {addon.namespace: addon.pod_security for addon in ADDONS.values()}  # one level per add-on namespace
    levels |= {name: namespace.pod_security for name, namespace in catalog.namespaces.items()}  # the catalog wins
    assert sorted(name for kind, _, name in rendered[env_name] if kind == "Namespace") == sorted(levels)
    for name, level in levels.items():
        labels = rendered[env_name]["Namespace", "", name]["metadata"]["labels"]
        for mode in ("enforce", "audit", "warn"):
            assert labels[f"pod-security.kubernetes.io/{mode}"] == level
        assert labels["pod-security.kubernetes.io/enforce-version"] == f"v{env.kubernetes_version}"
        assert labels.get("istio-injection") == ("enabled" if env.istio_injection and name in WORKLOAD_NAMESPACES
                                                 else None)


def test_istio_injection_labels_workload_namespaces_only(catalog: Catalog) -> None:
    env = next(iter(catalog.environments.values())).model_copy(update={"istio_injection": True})
    objects = render(catalog, env)
    for name, namespace in catalog.namespaces.items():
        labels = objects["Namespace", "", name]["metadata"]["labels"]
        assert labels.get("istio-injection") == ("enabled" if namespace.workloads else None)
    for namespace in WORKLOAD_NAMESPACES:
        policy = objects["NetworkPolicy", namespace, "allow-istiod-egress"]["spec"]
        assert policy["egress"][0]["ports"] == [{"protocol": "TCP", "port": 15012}]
    assert quotas(objects) == expected_quotas(env)  # the sidecar's pinned resources counted per pod


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_quotas_only_in_workload_namespaces(catalog: Catalog, rendered, env_name: str) -> None:
    """Add-on namespaces get their own flows (tests/test_namespace_policies.py), never a quota."""
    objects = rendered[env_name]
    assert {ns for kind, ns, _ in objects if kind in ("ResourceQuota", "LimitRange")} <= set(WORKLOAD_NAMESPACES)
    for namespace in WORKLOAD_NAMESPACES:
        sized = [("ResourceQuota", "compute"), ("LimitRange", "container-defaults")]
        assert {(kind, name) for kind, ns, name in objects if ns == namespace} == {
            ("NetworkPolicy", "default-deny"), ("NetworkPolicy", "allow-dns-egress"),
            *(sized if in_namespace(catalog.environments[env_name], namespace) else [])}


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_quota_is_derived_from_the_services(catalog: Catalog, rendered, env_name: str) -> None:
    assert quotas(rendered[env_name]) == expected_quotas(catalog.environments[env_name])


def test_quota_admits_gpus_only_for_gpu_services(catalog: Catalog) -> None:
    env = next(iter(catalog.environments.values()))
    services = dict(env.services)
    gpu_service = next(iter(services.values()))
    services[gpu_service.name] = gpu_service.model_copy(update={"gpu": Gpu(enabled=True, count=1)})
    gpu_env = env.model_copy(update={"services": services})
    hard = quotas(render(catalog, gpu_env))
    assert hard == expected_quotas(gpu_env)
    assert {namespace for namespace, quota in hard.items() if quota["requests.nvidia.com/gpu"] != "0"} == {
        gpu_service.namespace}


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_limit_range_defaults_to_the_smallest_service(catalog: Catalog, rendered, env_name: str) -> None:
    env = catalog.environments[env_name]
    for namespace in WORKLOAD_NAMESPACES:
        services = in_namespace(env, namespace)
        if not services:
            continue
        requests = [service.resources.requests for service in services]
        limits = [service.resources.limits for service in services]
        (limit,) = rendered[env_name]["LimitRange", namespace, "container-defaults"]["spec"]["limits"]
        assert limit == {"type": "Container",
                         "defaultRequest": {"cpu": f"{min(r.cpu_millis for r in requests)}m",
                                            "memory": f"{mebibytes(min(r.memory_bytes for r in requests))}Mi"},
                         "default": {"cpu": f"{min(r.cpu_millis for r in limits)}m",
                                     "memory": f"{mebibytes(min(r.memory_bytes for r in limits))}Mi"}}


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
@pytest.mark.parametrize("namespace", WORKLOAD_NAMESPACES)
def test_default_deny_and_dns(rendered, env_name: str, namespace: str) -> None:
    objects = rendered[env_name]
    deny = objects["NetworkPolicy", namespace, "default-deny"]["spec"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    dns = objects["NetworkPolicy", namespace, "allow-dns-egress"]["spec"]
    assert dns["podSelector"] == {}
    assert dns["policyTypes"] == ["Egress"]
    (rule,) = dns["egress"]
    assert rule["to"] == [{
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
        "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
    }]
    assert rule["ports"] == [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]
