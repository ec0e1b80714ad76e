"""Names and addresses of the edge, which both sides use: internet -> ALB (infra_stacks.edge) -> NGINX
data plane (k8s_charts.edge, through the Gateway API) -> the public service.

The ALB's target group is the cross-side name: Terraform creates it, the TargetGroupBinding in
gitops_out names it. Its ARN, like the WAF web ACL's, holds an id AWS makes up, so nothing could derive it.
"""

from __future__ import annotations

from catalog.models import Environment
from catalog.naming.rules import (
    ELB_LOAD_BALANCER,
    ELB_TARGET_GROUP,
    KUBERNETES_NAME,
    KUBERNETES_SERVICE,
    PUBLIC_HOST,
    VPC_NAME,
    derives,
)

__all__ = [
    "EDGE_EGRESS_POLICY",
    "EDGE_GATEWAY",
    "EDGE_GATEWAY_CLASS",
    "EDGE_HEALTH_PATH",
    "EDGE_HEALTH_PORT",
    "EDGE_HTTPS_PORT",
    "EDGE_HTTP_PORT",
    "EDGE_INGRESS_POLICY",
    "EDGE_NAMESPACE",
    "EDGE_OBJECT_KINDS",
    "data_plane_name",
    "gateway_tls_secret",
    "load_balancer_name",
    "public_host",
    "target_group_name",
    "vpc_name",
]

# The NGINX data plane runs where its Gateway is, in NGINX Gateway Fabric's namespace.
EDGE_NAMESPACE = "nginx-gateway"
# The GatewayClass NGINX Gateway Fabric's chart creates, and the one Gateway of that class.
EDGE_GATEWAY_CLASS = "nginx"
EDGE_GATEWAY = "public"
# The Gateway's listeners; the ALB's target group sends HTTPS to EDGE_HTTPS_PORT of the data plane pods.
EDGE_HTTPS_PORT = 443
EDGE_HTTP_PORT = 80
# Where NGINX Gateway Fabric's data plane answers readiness (its default), which the ALB health-checks.
EDGE_HEALTH_PORT = 8081
EDGE_HEALTH_PATH = "/readyz"
# In the edge namespace: the load balancer's subnets may reach the NGINX data plane.
EDGE_INGRESS_POLICY = "allow-load-balancer"
EDGE_EGRESS_POLICY = "allow-public-service"
# What the public service's namespace holds for the edge, each named after the service: its route
# from the Gateway and the NGINX policies attached to that route.
EDGE_OBJECT_KINDS = ("HTTPRoute", "RateLimitPolicy", "ClientSettingsPolicy")


@derives(PUBLIC_HOST)
def public_host(env: Environment) -> str:
    """The API's public name: the ALB's certificate and DNS record, the Gateway's HTTPRoute hostname."""
    return f"api.{env.domain}"


@derives(VPC_NAME)
def vpc_name(stack: str) -> str:
    """The VPC's Name tag, which the AWS Load Balancer Controller looks the VPC up by."""
    return stack


@derives(ELB_LOAD_BALANCER)
def load_balancer_name(stack: str) -> str:
    return f"{stack}-edge"


@derives(ELB_TARGET_GROUP)
def target_group_name(stack: str) -> str:
    """The ALB's target group of NGINX data plane pods, named in gitops_out's TargetGroupBinding too."""
    return f"{stack}-nginx"


@derives(KUBERNETES_SERVICE)
def data_plane_name(gateway: str, gateway_class: str) -> str:
    """The Deployment and Service NGINX Gateway Fabric makes for a Gateway (its CreateNginxResourceName).

    NGF shortens longer names with a hash; the rule refuses them instead, so this stays the name NGF uses.
    """
    return f"{gateway}-{gateway_class}"


@derives(KUBERNETES_NAME)
def gateway_tls_secret(gateway: str) -> str:
    """The Secret cert-manager writes the Gateway's certificate to, beside the Gateway."""
    return f"{gateway}-tls"
