"""Argo CD itself: installed once by hand with the values synth writes, then managed by its own Application.

`helm install argocd argo-cd ... -f gitops_out/<env>/bootstrap/argo-cd-values.yaml` puts it in the
cluster; the root app-of-apps then syncs an Application for the same chart, version, release name,
namespace and values, which adopts the Helm-installed objects (annotation resource tracking, the 3.x
default, spelled out here: the instance label would collide with the `app.kubernetes.io/instance`
labels every chart sets) and carries Argo CD's own upgrades from then on. It depends on nothing and
every other Application waits for it (k8s_charts.argocd). It ships no ServiceMonitor: at bootstrap no
ServiceMonitor CRD exists yet.

Chart 10.1.1 (Argo CD v3.4.4) is the newest argo-helm chart whose source can be read here; the
CRDs in ../shared/crds are v3.5.1, and every Argo CD object synth writes validates against both.

Its values carry what the app-of-apps relies on: progressive syncs for the ApplicationSet controller
(RollingSync is ignored without them) and the health assessment of argoproj.io/Application (without
it a child Application is healthy as soon as it exists, and sync waves wait for nothing).

Availability: the API server and repo server are stateless and run env.addon_replicas; the
ApplicationSet controller elects a leader (the chart turns election on above one replica). All three
are spread across zones and, above one replica, under a disruption budget. One replica each, on
purpose: the application controller (replicas are shards, one per cluster, and there is one cluster;
a restarted pod picks up where it stopped, and running workloads never wait for it) and Redis (a
cache Argo CD rebuilds when it is lost, so redis-ha would add six pods and Sentinel for nothing that
matters). Dex and notifications are off: no SSO connector or notification service is configured.
"""

from __future__ import annotations

from typing import Any

from catalog import Environment, naming
from catalog.platform_pods import ADDON_COMPONENTS
from k8s_charts.addons.base import MAX_UNAVAILABLE, Addon, AddonNetwork, highly_available, zone_spread

__all__ = ["ADDON", "APPLICATION_HEALTH", "PROGRESSIVE_SYNCS", "values"]

NAME = "argocd"  # the Application and the Helm release: the bootstrap and Argo CD must agree on it
REPO_URL = "https://argoproj.github.io/argo-helm"
CHART = "argo-cd"
VERSION = "10.1.1"
NAMESPACE = naming.ADDON_NAMESPACES[NAME]
DEPENDS_ON: tuple[str, ...] = ()
# argocd-cmd-params-cm key read by the ApplicationSet controller.
PROGRESSIVE_SYNCS = "applicationsetcontroller.enable.progressive.syncs"
# argocd-cm key and script from Argo CD's health documentation ("Argocd App"): an Application is as
# healthy as its status says, and Progressing until it has one.
APPLICATION_HEALTH = ("resource.customizations.health.argoproj.io_Application", """\
hs = {}
hs.status = "Progressing"
hs.message = ""
if obj.status ~= nil then
  if obj.status.health ~= nil then
    hs.status = obj.status.health.status
    if obj.status.health.message ~= nil then
      hs.message = obj.status.health.message
    end
  end
end
return hs
""")
# Resources and replica counts, kept where the capacity check counts them.
COMPONENTS = ADDON_COMPONENTS[NAME]


def _replicated(env: Environment, component: str) -> dict[str, Any]:
    # maxUnavailable takes precedence over the chart's minAvailable.
    return {"replicas": COMPONENTS[component].replicas(env),
            "pdb": {"enabled": highly_available(env), "maxUnavailable": MAX_UNAVAILABLE},
            "resources": COMPONENTS[component].resources}


def values(env: Environment) -> dict[str, Any]:
    health_key, health_script = APPLICATION_HEALTH
    return {
        # Every component; the chart adds each one's own selector.
        "global": {"topologySpreadConstraints": zone_spread()},
        "configs": {
            "cm": {"application.resourceTrackingMethod": "annotation", health_key: health_script},
            "params": {PROGRESSIVE_SYNCS: True},
        },
        "controller": {"replicas": COMPONENTS["controller"].replicas(env),
                       "resources": COMPONENTS["controller"].resources},
        "server": _replicated(env, "server"),
        "repoServer": _replicated(env, "repoServer"),
        "applicationSet": _replicated(env, "applicationSet"),
        "redis": {"resources": COMPONENTS["redis"].resources},  # one replica: the chart's default
        "dex": {"enabled": False},
        "notifications": {"enabled": False},
    }


ADDON = Addon(
    name=NAME,
    repo_url=REPO_URL,
    chart=CHART,
    version=VERSION,
    namespace=NAMESPACE,
    depends_on=DEPENDS_ON,
    values=values,
    bootstrap=True,
    # Git, Helm and OCI chart repositories over TLS.
    network=AddonNetwork(aws=True),
)
