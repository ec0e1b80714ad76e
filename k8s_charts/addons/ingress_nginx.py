"""ingress-nginx: the `nginx` IngressClass behind an internet-facing AWS Network Load Balancer.

ModSecurity is compiled in, so an Ingress turns the OWASP core rule set on by annotation (WAF-ready);
snippet annotations stay off because they let an Ingress author inject raw NGINX configuration.
It ships a ServiceMonitor, so it syncs after kube-prometheus-stack.
"""

from __future__ import annotations

from typing import Any

from catalog import Environment, naming
from k8s_charts.addons.base import Addon

__all__ = ["ADDON", "INGRESS_CLASS", "values"]

NAME = "ingress-nginx"
REPO_URL = "https://kubernetes.github.io/ingress-nginx"
CHART = "ingress-nginx"
VERSION = "4.14.2"
NAMESPACE = naming.ADDON_NAMESPACES[NAME]
DEPENDS_ON = ("kube-prometheus-stack",)
INGRESS_CLASS = "nginx"
RESOURCES = {"requests": {"cpu": "200m", "memory": "256Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}}


def values(env: Environment) -> dict[str, Any]:
    replicas = env.addon_replicas
    return {
        "controller": {
            "replicaCount": replicas,
            "minAvailable": max(replicas - 1, 0),
            "resources": RESOURCES,
            "ingressClass": INGRESS_CLASS,
            "ingressClassResource": {"name": INGRESS_CLASS, "enabled": True, "default": True},
            "allowSnippetAnnotations": False,
            "config": {
                "ssl-redirect": "true",
                "hsts": "true",
                "server-tokens": "false",
            },
            "service": {
                # Local keeps client addresses for rate limits and ModSecurity logs.
                "externalTrafficPolicy": "Local",
                "annotations": {
                    "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
                    "service.beta.kubernetes.io/aws-load-balancer-cross-zone-load-balancing-enabled": "true",
                },
            },
            "metrics": {"enabled": True, "serviceMonitor": {"enabled": True}},
        }
    }


ADDON = Addon(
    name=NAME,
    repo_url=REPO_URL,
    chart=CHART,
    version=VERSION,
    namespace=NAMESPACE,
    depends_on=DEPENDS_ON,
    values=values,
)
