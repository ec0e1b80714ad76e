"""Names of the platform's own parts: Argo CD, reserved and add-on namespaces, node pools and taints,
the subnet plan."""

from __future__ import annotations

import functools
import ipaddress
from typing import NamedTuple

from catalog.models import Environment, Project
from catalog.naming.edge import EDGE_NAMESPACE

__all__ = [
    "ADDON_NAMESPACES",
    "ADDON_SERVICE_ACCOUNTS",
    "ARGOCD_APPLICATIONS",
    "ARGOCD_NAMESPACE",
    "BOOTSTRAP_FOLDER",
    "CLUSTER_APP",
    "CLUSTER_CONFIG_APP",
    "DEFAULT_PROJECT",
    "DEFAULT_STORAGE_CLASS",
    "GPU_NODE_POOL",
    "GPU_TAINT",
    "KUBERNETES_SERVICE_CIDR",
    "NODE_POOL_LABEL",
    "PCI_NODE_POOL",
    "PCI_TAINT",
    "POSTGRES_PORT",
    "REDIS_PORT",
    "RESERVED_NAMESPACES",
    "ROOT_APP",
    "SERVICES_APP",
    "SYSTEM_PROJECT",
    "ServiceAccountRef",
    "SubnetPlan",
    "Taint",
    "metric_prefix",
    "subnet_plan",
]

# Addresses of the cluster's Services: set on the EKS cluster (Terraform) and allowed in the
# NetworkPolicies to the Kubernetes API; no VPC may overlap it (catalog.rules.network).
KUBERNETES_SERVICE_CIDR = "172.20.0.0/16"
# Ports of the data stores: Terraform opens them in security groups, NetworkPolicies in the cluster.
POSTGRES_PORT = 5432
REDIS_PORT = 6379


class ServiceAccountRef(NamedTuple):
    namespace: str
    name: str


# --- Argo CD and the cluster's own namespaces ---

ARGOCD_NAMESPACE = "argocd"
# Namespaces Kubernetes and Argo CD own: the catalog neither declares nor runs anything in them.
RESERVED_NAMESPACES = ("default", "kube-node-lease", "kube-public", "kube-system", ARGOCD_NAMESPACE)
# Add-ons Argo CD installs from pinned charts or manifests (k8s_charts.addons), by Application name,
# and the namespace each runs in. Argo CD is one of them: bootstrapped by hand, then managing itself.
ADDON_NAMESPACES: dict[str, str] = {
    "argocd": ARGOCD_NAMESPACE,
    "kube-prometheus-stack": "observability",
    "cert-manager": "cert-manager",
    "external-secrets": "external-secrets",
    "gateway-api-crds": EDGE_NAMESPACE,
    "nginx-gateway-fabric": EDGE_NAMESPACE,
    "aws-load-balancer-controller": "aws-load-balancer-controller",
    "loki": "observability",
    "tempo": "observability",
    "alloy": "observability",
}
# The app-of-apps (k8s_charts.argocd): the root, the namespaces folder, the cluster-wide objects
# folder and the services ApplicationSet's folder; each add-on is an Application too.
ROOT_APP = "root"
CLUSTER_APP = "cluster"
CLUSTER_CONFIG_APP = "cluster-config"
SERVICES_APP = "services-appset"
ARGOCD_APPLICATIONS = (ROOT_APP, CLUSTER_APP, CLUSTER_CONFIG_APP, SERVICES_APP, *ADDON_NAMESPACES)
# gitops_out/<env>/<BOOTSTRAP_FOLDER>/: the Helm values Argo CD is installed with by hand, once per
# environment. Not Kubernetes objects: `main.py validate` leaves the folder out.
BOOTSTRAP_FOLDER = "bootstrap"
# AppProjects: Argo CD's own `default` (the root lives there), `system` for the add-ons and one per
# workload namespace, named after it.
DEFAULT_PROJECT = "default"
SYSTEM_PROJECT = "system"
# The cluster's default StorageClass (k8s_charts.storage): encrypted gp3 from the EBS CSI driver. Every
# add-on volume names it; EKS marks no class default since 1.30.
DEFAULT_STORAGE_CLASS = "gp3"

# Add-ons that call AWS through IRSA: the ServiceAccount their Helm chart runs under.
ADDON_SERVICE_ACCOUNTS: dict[str, ServiceAccountRef] = {
    "cert-manager": ServiceAccountRef(ADDON_NAMESPACES["cert-manager"], "cert-manager"),
    "loki": ServiceAccountRef(ADDON_NAMESPACES["loki"], "loki"),
    "tempo": ServiceAccountRef(ADDON_NAMESPACES["tempo"], "tempo"),
    "aws-load-balancer-controller": ServiceAccountRef(ADDON_NAMESPACES["aws-load-balancer-controller"],
                                                      "aws-load-balancer-controller"),
    "ebs-csi": ServiceAccountRef("kube-system", "ebs-csi-controller-sa"),
    # Reads CloudWatch metrics (the WAF's) for its CloudWatch data source.
    "grafana": ServiceAccountRef(ADDON_NAMESPACES["kube-prometheus-stack"], "grafana"),
}


class Taint(NamedTuple):
    """A node taint in Kubernetes spelling (EKS node group API spells the effect NO_SCHEDULE)."""

    key: str
    value: str
    effect: str


# Node groups carry NODE_POOL_LABEL=<pool>; pods select a pool by it (Terraform sets the labels).
NODE_POOL_LABEL = "payledger.io/node-pool"
GPU_NODE_POOL = "gpu"
# Keeps everything but GPU workloads off the expensive GPU nodes.
GPU_TAINT = Taint("nvidia.com/gpu", "true", "NoSchedule")
# Nodes of the cardholder-data environment: only PCI-scoped pods tolerate them, and they select them.
PCI_NODE_POOL = "pci"
PCI_TAINT = Taint("payledger.io/cardholder-data", "true", "NoSchedule")


class SubnetPlan(NamedTuple):
    public: tuple[str, ...]
    private: tuple[str, ...]
    data: tuple[str, ...]


def subnet_plan(env: Environment) -> SubnetPlan:
    """Split the VPC: half for private subnets (nodes and pods), an eighth each for public and data.

    Private subnets get the large blocks because the VPC CNI gives every pod a VPC address;
    each group has room for up to eight zones.
    """
    return _subnet_plan(env.vpc_cidr, len(env.availability_zones))


@functools.cache
def _subnet_plan(vpc_cidr: str, zones: int) -> SubnetPlan:
    """Cached: every service's egress policy asks for the plan, and splitting networks is slow."""
    vpc = ipaddress.IPv4Network(vpc_cidr)
    quarters = list(vpc.subnets(prefixlen_diff=2))
    private = list(quarters[0].subnets(prefixlen_diff=2)) + list(quarters[1].subnets(prefixlen_diff=2))
    public = list(quarters[2].subnets(prefixlen_diff=3))
    data = list(quarters[3].subnets(prefixlen_diff=3))
    return SubnetPlan(
        public=tuple(str(net) for net in public[:zones]),
        private=tuple(str(net) for net in private[:zones]),
        data=tuple(str(net) for net in data[:zones]),
    )


def metric_prefix(project: Project) -> str:
    """What every business metric's name starts with (catalog.metrics): the project's name in Prometheus
    spelling, which no exporter and no platform series uses."""
    return f"{project.name.replace('-', '_')}_"
