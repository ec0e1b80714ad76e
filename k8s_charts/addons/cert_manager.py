"""cert-manager: issues the TLS certificates ingresses ask for, solving ACME DNS-01 in Route53 via IRSA.

It owns the cert-manager.io CRDs (installed by the chart) that the ClusterIssuers need, and ships a
ServiceMonitor, so it syncs after kube-prometheus-stack. v1.21.1 is the newest release of the pinned
minor and of the project; it serves cert-manager.io/v1, the CRDs in ../shared/crds.

Availability: the controller and the CA injector elect a leader, so extra replicas are warm standbys
that take over within a lease period; the webhook serves every replica. All three run
env.addon_replicas, spread across zones, each under a disruption budget when there is more than one.
"""

from __future__ import annotations

from typing import Any

from catalog import Environment, naming
from catalog.platform_pods import ADDON_COMPONENTS
from k8s_charts.addons.base import (
    MAX_UNAVAILABLE,
    Addon,
    AddonNetwork,
    highly_available,
    irsa_service_account,
    zone_spread,
)

__all__ = ["ADDON", "values"]

NAME = "cert-manager"
REPO_URL = "https://charts.jetstack.io"
CHART = "cert-manager"
VERSION = "v1.21.1"
NAMESPACE = naming.ADDON_NAMESPACES[NAME]
DEPENDS_ON = ("kube-prometheus-stack",)
# Resources and replica counts, kept where the capacity check counts them.
COMPONENTS = ADDON_COMPONENTS[NAME]


def _component(env: Environment, component: str) -> dict[str, Any]:
    """Replicas, budget, spread and resources of one Deployment. The chart labels each component's pods
    with its own name (`webhook`, `cainjector`; the controller is `cert-manager`) and fills in no
    selector for a spread constraint, so the selector is spelled here."""
    return {
        "replicaCount": COMPONENTS[component].replicas(env),
        # Without minAvailable or maxUnavailable the chart would render minAvailable 1.
        "podDisruptionBudget": {"enabled": highly_available(env), "maxUnavailable": MAX_UNAVAILABLE},
        "topologySpreadConstraints": zone_spread({
            "app.kubernetes.io/name": NAME if component == "controller" else component,
            "app.kubernetes.io/instance": NAME,
            "app.kubernetes.io/component": component,
        }),
        "resources": COMPONENTS[component].resources,
    }


def values(env: Environment) -> dict[str, Any]:
    return {
        # CRDs come with the release and stay when it is uninstalled (deleting them deletes every
        # Certificate and issuer in the cluster).
        "crds": {"enabled": True, "keep": True},
        **_component(env, "controller"),
        "serviceAccount": irsa_service_account(env, NAME),
        # Added to the chart's pod securityContext: the projected IRSA token must be readable by the
        # non-root controller.
        "securityContext": {"fsGroup": 1001},
        "webhook": _component(env, "webhook"),
        "cainjector": _component(env, "cainjector"),
        # Certificate metrics carry the Certificate's own `namespace`; honoured, it is not renamed to
        # exported_namespace (the security dashboard reads it).
        "prometheus": {"enabled": True, "servicemonitor": {"enabled": True, "honorLabels": True}},
    }


ADDON = Addon(
    name=NAME,
    repo_url=REPO_URL,
    chart=CHART,
    version=VERSION,
    namespace=NAMESPACE,
    depends_on=DEPENDS_ON,
    values=values,
    # ACME and Route53 (DNS-01) over TLS; the API server calls its webhook on 10250; metrics on 9402.
    network=AddonNetwork(webhook_ports=(10250,), metrics_ports=(9402,), aws=True),
)
