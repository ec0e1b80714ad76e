"""Logs reach Loki (k8s_charts.addons.alloy): Alloy runs as a DaemonSet on every node of every pool in every
environment, pushes to the Loki gateway the platform installs, and the network policies let it through.
Expectations come from the catalog, Terraform's node groups, the Loki module and the rendered policies."""

from __future__ import annotations

import re
from typing import Any

import pytest
from catalog_params import ENVIRONMENTS
from infra_support import resources

from catalog import Catalog, naming
from catalog.platform_pods import NODE_DAEMONS
from k8s_charts.addons import ADDONS
from k8s_charts.addons.base import chart_selector

ALLOY = ADDONS["alloy"]
LOKI = ADDONS["loki"]
# The pods each chart labels: Alloy's DaemonSet, the Loki chart's gateway (its Service is `<release>-gateway`).
ALLOY_POD = chart_selector(ALLOY.chart, ALLOY.name)
GATEWAY_POD = {**chart_selector(LOKI.chart, LOKI.name), "app.kubernetes.io/component": "gateway"}
# What the EKS node group API calls the effects Kubernetes spells otherwise.
EFFECTS = {"NO_SCHEDULE": "NoSchedule", "NO_EXECUTE": "NoExecute", "PREFER_NO_SCHEDULE": "PreferNoSchedule"}


@pytest.fixture(scope="module")
def cluster_policies(platform_objects) -> dict[str, list[dict[str, Any]]]:
    """Each environment's NetworkPolicies, as synth renders them."""
    return {name: [obj for obj in objects if obj["kind"] == "NetworkPolicy"]
            for name, objects in platform_objects.items()}


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    expressions = selector.get("matchExpressions", [])
    assert all(e["operator"] == "In" for e in expressions), "extend this evaluator"
    return (selector.get("matchLabels", {}).items() <= labels.items()
            and all(labels.get(e["key"]) in e["values"] for e in expressions))


def peer_matches(peer: dict[str, Any], home: str, namespace: str, labels: dict[str, str]) -> bool:
    """Whether a NetworkPolicy peer, in a policy of namespace `home`, is a pod of `namespace` with `labels`."""
    if "ipBlock" in peer:
        return False
    if "namespaceSelector" in peer:
        in_namespace = selects(peer["namespaceSelector"], {"kubernetes.io/metadata.name": namespace})
    else:
        in_namespace = namespace == home
    return in_namespace and selects(peer.get("podSelector", {}), labels)


def admits(policies: list[dict[str, Any]], direction: str, pod: tuple[str, dict[str, str]],
           peer: tuple[str, dict[str, str]]) -> bool:
    """Whether some `direction` policy over `pod` allows the flow with `peer` on every port."""
    side = "from" if direction == "Ingress" else "to"
    (namespace, labels) = pod
    for policy in policies:
        spec = policy["spec"]
        if (policy["metadata"]["namespace"] != namespace or direction not in spec["policyTypes"]
                or not selects(spec["podSelector"], labels)):
            continue
        for rule in spec.get(direction.lower(), []):
            if "ports" not in rule and any(peer_matches(p, namespace, *peer) for p in rule.get(side, [])):
                return True
    return False


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_alloy_runs_on_every_node_of_every_pool(infra, catalog: Catalog, env_name: str) -> None:
    """A DaemonSet, tolerating every taint Terraform puts on a node group, and selecting no pool."""
    env = catalog.environments[env_name]
    controller = ALLOY.values(env)["controller"]
    assert controller["type"] == "daemonset"
    assert not controller.get("nodeSelector") and not controller.get("affinity")
    tolerated = {(t["key"], t["value"], t["effect"]) for t in controller["tolerations"] if t["operator"] == "Equal"}
    groups = resources(infra.json(naming.stack_name(env)), "aws_eks_node_group").values()
    taints = {(t["key"], t["value"], EFFECTS[t["effect"]]) for group in groups for t in group.get("taint", [])}
    assert taints, "the gpu pool is tainted everywhere"
    assert taints <= tolerated
    # And the capacity check counts it on the tainted pools as well.
    (daemon,) = [daemon for daemon in NODE_DAEMONS if daemon.name == ALLOY.name]
    assert daemon.tainted_pools


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_alloy_pushes_to_the_loki_gateway_grafana_reads(catalog: Catalog, env_name: str) -> None:
    env = catalog.environments[env_name]
    content = ALLOY.values(env)["alloy"]["configMap"]["content"]
    (url,) = re.findall(r'^\s*url\s*=\s*"([^"]+)"', content, flags=re.MULTILINE)
    assert url == f"http://{LOKI.name}-gateway.{LOKI.namespace}.svc.cluster.local/loki/api/v1/push"
    grafana = ADDONS["kube-prometheus-stack"].values(env)["grafana"]["additionalDataSources"]
    (reads,) = [source["url"] for source in grafana if source["type"] == "loki"]
    assert url.startswith(f"{reads}/")
    # Alloy sends no X-Scope-OrgID: a multi-tenant Loki would refuse every push without `tenant_id`.
    assert LOKI.values(env)["loki"]["auth_enabled"] is False
    assert not re.search(r"^\s*tenant_id\s*=", content, flags=re.MULTILINE)
    assert f'environment = "{env.name}"' in content and f'cluster     = "{naming.eks_cluster_name(env)}"' in content


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_alloy_tails_only_its_own_node_with_only_the_chosen_labels(catalog: Catalog, env_name: str) -> None:
    content = ALLOY.values(catalog.environments[env_name])["alloy"]["configMap"]["content"]
    assert 'field = "spec.nodeName=" + sys.env("HOSTNAME")' in content
    assert set(re.findall(r'target_label\s*=\s*"([^"]+)"', content)) == {"namespace", "pod", "container", "app"}
    assert "labelmap" not in content and "{{" not in content  # no labels wholesale; nothing for Helm's tpl


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_the_network_policies_let_alloy_reach_loki_and_the_api(cluster_policies, env_name: str) -> None:
    policies = cluster_policies[env_name]
    collector, gateway = (ALLOY.namespace, ALLOY_POD), (LOKI.namespace, GATEWAY_POD)
    assert admits(policies, "Egress", collector, gateway)
    assert admits(policies, "Ingress", gateway, collector)
    # Not vacuous: a pod of another namespace with Alloy's labels is not admitted.
    assert not admits(policies, "Ingress", gateway, ("services", ALLOY_POD))
    api = [rule for policy in policies if policy["metadata"]["namespace"] == ALLOY.namespace
           for rule in policy["spec"].get("egress", [])
           if {"ipBlock": {"cidr": naming.KUBERNETES_SERVICE_CIDR}} in rule.get("to", [])]
    assert api and api[0]["ports"] == [{"protocol": "TCP", "port": 443}]


def test_alloy_reads_nothing_but_pods_their_logs_and_namespaces(catalog: Catalog) -> None:
    """The chart's default ClusterRole reads every Secret and ConfigMap; ours reads what log collection needs."""
    rbac = ALLOY.values(next(iter(catalog.environments.values())))["rbac"]
    granted = {(resource, verb) for rule in rbac["rules"] + rbac["clusterRules"]
               for resource in rule["resources"] for verb in rule["verbs"]}
    assert {resource for resource, _ in granted} == {"pods", "pods/log", "namespaces"}
    assert {verb for _, verb in granted} == {"get", "list", "watch"}
