"""NetworkPolicy manifests: a namespace-wide default deny, then one allow-list per direction per service.

Policies are additive, so the default deny plus the allow-lists is exactly the set of flows the
catalog declares. Peers are selected by the labels the API server and the Helm charts set
(`kubernetes.io/metadata.name`, `app.kubernetes.io/name`), never by IP, except for what lives
outside the cluster (data subnets, the internet).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from catalog import naming
from catalog.models import Service
from k8s_charts.addons import kube_prometheus_stack, tempo
from k8s_charts.addons.nginx_gateway_fabric import data_plane_labels

__all__ = [
    "EDGE_DATA_PLANE",
    "INTERNET",
    "NON_INTERNET_RANGES",
    "PROMETHEUS",
    "TEMPO",
    "Peer",
    "allow_dns_egress",
    "allow_istiod_egress",
    "default_deny",
    "edge_egress",
    "edge_ingress",
    "pod_peer",
    "policy",
    "policy_metadata",
    "service_egress",
    "service_ingress",
    "tcp",
]

Peer = dict[str, Any]

# Labels the upstream software puts on its pods (NGINX Gateway Fabric's data plane, kube-prometheus-stack,
# tempo).
EDGE_DATA_PLANE = (naming.EDGE_NAMESPACE, data_plane_labels(naming.EDGE_GATEWAY))
PROMETHEUS = (kube_prometheus_stack.NAMESPACE, {"app.kubernetes.io/name": "prometheus"})
TEMPO = (tempo.NAMESPACE, {"app.kubernetes.io/name": "tempo"})
# "The internet" for egress: everything but private, shared (CGNAT) and link-local (IMDS) space.
NON_INTERNET_RANGES = ("10.0.0.0/8", "100.64.0.0/10", "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16")
# The internet as a NetworkPolicy peer.
INTERNET: Peer = {"ipBlock": {"cidr": "0.0.0.0/0", "except": list(NON_INTERNET_RANGES)}}


def policy_metadata(name: str, namespace: str, labels: dict[str, str],
              annotations: dict[str, str] | None = None) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "namespace": namespace, "labels": labels}
    if annotations:
        metadata["annotations"] = annotations
    return metadata


def policy(metadata: dict[str, Any], pod_selector: dict[str, Any], kind: str,
            rules: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": metadata,
        "spec": {"podSelector": pod_selector, "policyTypes": [kind], kind.lower(): rules},
    }


def tcp(*ports: int) -> list[dict[str, Any]]:
    return [{"protocol": "TCP", "port": port} for port in ports]


def pod_peer(namespace: str, match_labels: dict[str, str]) -> Peer:
    """Pods with `match_labels` in `namespace` (both selectors in one peer: an AND, not an OR)."""
    return {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}},
        "podSelector": {"matchLabels": match_labels},
    }


def _service_peer(service: Service) -> Peer:
    return pod_peer(service.namespace, {"app.kubernetes.io/name": service.name})


def default_deny(*, namespace: str, labels: dict[str, str]) -> dict[str, Any]:
    """Every pod in the namespace starts with no traffic in or out; allow-lists open what is declared."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": policy_metadata(naming.DEFAULT_DENY_POLICY, namespace, labels),
        "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
    }


def allow_dns_egress(*, namespace: str, labels: dict[str, str]) -> dict[str, Any]:
    """Every pod resolves names through CoreDNS (EKS labels it k8s-app=kube-dns)."""
    return policy(policy_metadata(naming.DNS_EGRESS_POLICY, namespace, labels), {}, "Egress", [{
        "to": [pod_peer("kube-system", {"k8s-app": "kube-dns"})],
        "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
    }])


def allow_istiod_egress(*, namespace: str, labels: dict[str, str]) -> dict[str, Any]:
    """Injected sidecars fetch their configuration and certificates from istiod (XDS over TLS on 15012)."""
    return policy(policy_metadata(naming.ISTIOD_EGRESS_POLICY, namespace, labels), {}, "Egress", [{
        "to": [pod_peer("istio-system", {"app": "istiod"})],
        "ports": tcp(15012),
    }])


def service_ingress(*, service: Service, callers: list[Service], selector: dict[str, str],
                    labels: dict[str, str]) -> dict[str, Any]:
    """Who may open connections to `service`: its declared callers, Prometheus, and (if public) the NGINX
    data plane."""
    rules: list[dict[str, Any]] = []
    if callers:
        rules.append({"from": [_service_peer(caller) for caller in callers], "ports": tcp(service.port)})
    if service.public:
        rules.append({"from": [pod_peer(*EDGE_DATA_PLANE)], "ports": tcp(service.port)})
    rules.append({"from": [pod_peer(*PROMETHEUS)], "ports": tcp(service.port)})
    metadata = policy_metadata(naming.network_policy_name(service, "ingress"), service.namespace, labels)
    return policy(metadata, {"matchLabels": selector}, "Ingress", rules)


def service_egress(*, service: Service, dependencies: list[Service], data_subnets: tuple[str, ...],
                   internet_hosts: tuple[str, ...], selector: dict[str, str], labels: dict[str, str],
                   proxy: tuple[Peer, int] | None = None, aws_endpoints: Sequence[str] = ()) -> dict[str, Any]:
    """Where `service` may connect: its dependencies, its data stores, named internet hosts, and Tempo.

    NetworkPolicy cannot match host names, so internet egress is TCP 443 to public address space,
    or, with `proxy` (its pods and port), only to the proxy that enforces the names; the annotation
    records which hosts the rule exists for. `aws_endpoints`: the subnets of the VPC's interface
    endpoints, where STS (IRSA's token exchange) resolves inside the VPC.
    """
    rules = [{"to": [_service_peer(target)], "ports": tcp(target.port)} for target in dependencies]
    data_stores = [port for port, wanted in ((naming.POSTGRES_PORT, service.depends_on.postgres),
                                             (naming.REDIS_PORT, service.depends_on.redis)) if wanted]
    if data_stores:
        rules.append({"to": [{"ipBlock": {"cidr": cidr}} for cidr in data_subnets],
                      "ports": tcp(*data_stores)})
    if internet_hosts and proxy:
        peer, port = proxy
        rules.append({"to": [peer], "ports": tcp(port)})
    elif internet_hosts:
        rules.append({"to": [INTERNET], "ports": tcp(443)})
    if aws_endpoints:
        rules.append({"to": [{"ipBlock": {"cidr": cidr}} for cidr in aws_endpoints], "ports": tcp(443)})
    rules.append({"to": [pod_peer(*TEMPO)], "ports": tcp(tempo.OTLP_GRPC_PORT)})
    annotations = {"payledger.io/egress-hosts": ",".join(internet_hosts)} if internet_hosts else None
    metadata = policy_metadata(naming.network_policy_name(service, "egress"), service.namespace, labels, annotations)
    return policy(metadata, {"matchLabels": selector}, "Egress", rules)


def edge_egress(*, namespace: str, selector: dict[str, str], service: Service,
                labels: dict[str, str]) -> dict[str, Any]:
    """Where the NGINX data plane may connect: the public service it routes to, and nothing else."""
    metadata = policy_metadata(naming.EDGE_EGRESS_POLICY, namespace, labels)
    return policy(metadata, {"matchLabels": selector}, "Egress",
                  [{"to": [_service_peer(service)], "ports": tcp(service.port)}])


def edge_ingress(*, namespace: str, selector: dict[str, str], load_balancer_cidrs: Sequence[str],
                 ports: Sequence[int], metrics_port: int, labels: dict[str, str]) -> dict[str, Any]:
    """Who may open connections to the NGINX data plane: the ALB's nodes, from its public subnets, on the
    listener and health-check ports; Prometheus on the metrics port."""
    metadata = policy_metadata(naming.EDGE_INGRESS_POLICY, namespace, labels)
    return policy(metadata, {"matchLabels": selector}, "Ingress", [
        {"from": [{"ipBlock": {"cidr": cidr}} for cidr in load_balancer_cidrs], "ports": tcp(*ports)},
        {"from": [pod_peer(*PROMETHEUS)], "ports": tcp(metrics_port)},
    ])
