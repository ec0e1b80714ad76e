"""The egress proxy of a PCI-scoped service: its only way to the internet, allowing its declared hosts by name.

A NetworkPolicy cannot match host names, so a PCI-scoped service gets no internet egress at all;
its pods reach the internet only through this Envoy forward proxy (HTTP CONNECT on PROXY_PORT,
the service's HTTPS_PROXY), which opens a tunnel only to the hosts the catalog declares for it
(`depends_on.external` and the AWS APIs its IRSA access needs), on port 443, and answers 403 to
anything else. TLS stays end to end: the proxy sees the host name, never the traffic. It runs on
the PCI node group beside the service, in the service's own folder, so Argo CD syncs and prunes
it with the service.
"""

from __future__ import annotations

from typing import Any

import yaml

from catalog import Environment, Service, naming
from catalog.footprint import EGRESS_PROXY_REPLICAS, EGRESS_PROXY_RESOURCES, rolling_update
from k8s_charts.manifest import ChartPart, FolderChart, emit, restricted_container, selector_labels, standard_labels
from k8s_charts.network_policy import INTERNET, pod_peer
from k8s_charts.scheduling import pci_scheduling

__all__ = ["IMAGE", "PROXY_PORT", "EgressProxy", "allowed_hosts", "proxy_url"]

# The maintained Envoy line (1.39, released 2026-07-14; 1.39.5 on 2026-10-22), distroless: no shell,
# runs as a non-root user.
IMAGE = "envoyproxy/envoy:distroless-v1.39.5"
PROXY_PORT = 3128
TLS_PORT = 443
RUN_AS = 65532  # the distroless image's nonroot user
COMPONENT = "egress-proxy"
CONFIG_FILE = "envoy.yaml"
TARGET_CPU_PERCENT = 70


def allowed_hosts(env: Environment, service: Service) -> tuple[str, ...]:
    """The internet hosts a service may reach: what it declares, and the AWS APIs its IRSA access calls
    (STS to exchange the token, then each declared API)."""
    apis = {"bedrock": "bedrock-runtime", "kms": "kms"}
    aws = [f"{api}.{env.region}.amazonaws.com" for api in ("sts", *(apis[access] for access in service.aws_access))]
    return tuple(dict.fromkeys((*service.depends_on.external, *(aws if service.aws_access else ()))))


def proxy_url(service: Service) -> str:
    return f"http://{naming.egress_proxy_name(service)}.{service.namespace}.svc.cluster.local:{PROXY_PORT}"


def envoy_config(hosts: tuple[str, ...]) -> str:
    """Envoy bootstrap: CONNECT to an allowed host:443 is tunnelled through a dynamic forward proxy;
    every other request gets 403. Admin and stats stay off (no listener but the proxy's)."""
    hcm = "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"
    dns_cache = {"name": "egress_dns", "dns_lookup_family": "V4_ONLY"}
    tunnel = {"cluster": "internet", "upgrade_configs": [{"upgrade_type": "CONNECT", "connect_config": {}}]}
    config = {"static_resources": {
        "listeners": [{
            "name": "egress",
            "address": {"socket_address": {"address": "0.0.0.0", "port_value": PROXY_PORT}},
            "filter_chains": [{"filters": [{
                "name": "envoy.filters.network.http_connection_manager",
                "typed_config": {
                    "@type": hcm,
                    "stat_prefix": "egress",
                    "upgrade_configs": [{"upgrade_type": "CONNECT"}],
                    "route_config": {"virtual_hosts": [
                        {"name": "allowed", "domains": [f"{host}:{TLS_PORT}" for host in hosts],
                         "routes": [{"match": {"connect_matcher": {}}, "route": tunnel}]},
                        {"name": "denied", "domains": ["*"],
                         "routes": [{"match": {"connect_matcher": {}}, "direct_response": {"status": 403}},
                                    {"match": {"prefix": "/"}, "direct_response": {"status": 403}}]},
                    ]},
                    "http_filters": [
                        {"name": "envoy.filters.http.dynamic_forward_proxy", "typed_config": {
                            "@type": "type.googleapis.com/envoy.extensions.filters.http.dynamic_forward_proxy.v3"
                                     ".FilterConfig",
                            "dns_cache_config": dict(dns_cache)}},
                        {"name": "envoy.filters.http.router", "typed_config": {
                            "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"}},
                    ],
                },
            }]}],
        }],
        "clusters": [{
            "name": "internet",
            "lb_policy": "CLUSTER_PROVIDED",
            "cluster_type": {"name": "envoy.clusters.dynamic_forward_proxy", "typed_config": {
                "@type": "type.googleapis.com/envoy.extensions.clusters.dynamic_forward_proxy.v3.ClusterConfig",
                "dns_cache_config": dict(dns_cache)}},  # the filter's cache, by name
        }],
    }}
    return yaml.safe_dump(config, sort_keys=False, default_flow_style=False, width=4096)


class EgressProxy(ChartPart):
    """ConfigMap, ServiceAccount, Deployment, Service, HPA, PDB and NetworkPolicies of one service's proxy."""

    def __init__(self, scope: ChartPart | FolderChart, construct_id: str, *, env: Environment,
                 service: Service) -> None:
        """`env` supplies the region of the AWS API hosts; `service` must be PCI-scoped with external hosts."""
        super().__init__(scope, construct_id)
        self.service = service
        self.name = naming.egress_proxy_name(service)
        self.labels = standard_labels(name=self.name, component=COMPONENT)
        self.selector = selector_labels(self.name)
        self.config = envoy_config(allowed_hosts(env, service))
        for manifest in (self._config_map(), self._service_account(), self._deployment(), self._service(),
                         self._autoscaler(), self._disruption_budget(), *self._policies()):
            emit(self, f"{manifest['kind']}-{manifest['metadata']['name']}", manifest)

    def _metadata(self, name: str | None = None, **extra: Any) -> dict[str, Any]:
        return {"name": name or self.name, "namespace": self.service.namespace, "labels": self.labels, **extra}

    def _config_map(self) -> dict[str, Any]:
        return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": self._metadata(),
                "data": {CONFIG_FILE: self.config}}

    def _service_account(self) -> dict[str, Any]:
        """Its own identity, with no API token and no AWS role: the proxy calls nothing itself."""
        return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": self._metadata(),
                "automountServiceAccountToken": False}

    def _container(self) -> dict[str, Any]:
        def probe(period: int, failures: int) -> dict[str, Any]:
            return {"tcpSocket": {"port": "proxy"}, "periodSeconds": period, "timeoutSeconds": 2,
                    "failureThreshold": failures}

        return {
            "name": "envoy",
            "image": IMAGE,
            "imagePullPolicy": "IfNotPresent",
            "args": ["-c", f"/etc/envoy/{CONFIG_FILE}", "--disable-hot-restart", "--log-level", "warn"],
            "ports": [{"name": "proxy", "containerPort": PROXY_PORT, "protocol": "TCP"}],
            "resources": EGRESS_PROXY_RESOURCES,  # sized where the quota and capacity count it
            "startupProbe": probe(2, 30),
            "readinessProbe": probe(5, 3),
            "livenessProbe": probe(10, 3),
            "securityContext": restricted_container(RUN_AS),
            "volumeMounts": [{"name": "config", "mountPath": "/etc/envoy", "readOnly": True}],
        }

    def _deployment(self) -> dict[str, Any]:
        return {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": self._metadata(),
            "spec": {
                "revisionHistoryLimit": 5,
                "selector": {"matchLabels": self.selector},
                "strategy": rolling_update(),
                "template": {
                    "metadata": {"labels": self.labels},
                    "spec": {
                        "serviceAccountName": self.name,
                        "automountServiceAccountToken": False,
                        "enableServiceLinks": False,
                        "securityContext": {"runAsNonRoot": True, "runAsUser": RUN_AS, "runAsGroup": RUN_AS,
                                            "seccompProfile": {"type": "RuntimeDefault"}},
                        "containers": [self._container()],
                        "volumes": [{"name": "config", "configMap": {"name": self.name}}],
                        **pci_scheduling(self.selector),
                    },
                },
            },
        }

    def _service(self) -> dict[str, Any]:
        return {"apiVersion": "v1", "kind": "Service", "metadata": self._metadata(),
                "spec": {"type": "ClusterIP", "selector": self.selector,
                         "ports": [{"name": "proxy", "port": PROXY_PORT, "targetPort": "proxy", "protocol": "TCP"}]}}

    def _autoscaler(self) -> dict[str, Any]:
        low, high = EGRESS_PROXY_REPLICAS
        return {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": self._metadata(),
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": self.name},
                "minReplicas": low,
                "maxReplicas": high,
                "metrics": [{"type": "Resource", "resource": {
                    "name": "cpu", "target": {"type": "Utilization", "averageUtilization": TARGET_CPU_PERCENT}}}],
            },
        }

    def _disruption_budget(self) -> dict[str, Any]:
        return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": self._metadata(),
                "spec": {"selector": {"matchLabels": self.selector}, "maxUnavailable": 1,
                         "unhealthyPodEvictionPolicy": "AlwaysAllow"}}

    def _policies(self) -> list[dict[str, Any]]:
        """In: the service's pods on the proxy port. Out: TLS to public addresses only (DNS is allowed
        namespace-wide)."""
        service = self.service
        ingress = {"from": [pod_peer(service.namespace, selector_labels(service.name))],
                   "ports": [{"protocol": "TCP", "port": PROXY_PORT}]}
        internet = {"to": [INTERNET],
                    "ports": [{"protocol": "TCP", "port": TLS_PORT}]}
        return [
            self._policy("ingress", "Ingress", [ingress]),
            self._policy("egress", "Egress", [internet]),
        ]

    def _policy(self, direction: str, kind: str, rules: list[dict[str, Any]]) -> dict[str, Any]:
        return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                "metadata": self._metadata(f"{self.name}-{direction}"),
                "spec": {"podSelector": {"matchLabels": self.selector}, "policyTypes": [kind],
                         kind.lower(): rules}}
