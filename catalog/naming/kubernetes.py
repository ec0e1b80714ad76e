"""Kubernetes-side names (k8s_charts)."""

from __future__ import annotations

from typing import Literal, NamedTuple

from catalog.models import Environment, Service
from catalog.naming.edge import EDGE_OBJECT_KINDS
from catalog.naming.rules import GRAFANA_UID, KUBERNETES_NAME, KUBERNETES_SERVICE, derives

__all__ = [
    "DEFAULT_DENY_POLICY",
    "DNS_EGRESS_POLICY",
    "ISTIOD_EGRESS_POLICY",
    "NAMESPACE_OBJECTS",
    "OVERVIEW_DASHBOARDS",
    "KubernetesObject",
    "config_map_name",
    "dashboard_name",
    "dashboard_uid",
    "egress_proxy_name",
    "kubernetes_secret_name",
    "network_policy_name",
    "overview_dashboard_name",
    "overview_dashboard_uid",
    "secret_store_name",
    "service_objects",
    "slo_rule_name",
]


# --- Kubernetes-side names (k8s_charts) ---


class KubernetesObject(NamedTuple):
    kind: str
    name: str


DEFAULT_DENY_POLICY = "default-deny"
DNS_EGRESS_POLICY = "allow-dns-egress"
ISTIOD_EGRESS_POLICY = "allow-istiod-egress"
# What every workload namespace holds before any service: Kubernetes' own objects and the network
# guard rails of k8s_charts.namespaces. A service's object of the same kind and name would replace one.
NAMESPACE_OBJECTS = (
    KubernetesObject("ServiceAccount", "default"),
    KubernetesObject("ConfigMap", "kube-root-ca.crt"),
    *(KubernetesObject("NetworkPolicy", name)
      for name in (DEFAULT_DENY_POLICY, DNS_EGRESS_POLICY, ISTIOD_EGRESS_POLICY)),
)


@derives(KUBERNETES_NAME)
def kubernetes_secret_name(service: Service, source: str) -> str:
    """A Secret of a service, written by an ExternalSecret (source: app, postgres, redis)."""
    return f"{service.name}-{source}"


@derives(KUBERNETES_SERVICE)
def egress_proxy_name(service: Service) -> str:
    """A PCI-scoped service's egress proxy: its Deployment, Service, ConfigMap and ServiceAccount."""
    return f"{service.name}-egress-proxy"


@derives(KUBERNETES_NAME)
def secret_store_name(owner: str, backend: Literal["vault", "secrets-manager"]) -> str:
    """The SecretStore a service (or an add-on) reads one backend through, as itself."""
    return f"{owner}-{backend}"


@derives(KUBERNETES_NAME)
def config_map_name(service: Service) -> str:
    return f"{service.name}-config"


@derives(KUBERNETES_NAME)
def dashboard_name(service: Service) -> str:
    return f"{service.name}-dashboard"


@derives(KUBERNETES_NAME)
def slo_rule_name(service: Service) -> str:
    return f"{service.name}-slo"


@derives(KUBERNETES_NAME)
def network_policy_name(service: Service, direction: Literal["ingress", "egress"]) -> str:
    return f"{service.name}-{direction}"


@derives(GRAFANA_UID)
def dashboard_uid(env: Environment, service: Service) -> str:
    """Grafana's id of a service's dashboard: one Grafana per cluster, so the environment is in it."""
    return f"{env.name}-{service.name}"


# The dashboards over every service and the cluster (k8s_charts.dashboards), one of each per environment.
OVERVIEW_DASHBOARDS = ("platform", "infrastructure", "security", "business")


@derives(KUBERNETES_NAME)
def overview_dashboard_name(kind: str) -> str:
    """The ConfigMap of an overview dashboard, beside Grafana."""
    return f"{kind}-overview-dashboard"


@derives(GRAFANA_UID)
def overview_dashboard_uid(env: Environment, kind: str) -> str:
    """'_' never appears in a service dashboard's uid (DNS labels joined by '-'), so the two never meet; the
    uid also names the dashboard's file in Grafana's one dashboard folder."""
    return f"{env.name}_{kind}"


def service_objects(service: Service) -> tuple[KubernetesObject, ...]:
    """Every object a service puts into its namespace, by kind and name, for catalog.rules to check."""
    workload = KUBERNETES_SERVICE(service.name)
    named_after = ("Deployment", "Service", "ServiceAccount", "HorizontalPodAutoscaler", "PodDisruptionBudget",
                   "ServiceMonitor")
    objects = [KubernetesObject(kind, workload) for kind in named_after]
    objects += [KubernetesObject("ConfigMap", config_map_name(service)),
                KubernetesObject("ConfigMap", dashboard_name(service)),
                KubernetesObject("PrometheusRule", slo_rule_name(service)),
                KubernetesObject("NetworkPolicy", network_policy_name(service, "ingress")),
                KubernetesObject("NetworkPolicy", network_policy_name(service, "egress"))]
    secrets = [source for source, wanted in (("app", bool(service.vault_secrets)),
                                            ("postgres", service.depends_on.postgres),
                                            ("redis", service.depends_on.redis)) if wanted]
    for source in secrets:
        secret = kubernetes_secret_name(service, source)
        objects += [KubernetesObject("ExternalSecret", secret), KubernetesObject("Secret", secret)]
    backends = {"vault" if source == "app" else "secrets-manager" for source in secrets}
    objects += [KubernetesObject("SecretStore", secret_store_name(service.name, backend)) for backend in backends]
    if service.pci_scope and service.depends_on.external:
        proxy = egress_proxy_name(service)
        objects += [KubernetesObject(kind, proxy) for kind in (*named_after[:5], "ConfigMap")]
        objects += [KubernetesObject("NetworkPolicy", f"{proxy}-{direction}") for direction in ("ingress", "egress")]
    if service.public:
        objects += [KubernetesObject(kind, workload) for kind in EDGE_OBJECT_KINDS]
    return tuple(objects)
