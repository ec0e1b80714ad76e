"""NGINX Gateway Fabric: the maintained NGINX implementation of the Gateway API, replacing the retired
ingress-nginx (README, "Edge").

Its control plane turns the Gateway and HTTPRoutes in cluster-config/ into NGINX configuration for a
data plane Deployment it creates per Gateway. The data plane gets a ClusterIP Service only: the one way
in from the internet is the ALB that Terraform owns (infra_stacks.edge), whose target group the AWS Load
Balancer Controller fills with the data plane pods. NGINX takes the client address from the last
X-Forwarded-For entry the ALB appends, trusted only from the public subnets the ALB lives in, so rate
limits count clients, not load balancer nodes.

Chart from its OCI registry (Argo CD's native OCI source). It owns the gateway.nginx.org CRDs (NginxProxy,
RateLimitPolicy, ClientSettingsPolicy, ...) and needs the Gateway API CRDs first.
"""

from __future__ import annotations

from typing import Any

from catalog import Environment, naming
from catalog.platform_pods import ADDON_COMPONENTS
from k8s_charts.addons import gateway_api
from k8s_charts.addons.base import Addon, AddonNetwork, chart_selector, highly_available, zone_spread

__all__ = ["ADDON", "METRICS_PORT", "NAME", "data_plane_labels", "values"]

NAME = "nginx-gateway-fabric"
REPO_URL = "oci://ghcr.io/nginx/charts/nginx-gateway-fabric"
VERSION = "2.6.7"
NAMESPACE = naming.ADDON_NAMESPACES[NAME]
# The control plane's pods, as the chart labels them (its name and the release name are both NAME).
CONTROL_PLANE_LABELS = chart_selector(NAME, NAME)
DEPENDS_ON = (gateway_api.NAME,)
# Where the data plane exposes Prometheus metrics (NGF's default).
METRICS_PORT = 9113
# Resources and replica counts, kept where the capacity check counts them.
CONTROL_PLANE, DATA_PLANE = (ADDON_COMPONENTS[NAME][part] for part in ("control-plane", "data-plane"))


def data_plane_labels(gateway: str) -> dict[str, str]:
    """A label NGF's provisioner puts on the data plane pods of `gateway`, to select them by."""
    return {"gateway.networking.k8s.io/gateway-name": gateway}


def values(env: Environment) -> dict[str, Any]:
    return {
        "nginxGateway": {
            "gatewayClassName": naming.EDGE_GATEWAY_CLASS,
            "replicas": CONTROL_PLANE.replicas(env),
            # Its budget is emitted beside the Gateway (k8s_charts/edge.py): the chart has none.
            "topologySpreadConstraints": zone_spread(CONTROL_PLANE_LABELS) if highly_available(env) else [],
            "resources": CONTROL_PLANE.resources,
            # No usage reports leave the cluster.
            "productTelemetry": {"enable": False},
            # Snippets would let a route's author inject raw NGINX configuration.
            "snippets": {"enable": False},
        },
        "nginx": {
            "replicas": DATA_PLANE.replicas(env),
            "container": {"resources": DATA_PLANE.resources},
            "pod": {"topologySpreadConstraints": zone_spread(data_plane_labels(naming.EDGE_GATEWAY))},
            "service": {"type": "ClusterIP"},
            "config": {"rewriteClientIP": {
                "mode": "XForwardedFor",
                "setIPRecursively": True,
                "trustedAddresses": [{"type": "CIDR", "value": cidr} for cidr in naming.subnet_plan(env).public],
            }},
        },
    }


ADDON = Addon(
    name=NAME,
    repo_url=REPO_URL,
    version=VERSION,
    namespace=NAMESPACE,
    depends_on=DEPENDS_ON,
    values=values,
    server_side_apply=True,
    # Its data plane's own flows (the ALB in, the public service out) are the edge's (k8s_charts.edge).
    network=AddonNetwork(metrics_ports=(METRICS_PORT,)),
)
