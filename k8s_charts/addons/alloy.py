"""Grafana Alloy: the log collector, a DaemonSet that ships every container's logs to Loki.

Promtail, which did this before, reached end of life on 2026-03-02; Alloy is its successor. The chart is
Grafana's own `alloy` (1.11.1, Alloy v1.18.1, built against the Kubernetes 1.35 client; the chart declares
no kubeVersion limit), still published at grafana.github.io, unlike Loki's and Tempo's.

One pod per node, tolerating the gpu and pci pools' taints (TAINTS), so the cardholder-data pods' logs
(billing's audit trail) reach Loki too. Each pod discovers the pods of its own node only (`spec.nodeName`
field selector) and reads their logs through the Kubernetes API (`loki.source.kubernetes`) rather than
from /var/log/pods: that needs no hostPath and no root, so Alloy runs as the image's unprivileged user with
a read-only root filesystem, and may read nothing on the node. The price, kubelet and API-server traffic
for every log line, is small at this platform's volume. It pushes to the Loki gateway (loki.GATEWAY_HOST)
in the same namespace, which the namespace's same-namespace policy admits; Loki runs single-tenant
(`auth_enabled: false`), so no X-Scope-OrgID is sent.

Its ClusterRole grants only what those two components read (pods, their logs, namespaces), not the
chart's default set, which includes every Secret and ConfigMap. Its requests come from
catalog.platform_pods, where the capacity check counts it on every node.
"""

from __future__ import annotations

import json
from string import Template
from typing import Any

from catalog import Environment, naming
from catalog.platform_pods import ALLOY, CONFIG_RELOADER
from k8s_charts.addons import loki
from k8s_charts.addons.base import Addon, AddonNetwork

__all__ = ["ADDON", "LOKI_PUSH_URL", "TAINTS", "config", "values"]

NAME = "alloy"
REPO_URL = "https://grafana.github.io/helm-charts"
CHART = "alloy"
VERSION = "1.11.1"
NAMESPACE = naming.ADDON_NAMESPACES[NAME]
# Its ServiceMonitor needs kube-prometheus-stack's CRD; its logs need Loki.
DEPENDS_ON = ("kube-prometheus-stack", "loki")
LOKI_PUSH_URL = f"http://{loki.GATEWAY_HOST}/loki/api/v1/push"
# Every taint the platform puts on a node pool (infra_stacks.stack.node_pools).
TAINTS = (naming.GPU_TAINT, naming.PCI_TAINT)
# The image's unprivileged user (the chart's non-root example).
ALLOY_USER = 473
# Where Alloy keeps how far it has read each container (positions), on an emptyDir: the root is read-only.
STORAGE_PATH = "/tmp/alloy"
READ = ["get", "list", "watch"]

# Alloy syntax. The chart passes it through Helm's `tpl`, so it must hold no double braces.
CONFIG = Template("""\
// The pods on this node (the chart sets HOSTNAME to the node's name).
discovery.kubernetes "pods" {
  role = "pod"
  selectors {
    role  = "pod"
    field = "spec.nodeName=" + sys.env("HOSTNAME")
  }
}

// Only these labels reach Loki: no pod labels or annotations wholesale.
discovery.relabel "pods" {
  targets = discovery.kubernetes.pods.targets
  rule {
    source_labels = ["__meta_kubernetes_namespace"]
    target_label  = "namespace"
  }
  rule {
    source_labels = ["__meta_kubernetes_pod_name"]
    target_label  = "pod"
  }
  rule {
    source_labels = ["__meta_kubernetes_pod_container_name"]
    target_label  = "container"
  }
  rule {
    source_labels = ["__meta_kubernetes_pod_label_app_kubernetes_io_name"]
    target_label  = "app"
  }
}

// Through the Kubernetes API, not /var/log/pods: no hostPath, no root.
loki.source.kubernetes "pods" {
  targets    = discovery.relabel.pods.output
  forward_to = [loki.write.loki.receiver]
}

// Loki is single-tenant (auth_enabled: false): no tenant_id.
loki.write "loki" {
  endpoint {
    url = $url
  }
  external_labels = {
    cluster     = $cluster,
    environment = $environment,
  }
}
""")


def config(env: Environment) -> str:
    """The Alloy configuration of one environment: its cluster and name on every stream."""
    return CONFIG.substitute(url=json.dumps(LOKI_PUSH_URL), cluster=json.dumps(naming.eks_cluster_name(env)),
                             environment=json.dumps(env.name))


def values(env: Environment) -> dict[str, Any]:
    return {
        "crds": {"create": False},  # the PodLogs CRD, which this configuration does not use
        "alloy": {
            "configMap": {"content": config(env)},
            "storagePath": STORAGE_PATH,
            "mounts": {"extra": [{"name": "storage", "mountPath": STORAGE_PATH}]},
            "enableReporting": False,
            "resources": ALLOY,
            "securityContext": {
                "runAsUser": ALLOY_USER,
                "runAsGroup": ALLOY_USER,
                "readOnlyRootFilesystem": True,
                "allowPrivilegeEscalation": False,
                "capabilities": {"drop": ["ALL"]},
            },
        },
        "global": {"podSecurityContext": {"runAsNonRoot": True, "fsGroup": ALLOY_USER,
                                          "seccompProfile": {"type": "RuntimeDefault"}}},
        "configReloader": {"resources": CONFIG_RELOADER},
        "controller": {
            "type": "daemonset",
            "tolerations": [{"key": taint.key, "operator": "Equal", "value": taint.value, "effect": taint.effect}
                            for taint in TAINTS],
            "volumes": {"extra": [{"name": "storage", "emptyDir": {}}]},
        },
        # The chart renders `rules` and `clusterRules` into one ClusterRole, and neither may be empty.
        "rbac": {
            "rules": [{"apiGroups": [""], "resources": ["pods", "pods/log"], "verbs": READ}],
            "clusterRules": [{"apiGroups": [""], "resources": ["namespaces"], "verbs": READ}],
        },
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
    # The Kubernetes API (discovery and logs); Loki shares its namespace, whose own policy admits that.
    network=AddonNetwork(),
)
