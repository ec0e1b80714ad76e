"""Argo CD objects that bring an environment up from git: projects, the app-of-apps, the services ApplicationSet.

After Argo CD is bootstrapped (k8s_charts.addons.argo_cd), `kubectl apply -f
gitops_out/<env>/apps/<root>` installs the root Application; it syncs every file in `apps/`: the
AppProjects first, then one Application per folder or add-on in sync waves computed from declared
dependencies (Argo CD's own Application, then namespaces, then CRD owners, then what uses their CRDs,
the services last). The services ApplicationSet generates one Application per service folder and
rolls changes out in the catalog's dependency order (RollingSync).

Both rely on settings in Argo CD's own values: progressive syncs for the ApplicationSet controller,
and the health assessment of argoproj.io/Application (removed from Argo CD's defaults in 1.8), without
which a wave would not wait for the previous one to be healthy.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from constructs import Construct

from catalog import Catalog, Environment
from catalog.graph import depths
from catalog.naming import (
    ARGOCD_NAMESPACE,
    CLUSTER_APP,
    CLUSTER_CONFIG_APP,
    DEFAULT_PROJECT,
    ROOT_APP,
    SERVICES_APP,
    SYSTEM_PROJECT,
)
from catalog.rules import dependency_order
from k8s_charts import cluster_objects, namespaces
from k8s_charts.addons import ADDONS, Addon
from k8s_charts.manifest import FolderChart, emit, standard_labels

__all__ = [
    "APPSET_FOLDER",
    "APPS_FOLDER",
    "ARGOCD_NAMESPACE",
    "FINALIZER",
    "SERVICE_LABEL",
    "ArgoAppsChart",
    "ServicesAppSetChart",
    "application_graph",
    "gitops_path",
]

APPS_FOLDER = "apps"
APPSET_FOLDER = "appset"
IN_CLUSTER = "https://kubernetes.default.svc"
FINALIZER = "resources-finalizer.argocd.argoproj.io"
SERVICE_LABEL = "payledger.io/service"
# AppProjects sync before every Application that names them.
PROJECT_WAVE = -1
RETRY = {"limit": 10, "backoff": {"duration": "10s", "factor": 2, "maxDuration": "5m"}}
AUTOMATED = {"prune": True, "selfHeal": True}
COMPONENT = "gitops"


def gitops_path(env: Environment, folder: str = "") -> str:
    """Path of an output folder inside the GitOps repository."""
    return str(PurePosixPath("gitops_out", env.name, folder))


def application_graph() -> dict[str, tuple[str, ...]]:
    """What each Application of the app-of-apps waits for; sync waves are its topological depths.

    The bootstrap add-on (Argo CD) is the one root: the namespaces, and through them everything else,
    wait for it, so its Application syncs first and alone.
    """
    bootstrap = tuple(name for name, addon in ADDONS.items() if addon.bootstrap)
    graph: dict[str, tuple[str, ...]] = {name: ADDONS[name].depends_on for name in bootstrap}
    graph[CLUSTER_APP] = bootstrap
    graph |= {name: (*addon.depends_on, CLUSTER_APP) for name, addon in ADDONS.items() if not addon.bootstrap}
    graph[CLUSTER_CONFIG_APP] = (*cluster_objects.DEPENDS_ON, CLUSTER_APP)
    graph[SERVICES_APP] = tuple(sorted(graph))
    return graph


def _metadata(name: str, *, wave: int | None = None) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "namespace": ARGOCD_NAMESPACE,
                                "labels": standard_labels(name=name, component=COMPONENT)}
    if wave is not None:
        metadata["annotations"] = {"argocd.argoproj.io/sync-wave": str(wave)}
    return metadata


def _sync_policy(*options: str) -> dict[str, Any]:
    return {"automated": AUTOMATED, "retry": RETRY, "syncOptions": list(options)}


class ArgoAppsChart(FolderChart):
    """apps/: AppProjects, the self-managing root Application and the system Applications."""

    def __init__(self, scope: Construct, construct_id: str, *, catalog: Catalog, env: Environment) -> None:
        super().__init__(scope, construct_id, folder=APPS_FOLDER)
        self.catalog, self.env = catalog, env
        self.repo = catalog.project.gitops_repo_url
        self.revision = catalog.project.gitops_revision
        waves = depths(application_graph())
        manifests = [*self._projects(), self._root()]
        manifests += [self._folder_app(CLUSTER_APP, namespaces.FOLDER, waves[CLUSTER_APP])]
        manifests += [self._addon_app(addon, waves[name]) for name, addon in ADDONS.items()]
        manifests += [self._folder_app(CLUSTER_CONFIG_APP, cluster_objects.FOLDER, waves[CLUSTER_CONFIG_APP]),
                      self._folder_app(SERVICES_APP, APPSET_FOLDER, waves[SERVICES_APP])]
        for manifest in manifests:
            emit(self, f"{manifest['kind']}-{manifest['metadata']['name']}", manifest)

    def _projects(self) -> list[dict[str, Any]]:
        """`system` may install anything anywhere (add-ons own CRDs and cluster roles); each workload
        project is one namespace, no cluster-scoped kinds, and may not touch its quota."""
        system_namespaces = sorted({ARGOCD_NAMESPACE, "kube-system", *self.catalog.namespaces,
                                    *(addon.namespace for addon in ADDONS.values())})
        system = self._project(
            SYSTEM_PROJECT, "Cluster add-ons, namespaces and cluster-wide configuration",
            sources=[self.repo, *sorted({addon.repo_url for addon in ADDONS.values()})],
            namespaces=system_namespaces,
            extra={"clusterResourceWhitelist": [{"group": "*", "kind": "*"}]},
        )
        workloads = [self._project(
            name, f"PayLedger services in the {name} namespace", sources=[self.repo], namespaces=[name],
            extra={"namespaceResourceBlacklist": [{"group": "", "kind": "ResourceQuota"},
                                                  {"group": "", "kind": "LimitRange"}]},
        ) for name, namespace in sorted(self.catalog.namespaces.items()) if namespace.workloads]
        return [system, *workloads]

    def _project(self, name: str, description: str, *, sources: list[str], namespaces: list[str],
                 extra: dict[str, Any]) -> dict[str, Any]:
        return {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "AppProject",
            "metadata": _metadata(name, wave=PROJECT_WAVE),
            "spec": {
                "description": description,
                "sourceRepos": sources,
                "destinations": [{"server": IN_CLUSTER, "namespace": namespace} for namespace in namespaces],
                "orphanedResources": {"warn": True},
                **extra,
            },
        }

    def _application(self, name: str, *, wave: int | None, project: str, source: dict[str, Any],
                     namespace: str, sync_policy: dict[str, Any], finalizer: bool = True) -> dict[str, Any]:
        metadata = _metadata(name, wave=wave)
        if finalizer:
            metadata["finalizers"] = [FINALIZER]
        return {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Application",
            "metadata": metadata,
            "spec": {
                "project": project,
                "source": source,
                "destination": {"server": IN_CLUSTER, "namespace": namespace},
                "syncPolicy": sync_policy,
            },
        }

    def _git_source(self, folder: str) -> dict[str, Any]:
        return {"repoURL": self.repo, "targetRevision": self.revision, "path": gitops_path(self.env, folder)}

    def _root(self) -> dict[str, Any]:
        """The one file applied by hand. It lives in the `default` project because it creates the others,
        and has no finalizer: deleting it must not cascade into the whole cluster."""
        return self._application(ROOT_APP, wave=None, project=DEFAULT_PROJECT, source=self._git_source(APPS_FOLDER),
                                 namespace=ARGOCD_NAMESPACE, sync_policy=_sync_policy(), finalizer=False)

    def _folder_app(self, name: str, folder: str, wave: int) -> dict[str, Any]:
        """A folder of plain manifests; objects carry their own namespaces, which must already exist."""
        return self._application(name, wave=wave, project=SYSTEM_PROJECT, source=self._git_source(folder),
                                 namespace=ARGOCD_NAMESPACE, sync_policy=_sync_policy("CreateNamespace=false"))

    def _addon_app(self, addon: Addon, wave: int) -> dict[str, Any]:
        """A pinned chart or manifest folder, into a namespace cluster/ creates with its Pod Security level and
        network baseline (k8s_charts.namespaces; Argo CD's own namespace exists from the bootstrap and is
        labelled there too). The bootstrap add-on has no finalizer: deleting its Application must not
        delete Argo CD."""
        options = ["CreateNamespace=false", *(["ServerSideApply=true"] if addon.server_side_apply else [])]
        return self._application(addon.name, wave=wave, project=SYSTEM_PROJECT, source=addon.source(self.env),
                                 namespace=addon.namespace, sync_policy=_sync_policy(*options),
                                 finalizer=not addon.bootstrap)


class ServicesAppSetChart(FolderChart):
    """appset/: one ApplicationSet whose git directory generator finds every service folder.

    Folders are gitops_out/<env>/<namespace>/<service>, so the namespace segment names both the
    destination namespace and the AppProject. RollingSync steps follow the catalog's dependency
    depth: a service syncs only after everything it calls is healthy.
    """

    def __init__(self, scope: Construct, construct_id: str, *, catalog: Catalog, env: Environment) -> None:
        super().__init__(scope, construct_id, folder=APPSET_FOLDER)
        namespaces = sorted(name for name, ns in catalog.namespaces.items() if ns.workloads)
        namespace_segment = f"{{{{ index .path.segments {len(PurePosixPath(gitops_path(env)).parts)} }}}}"
        service = "{{ .path.basename }}"
        manifest = {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "ApplicationSet",
            "metadata": _metadata("services"),
            "spec": {
                "goTemplate": True,
                "goTemplateOptions": ["missingkey=error"],
                "generators": [{"git": {
                    "repoURL": catalog.project.gitops_repo_url,
                    "revision": catalog.project.gitops_revision,
                    "directories": [{"path": gitops_path(env, f"{namespace}/*")} for namespace in namespaces],
                }}],
                "strategy": {"type": "RollingSync", "rollingSync": {"steps": _rolling_steps(env)}},
                "template": {
                    "metadata": {
                        "name": service,
                        "labels": {SERVICE_LABEL: service, "app.kubernetes.io/part-of": "payledger"},
                        "finalizers": [FINALIZER],
                    },
                    "spec": {
                        "project": namespace_segment,
                        "source": {"repoURL": catalog.project.gitops_repo_url,
                                   "targetRevision": catalog.project.gitops_revision,
                                   "path": "{{ .path.path }}"},
                        "destination": {"server": IN_CLUSTER, "namespace": namespace_segment},
                        # The autoscaler owns replicas; without this every sync would reset them.
                        "ignoreDifferences": [{"group": "apps", "kind": "Deployment",
                                               "jsonPointers": ["/spec/replicas"]}],
                        "syncPolicy": _sync_policy("CreateNamespace=false", "RespectIgnoreDifferences=true",
                                                   "PruneLast=true"),
                    },
                },
            },
        }
        emit(self, "services", manifest)


def _rolling_steps(env: Environment) -> list[dict[str, Any]]:
    depths = dependency_order(env)
    return [{"matchExpressions": [{"key": SERVICE_LABEL, "operator": "In",
                                   "values": sorted(name for name, d in depths.items() if d == depth)}]}
            for depth in sorted(set(depths.values()))]
