"""The flows of the namespaces add-ons run in, on top of the default deny every platform namespace starts with.

Each add-on declares what its pods need (k8s_charts.addons.base.AddonNetwork); a namespace gets the
union of its add-ons' needs, for all its pods: its own pods talk to each other, the Kubernetes API,
the API server calling webhooks, Prometheus scraping, AWS and other TLS services, and the workload
namespaces' pods sending telemetry. Nothing else gets in or out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from catalog import naming
from k8s_charts.addons.base import AddonNetwork
from k8s_charts.network_policy import INTERNET, PROMETHEUS, Peer, pod_peer, policy, policy_metadata, tcp

__all__ = ["SAME_NAMESPACE_POLICY", "addon_namespace_policies", "combined"]

SAME_NAMESPACE_POLICY = "allow-same-namespace"
ALL_PODS: dict[str, Any] = {}


def combined(networks: Iterable[AddonNetwork]) -> AddonNetwork:
    """What the add-ons sharing one namespace need together."""
    networks = list(networks)
    return AddonNetwork(
        api_server=any(n.api_server for n in networks),
        webhook_ports=tuple(sorted({p for n in networks for p in n.webhook_ports})),
        metrics_ports=tuple(sorted({p for n in networks for p in n.metrics_ports})),
        aws=any(n.aws for n in networks),
        scrapes_cluster=any(n.scrapes_cluster for n in networks),
        workload_ports=tuple(sorted({p for n in networks for p in n.workload_ports})),
    )


def _blocks(cidrs: Iterable[str]) -> list[Peer]:
    return [{"ipBlock": {"cidr": cidr}} for cidr in cidrs]


def addon_namespace_policies(*, namespace: str, network: AddonNetwork, vpc_cidr: str,
                             private_subnets: Sequence[str], workload_namespaces: Sequence[str],
                             labels: dict[str, str]) -> list[dict[str, Any]]:
    """One NetworkPolicy per kind of flow `network` asks for.

    `private_subnets` hold the EKS control plane's network interfaces (the API server, which also calls
    the webhooks) and the VPC's interface endpoints (STS among them, for IRSA); the Kubernetes API is
    also reached through its Service address in naming.KUBERNETES_SERVICE_CIDR.
    """
    def make(name: str, kind: str, rules: list[dict[str, Any]]) -> dict[str, Any]:
        return policy(policy_metadata(name, namespace, labels), ALL_PODS, kind, rules)

    policies = [{
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": policy_metadata(SAME_NAMESPACE_POLICY, namespace, labels),
        "spec": {"podSelector": ALL_PODS, "policyTypes": ["Ingress", "Egress"],
                 "ingress": [{"from": [{"podSelector": ALL_PODS}]}], "egress": [{"to": [{"podSelector": ALL_PODS}]}]},
    }]
    if network.api_server:
        policies.append(make("allow-kube-api-egress", "Egress", [{
            "to": _blocks((naming.KUBERNETES_SERVICE_CIDR, *private_subnets)), "ports": tcp(443)}]))
    if network.webhook_ports:
        policies.append(make("allow-webhooks-ingress", "Ingress", [{
            "from": _blocks(private_subnets), "ports": tcp(*network.webhook_ports)}]))
    if network.metrics_ports:
        policies.append(make("allow-metrics-ingress", "Ingress", [{
            "from": [pod_peer(*PROMETHEUS)], "ports": tcp(*network.metrics_ports)}]))
    if network.aws:
        policies.append(make("allow-tls-egress", "Egress", [{
            "to": [*_blocks(private_subnets), INTERNET], "ports": tcp(443)}]))
    if network.scrapes_cluster:
        policies.append(make("allow-cluster-egress", "Egress", [{"to": _blocks((vpc_cidr,))}]))
    if network.workload_ports:
        policies.append(make("allow-workload-ingress", "Ingress", [{
            "from": [{"namespaceSelector": {"matchExpressions": [{
                "key": "kubernetes.io/metadata.name", "operator": "In", "values": list(workload_namespaces)}]}}],
            "ports": tcp(*network.workload_ports)}]))
    return policies
