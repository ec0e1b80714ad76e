"""The contract every add-on module fills in, and the ordering derived from it.

Each add-on module declares its source (a chart, or a folder of manifests), namespace, the add-ons it
needs (usually because they own CRDs it creates objects of) and its Helm values as a function of the
environment. `catalog.graph.depths` turns
the declared dependencies into Argo CD sync waves, so nobody numbers waves by hand.

Availability is one rule for every add-on: with env.addon_replicas > 1 each component that can run
active-active or with a leader-elected standby runs that many replicas, spread across zones
(`zone_spread`), under a disruption budget that lets one pod go at a time (`MAX_UNAVAILABLE`); a
component that cannot (a single binary, a sharded controller, a cache) runs one replica, and its
module says why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from catalog import Environment, naming

__all__ = ["MAX_UNAVAILABLE", "Addon", "AddonNetwork", "chart_selector", "highly_available", "irsa_service_account",
           "zone_spread"]

# Voluntary disruptions (node drains, cluster upgrades) take one pod of a component at a time.
MAX_UNAVAILABLE = 1
ZONE_KEY = "topology.kubernetes.io/zone"


@dataclass(frozen=True, kw_only=True)
class AddonNetwork:
    """The flows an add-on's pods need beyond their own namespace and DNS. Every namespace the platform
    creates starts at default-deny (k8s_charts.namespaces); these open what the add-on cannot work without.

    Fields:
        api_server: it watches or writes the Kubernetes API (True).
        webhook_ports: ports the API server calls (admission and conversion webhooks) (none).
        metrics_ports: ports Prometheus scrapes (none).
        aws: it calls AWS APIs (through the VPC's interface endpoints and over the internet) or other TLS
            services on the internet: ACME, Git and chart repositories, notification receivers (False).
        scrapes_cluster: it reaches every pod and node of the cluster on any port: Prometheus (False).
        workload_ports: ports the workload namespaces' pods send to, such as Tempo's OTLP (none).
    """

    api_server: bool = True
    webhook_ports: tuple[int, ...] = ()
    metrics_ports: tuple[int, ...] = ()
    aws: bool = False
    scrapes_cluster: bool = False
    workload_ports: tuple[int, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Addon:
    """One Argo CD Application of the platform, from one of three kinds of pinned source.

    Fields:
        name: the Application's name, also the Helm release name.
        repo_url: where the source lives: a Helm repository (with `chart`), an OCI Helm chart
            (oci://registry/path/chart), or a git repository (with `path`).
        version: the chart version, or the git tag.
        namespace: where the add-on runs (catalog.naming.ADDON_NAMESPACES).
        depends_on: add-ons that must be healthy first, usually because they own CRDs this one uses.
        chart: the chart's name in a Helm repository (None for OCI charts and git folders).
        path: a folder of plain manifests in the git repository (None for charts).
        values: the Helm values for an environment; None for plain manifests.
        server_side_apply: for objects over the client-side apply limit, such as large CRDs (False).
        bootstrap: installed by hand once before Argo CD can sync anything (Argo CD itself, with the
            values file synth writes to bootstrap/): every other Application waits for it, and deleting
            its Application must not cascade into the running Argo CD (False).
        network: the flows its pods need (AddonNetwork; by default only the Kubernetes API).
        pod_security: the Pod Security level of its namespace when the catalog does not declare it
            ("restricted").
    """

    name: str
    repo_url: str
    version: str
    namespace: str
    depends_on: tuple[str, ...]
    chart: str | None = None
    path: str | None = None
    values: Callable[[Environment], dict[str, Any]] | None = field(default=None, repr=False)
    server_side_apply: bool = False
    bootstrap: bool = False
    network: AddonNetwork = AddonNetwork()
    pod_security: str = "restricted"

    def __post_init__(self) -> None:
        oci = self.repo_url.startswith("oci://")
        if sum((self.chart is not None, self.path is not None, oci)) != 1:
            raise ValueError(f"add-on {self.name}: give exactly one of chart, path or an oci:// repo_url")
        if (self.values is None) != (self.path is not None):
            raise ValueError(f"add-on {self.name}: values go with a chart, and only with a chart")

    def source(self, env: Environment) -> dict[str, Any]:
        """The Application's `source`. An OCI chart is the artifact's root folder (Argo CD's native OCI source)."""
        where = {"chart": self.chart} if self.chart else {"path": self.path or "."}
        source: dict[str, Any] = {"repoURL": self.repo_url, **where, "targetRevision": self.version}
        if self.values is not None:
            source["helm"] = {"releaseName": self.name, "valuesObject": self.values(env)}
        return source


def highly_available(env: Environment) -> bool:
    """Whether the environment runs its add-ons' components on more than one replica."""
    return env.addon_replicas > 1


def zone_spread(match_labels: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """`topologySpreadConstraints` that keep a component's replicas at most one apart across zones.

    DoNotSchedule, so a zone never holds two replicas while another holds none; `nodeTaintsPolicy: Honor`
    leaves out nodes the pod cannot run on, so the NotReady/unreachable nodes of a lost zone do not count
    as a domain and its replicas can be rescheduled into the remaining zones. Charts that fill in the
    component's own selector when it is missing get none (`match_labels` None).
    """
    constraint: dict[str, Any] = {"maxSkew": 1, "topologyKey": ZONE_KEY, "whenUnsatisfiable": "DoNotSchedule",
                                  "nodeTaintsPolicy": "Honor"}
    if match_labels:
        constraint["labelSelector"] = {"matchLabels": match_labels}
    return [constraint]


def chart_selector(chart: str, release: str) -> dict[str, str]:
    """The selector labels charts following Helm's conventions put on their pods (name and instance)."""
    return {"app.kubernetes.io/name": chart, "app.kubernetes.io/instance": release}


def irsa_service_account(env: Environment, addon: str) -> dict[str, Any]:
    """Helm `serviceAccount` values: the account Terraform's IRSA role trusts, annotated with that role.

    Name and role come from catalog.naming, the same place the Terraform side reads them from.
    """
    return {
        "create": True,
        "name": naming.ADDON_SERVICE_ACCOUNTS[addon].name,
        "annotations": {"eks.amazonaws.com/role-arn": naming.role_arn(env, naming.addon_role_name(env, addon))},
    }
