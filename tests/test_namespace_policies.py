"""Every namespace the platform creates starts at default deny, and each add-on namespace gets exactly the flows
its add-ons declare (k8s_charts.addons.base.AddonNetwork); `validate` refuses a namespace without the
baseline. Parametrized over the catalog's environments; expectations come from the catalog and the add-ons."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from catalog_params import ENVIRONMENTS
from infra_support import resources

import main
from catalog import Catalog, naming
from k8s_charts.addons import ADDONS
from k8s_charts.namespace_policies import combined

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def cluster(platform_folders) -> dict[str, dict[tuple[str, str, str], dict[str, Any]]]:
    """Each environment's cluster/ folder: (kind, namespace, name) -> object."""
    return {name: {(obj["kind"], obj["metadata"].get("namespace", ""), obj["metadata"]["name"]): obj
                   for obj in folders["cluster"]}
            for name, folders in platform_folders.items()}


def platform_namespaces(catalog: Catalog) -> set[str]:
    return set(catalog.namespaces) | {addon.namespace for addon in ADDONS.values()}


def policies(objects, namespace: str) -> dict[str, dict[str, Any]]:
    return {name: obj["spec"] for (kind, ns, name), obj in objects.items()
            if kind == "NetworkPolicy" and ns == namespace}


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_every_platform_namespace_is_created_here_and_starts_at_default_deny(catalog: Catalog, cluster,
                                                                            env_name: str) -> None:
    objects = cluster[env_name]
    assert {name for kind, _, name in objects if kind == "Namespace"} == platform_namespaces(catalog)
    for namespace in platform_namespaces(catalog):
        found = policies(objects, namespace)
        assert found[naming.DEFAULT_DENY_POLICY] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
        assert naming.DNS_EGRESS_POLICY in found


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_add_on_namespaces_allow_exactly_what_their_add_ons_declare(catalog: Catalog, cluster, env_name: str) -> None:
    env = catalog.environments[env_name]
    plan = naming.subnet_plan(env)
    private = [{"ipBlock": {"cidr": cidr}} for cidr in plan.private]
    workloads = sorted(name for name, namespace in catalog.namespaces.items() if namespace.workloads)
    for namespace in platform_namespaces(catalog) - set(workloads):
        network = combined(addon.network for addon in ADDONS.values() if addon.namespace == namespace)
        found = policies(cluster[env_name], namespace)
        expected = {naming.DEFAULT_DENY_POLICY, naming.DNS_EGRESS_POLICY, "allow-same-namespace"}
        expected |= {name for name, wanted in (
            ("allow-kube-api-egress", network.api_server), ("allow-webhooks-ingress", network.webhook_ports),
            ("allow-metrics-ingress", network.metrics_ports), ("allow-tls-egress", network.aws),
            ("allow-cluster-egress", network.scrapes_cluster), ("allow-workload-ingress", network.workload_ports))
            if wanted}
        edge = {naming.EDGE_INGRESS_POLICY, naming.EDGE_EGRESS_POLICY} if namespace == naming.EDGE_NAMESPACE else set()
        assert set(found) - edge == expected, namespace
        if network.webhook_ports:  # only the API server (its interfaces in the private subnets) calls webhooks
            (rule,) = found["allow-webhooks-ingress"]["ingress"]
            assert rule["from"] == private
            assert [port["port"] for port in rule["ports"]] == list(network.webhook_ports)
        if network.api_server:
            (rule,) = found["allow-kube-api-egress"]["egress"]
            assert rule["to"][0] == {"ipBlock": {"cidr": naming.KUBERNETES_SERVICE_CIDR}}
            assert [port["port"] for port in rule["ports"]] == [443]
        if network.workload_ports:  # only the workload namespaces send telemetry
            (rule,) = found["allow-workload-ingress"]["ingress"]
            (peer,) = rule["from"]
            assert peer["namespaceSelector"]["matchExpressions"][0]["values"] == workloads


def test_only_prometheus_reaches_the_whole_cluster(catalog: Catalog, cluster) -> None:
    for objects in cluster.values():
        broad = {ns for (kind, ns, name) in objects if kind == "NetworkPolicy" and name == "allow-cluster-egress"}
        assert broad == {ADDONS["kube-prometheus-stack"].namespace}


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_no_add_on_creates_its_own_namespace(catalog: Catalog, env_name: str) -> None:
    """cluster/ creates them all, with their Pod Security level and network baseline, before any add-on syncs."""
    folder = ROOT / "gitops_out" / env_name / "apps"
    for addon in ADDONS.values():
        application = yaml.safe_load((folder / f"application-argocd-{addon.name}.yaml").read_text())
        assert "CreateNamespace=false" in application["spec"]["syncPolicy"]["syncOptions"], addon.name
        assert "managedNamespaceMetadata" not in application["spec"]["syncPolicy"], addon.name


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_the_data_plane_may_only_reach_the_public_service(catalog: Catalog, platform_folders, env_name: str) -> None:
    env = catalog.environments[env_name]
    public = next(service for service in env.services.values() if service.public)
    objects = {(obj["kind"], obj["metadata"]["name"]): obj for obj in platform_folders[env_name]["cluster-config"]}
    (rule,) = objects["NetworkPolicy", naming.EDGE_EGRESS_POLICY]["spec"]["egress"]
    (peer,) = rule["to"]
    assert peer["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": public.name}
    assert rule["ports"] == [{"protocol": "TCP", "port": public.port}]


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_services_calling_aws_reach_the_vpc_endpoints(catalog: Catalog, platform_objects, env_name: str) -> None:
    """STS, for the IRSA token exchange, resolves to an interface endpoint inside the VPC, not the internet."""
    env = catalog.environments[env_name]
    objects = {(obj["kind"], obj["metadata"]["name"]): obj for obj in platform_objects[env_name]}
    endpoints = [{"ipBlock": {"cidr": cidr}} for cidr in naming.subnet_plan(env).private]
    for service in env.services.values():
        rules = objects["NetworkPolicy", naming.network_policy_name(service, "egress")]["spec"]["egress"]
        assert any(rule["to"] == endpoints for rule in rules) is bool(service.aws_access), service.name


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_the_cluster_uses_the_service_range_the_policies_name(infra, catalog: Catalog, env_name: str) -> None:
    data = infra.json(naming.stack_name(catalog.environments[env_name]))
    (cluster,) = resources(data, "aws_eks_cluster").values()
    assert cluster["kubernetes_network_config"]["service_ipv4_cidr"] == naming.KUBERNETES_SERVICE_CIDR


def test_validate_refuses_a_namespace_without_default_deny(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "gitops_out"
    shutil.copytree(ROOT / "gitops_out", out)
    env_name = ENVIRONMENTS[0]
    namespace = next(iter(sorted({addon.namespace for addon in ADDONS.values()})))
    (out / env_name / "cluster" / f"networkpolicy-{namespace}-{naming.DEFAULT_DENY_POLICY}.yaml").unlink()
    monkeypatch.setattr(main, "STATE_DIR", tmp_path / "state")
    capsys.readouterr()
    assert main.main(["validate", "--out", str(out)]) == 1
    assert (f"gitops_out/{env_name}/cluster/namespace-{namespace}.yaml: Namespace/{namespace}: no default-deny "
            "NetworkPolicy") in capsys.readouterr().out
