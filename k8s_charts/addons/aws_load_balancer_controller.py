"""AWS Load Balancer Controller, used for one thing: binding the NGINX data plane pods into the ALB target
group Terraform created, through the TargetGroupBinding in cluster-config/ that names the group.

Everything else it could do is off: no IngressClass, no Service mutator webhook or Service controller, no
Gateway API controllers, no WAF or Shield calls; its IRSA role (infra_stacks.edge) could not create a load
balancer anyway. Pods cannot reach IMDS (hop limit 1), so it gets its region and finds its VPC by the
Name tag from catalog.naming. Its webhooks' certificates come from cert-manager, so Argo CD renders the
chart the same way every time; it ships a ServiceMonitor, so it syncs after kube-prometheus-stack.
"""

from __future__ import annotations

from typing import Any

from catalog import Environment, naming
from catalog.platform_pods import ADDON_COMPONENTS
from k8s_charts.addons.base import (
    MAX_UNAVAILABLE,
    Addon,
    AddonNetwork,
    chart_selector,
    highly_available,
    irsa_service_account,
    zone_spread,
)

__all__ = ["ADDON", "NAME", "NAMESPACE_LABELS", "values"]

NAME = "aws-load-balancer-controller"
REPO_URL = "https://aws.github.io/eks-charts"
CHART = "aws-load-balancer-controller"
VERSION = "3.5.0"  # appVersion v3.5.0, the CRDs in ../shared/crds
NAMESPACE = naming.ADDON_NAMESPACES[NAME]
DEPENDS_ON = ("cert-manager", "kube-prometheus-stack")
# Resources and replica count, kept where the capacity check counts them.
CONTROLLER = ADDON_COMPONENTS[NAME]["controller"]
# Pods it binds start Ready only once the ALB finds them healthy (its readiness gate, injected in namespaces
# labelled so), so a data plane rollout never leaves the target group without a healthy target.
NAMESPACE_LABELS = {naming.EDGE_NAMESPACE: {"elbv2.k8s.aws/pod-readiness-gate-inject": "enabled"}}
# Pod Security "restricted" in its namespace: the chart's defaults plus dropped capabilities and seccomp.
SECURITY_CONTEXT = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
    "seccompProfile": {"type": "RuntimeDefault"},
}


def values(env: Environment) -> dict[str, Any]:
    return {
        "clusterName": naming.eks_cluster_name(env),
        "region": env.region,
        "vpcTags": {"Name": naming.vpc_name(naming.stack_name(env))},
        "replicaCount": CONTROLLER.replicas(env),
        "podDisruptionBudget": {"maxUnavailable": MAX_UNAVAILABLE} if highly_available(env) else {},
        "topologySpreadConstraints": zone_spread(chart_selector(CHART, NAME)) if highly_available(env) else [],
        "resources": CONTROLLER.resources,
        "securityContext": SECURITY_CONTEXT,
        "serviceAccount": irsa_service_account(env, NAME),
        "enableCertManager": True,
        "createIngressClassResource": False,
        "ingressClassParams": {"create": False},
        "disableIngressClassAnnotation": True,
        "webhookConfig": {"disableIngressValidation": True},
        "enableServiceMutatorWebhook": False,
        "enableShield": False,
        "enableWaf": False,
        "enableWafv2": False,
        "controllerConfig": {"featureGates": {
            "EnableServiceController": False,
            "ALBGatewayAPI": False,
            "NLBGatewayAPI": False,
        }},
        "serviceMonitor": {"enabled": True},
    }


ADDON = Addon(
    name=NAME,
    repo_url=REPO_URL,
    chart=CHART,
    version=VERSION,
    namespace=NAMESPACE,
    depends_on=DEPENDS_ON,
    values=values,
    # The ELB and EC2 APIs; webhook on 9443; metrics on 8080.
    network=AddonNetwork(webhook_ports=(9443,), metrics_ports=(8080,), aws=True),
)
