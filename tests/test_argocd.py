"""Argo CD layer: projects, the app-of-apps and its waves, the services ApplicationSet and its rollout order."""

from __future__ import annotations

import fnmatch
import subprocess
import sys
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
from catalog_params import ENVIRONMENTS, WORKLOAD_NAMESPACES
from crd_validation import CRD_DIR, validate_custom

from catalog import Catalog, CatalogError, load_catalog
from catalog.rules import dependency_order
from k8s_charts.addons import ADDONS
from k8s_charts.argocd import FINALIZER, SERVICE_LABEL, gitops_path

ROOT = Path(__file__).resolve().parent.parent
Folders = dict[str, list[dict[str, Any]]]
# Which add-on owns the CRD of each custom kind the output uses.
CRD_OWNERS = {
    "ServiceMonitor": "kube-prometheus-stack",
    "PrometheusRule": "kube-prometheus-stack",
    "ClusterIssuer": "cert-manager",
    "Certificate": "cert-manager",
    "SecretStore": "external-secrets",
    "ExternalSecret": "external-secrets",
    "Gateway": "gateway-api-crds",
    "HTTPRoute": "gateway-api-crds",
    "RateLimitPolicy": "nginx-gateway-fabric",
    "ClientSettingsPolicy": "nginx-gateway-fabric",
    "TargetGroupBinding": "aws-load-balancer-controller",
}


@pytest.fixture(scope="module")
def built(platform_folders) -> dict[str, Folders]:
    return platform_folders


def apps(folders: Folders) -> dict[str, dict[str, Any]]:
    return {obj["metadata"]["name"]: obj for obj in folders["apps"] if obj["kind"] == "Application"}


def wave(obj: dict[str, Any]) -> int:
    return int(obj["metadata"].get("annotations", {}).get("argocd.argoproj.io/sync-wave", "0"))


def appset(folders: Folders) -> dict[str, Any]:
    (only,) = folders["appset"]
    assert only["kind"] == "ApplicationSet"
    return only


def generate(appset_manifest: dict[str, Any], env_name: str, folders: Folders) -> list[dict[str, str]]:
    """Argo CD's git directory generator over the folders this env writes: the parameters it yields."""
    (generator,) = appset_manifest["spec"]["generators"]
    repo_dirs = {str(PurePosixPath("gitops_out", env_name, folder)) for folder in folders}
    # Intermediate directories exist in the repository too.
    repo_dirs |= {str(parent) for d in list(repo_dirs) for parent in PurePosixPath(d).parents}
    patterns = [PurePosixPath(entry["path"]) for entry in generator["git"]["directories"]
                if not entry.get("exclude")]
    found = []
    for directory in sorted(repo_dirs):
        path = PurePosixPath(directory)
        # Like Go's path.Match, `*` never crosses a `/`.
        if any(path.parent == pattern.parent and fnmatch.fnmatchcase(path.name, pattern.name)
               for pattern in patterns):
            found.append({"path": directory, "basename": path.name, "segments": list(path.parts)})
    return found


def render(template: Any, params: dict[str, Any]) -> Any:
    """The handful of Go-template expressions the ApplicationSet uses, evaluated for one generated app."""
    if isinstance(template, dict):
        return {render(k, params): render(v, params) for k, v in template.items()}
    if isinstance(template, list):
        return [render(item, params) for item in template]
    if isinstance(template, str):
        template = template.replace("{{ .path.basename }}", params["basename"])
        template = template.replace("{{ .path.path }}", params["path"])
        for index, segment in enumerate(params["segments"]):
            template = template.replace(f"{{{{ index .path.segments {index} }}}}", segment)
        assert "{{" not in template, f"unrendered template: {template}"
    return template


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_argo_objects_validate_strictly(built: dict[str, Folders], env_name: str) -> None:
    if not CRD_DIR.is_dir():
        pytest.skip(f"no CRD folder at {CRD_DIR}")
    folders = built[env_name]
    for obj in [*folders["apps"], *folders["appset"]]:
        assert validate_custom(obj) == [], (obj["kind"], obj["metadata"]["name"])


def test_strict_validation_rejects_unknown_fields(built: dict[str, Folders]) -> None:
    if not CRD_DIR.is_dir():
        pytest.skip(f"no CRD folder at {CRD_DIR}")
    application = apps(next(iter(built.values())))["cert-manager"]
    broken = {**application, "spec": {**application["spec"], "syncPolicy": {
        **application["spec"]["syncPolicy"], "retry": {"limit": 5, "backof": {"duration": "5s"}}}}}
    assert any("backof" in error for error in validate_custom(broken))


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_root_app_of_apps(catalog: Catalog, built: dict[str, Folders], env_name: str) -> None:
    root = apps(built[env_name])["root"]
    assert root["spec"]["source"] == {"repoURL": catalog.project.gitops_repo_url,
                                      "targetRevision": catalog.project.gitops_revision,
                                      "path": f"gitops_out/{env_name}/apps"}
    assert root["spec"]["project"] == "default"  # it creates the other projects
    assert "finalizers" not in root["metadata"]  # deleting it must not cascade
    assert root["spec"]["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_every_application_syncs_automatically_with_retry(built: dict[str, Folders], env_name: str) -> None:
    for name, app in apps(built[env_name]).items():
        policy = app["spec"]["syncPolicy"]
        assert policy["automated"] == {"prune": True, "selfHeal": True}, name
        assert policy["retry"]["limit"] >= 5
        assert policy["retry"]["backoff"] == {"duration": "10s", "factor": 2, "maxDuration": "5m"}
        if name != "root":
            assert app["spec"]["project"] == "system"
        # Deleting the root or Argo CD's own Application must not cascade into the cluster.
        if name != "root" and not (name in ADDONS and ADDONS[name].bootstrap):
            assert app["metadata"]["finalizers"] == [FINALIZER], name
        else:
            assert "finalizers" not in app["metadata"], name


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_git_sources_point_at_folders_that_exist(catalog: Catalog, built: dict[str, Folders],
                                                 env_name: str) -> None:
    folders = built[env_name]
    git_apps = {name: app for name, app in apps(folders).items()
                if app["spec"]["source"]["repoURL"] == catalog.project.gitops_repo_url}
    assert set(git_apps) == {"root", "cluster", "cluster-config", "services-appset"}
    for app in git_apps.values():
        source = app["spec"]["source"]
        assert source["repoURL"] == catalog.project.gitops_repo_url
        assert source["targetRevision"] == catalog.project.gitops_revision
        folder = source["path"].removeprefix(f"gitops_out/{env_name}/")
        assert folders.get(folder), f"{source['path']} is empty or missing"


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_addon_applications_install_the_pinned_charts(catalog: Catalog, built: dict[str, Folders],
                                                      env_name: str) -> None:
    env = catalog.environments[env_name]
    applications = apps(built[env_name])
    for name, addon in ADDONS.items():
        spec = applications[name]["spec"]
        assert spec["source"] == addon.source(env)
        assert spec["source"]["repoURL"] == addon.repo_url
        assert spec["source"]["targetRevision"] == addon.version
        if addon.values:
            assert spec["source"]["helm"] == {"releaseName": name, "valuesObject": addon.values(env)}
        assert spec["destination"]["namespace"] == addon.namespace
        # cluster/ creates every namespace, with its Pod Security level and network baseline
        # (tests/test_namespace_policies.py); no Application creates or labels one.
        assert "CreateNamespace=false" in spec["syncPolicy"]["syncOptions"]
        assert "managedNamespaceMetadata" not in spec["syncPolicy"]
    assert "ServerSideApply=true" in applications["kube-prometheus-stack"]["spec"]["syncPolicy"]["syncOptions"]


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_projects(catalog: Catalog, built: dict[str, Folders], env_name: str) -> None:
    projects = {obj["metadata"]["name"]: obj for obj in built[env_name]["apps"] if obj["kind"] == "AppProject"}
    assert set(projects) == {"system", *WORKLOAD_NAMESPACES}
    for name in WORKLOAD_NAMESPACES:
        spec = projects[name]["spec"]
        assert spec["sourceRepos"] == [catalog.project.gitops_repo_url]
        assert spec["destinations"] == [{"server": "https://kubernetes.default.svc", "namespace": name}]
        assert "clusterResourceWhitelist" not in spec  # no cluster-scoped objects from a service
    system = projects["system"]["spec"]
    assert set(system["sourceRepos"]) == {catalog.project.gitops_repo_url, *(a.repo_url for a in ADDONS.values())}
    allowed = {d["namespace"] for d in system["destinations"]}
    for app in apps(built[env_name]).values():
        if app["spec"]["project"] == "system":
            assert app["spec"]["destination"]["namespace"] in allowed
    applications = apps(built[env_name]).values()
    assert all(wave(project) < min(wave(app) for app in applications) for project in projects.values())


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_waves_follow_declared_dependencies(built: dict[str, Folders], env_name: str) -> None:
    waves = {name: wave(app) for name, app in apps(built[env_name]).items()}
    for name, addon in ADDONS.items():
        assert (waves[name] < waves["cluster"]) is addon.bootstrap, f"{name} and the namespaces"
        for dependency in addon.depends_on:
            assert waves[dependency] < waves[name], f"{dependency} must sync before {name}"
    assert waves["services-appset"] > max(w for name, w in waves.items() if name not in ("services-appset", "root"))


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_every_crd_owner_syncs_before_its_kinds_are_used(built: dict[str, Folders], env_name: str) -> None:
    folders = built[env_name]
    applications = apps(folders)
    waves = {name: wave(app) for name, app in applications.items()}
    service_folders = [f for f in folders if f.count("/") == 1]
    app_folders = {"cluster-config": ["cluster-config"], "cluster": ["cluster"], "services-appset": service_folders}
    checked = set()
    for app, app_folder_list in app_folders.items():
        for folder in app_folder_list:
            for obj in folders[folder]:
                owner = CRD_OWNERS.get(obj["kind"])
                if owner:
                    checked.add(obj["kind"])
                    assert waves[owner] < waves[app], f"{obj['kind']} in {folder} syncs before {owner}"
    assert checked == set(CRD_OWNERS)


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_directory_generator_yields_exactly_the_services(catalog: Catalog, built: dict[str, Folders],
                                                         env_name: str) -> None:
    env = catalog.environments[env_name]
    manifest = appset(built[env_name])
    generated = generate(manifest, env_name, built[env_name])
    assert sorted(p["basename"] for p in generated) == sorted(env.services)
    projects = {obj["metadata"]["name"]: obj for obj in built[env_name]["apps"] if obj["kind"] == "AppProject"}
    for params in generated:
        app = render(manifest["spec"]["template"], params)
        service = env.services[params["basename"]]
        assert app["metadata"]["name"] == service.name
        assert app["metadata"]["labels"][SERVICE_LABEL] == service.name
        assert app["spec"]["project"] == service.namespace
        assert app["spec"]["destination"]["namespace"] == service.namespace
        assert app["spec"]["source"]["path"] == gitops_path(env, f"{service.namespace}/{service.name}")
        allowed = projects[app["spec"]["project"]]["spec"]["destinations"]
        assert {"server": app["spec"]["destination"]["server"], "namespace": service.namespace} in allowed


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_committed_tree_yields_exactly_the_services(catalog: Catalog, built: dict[str, Folders],
                                                    env_name: str) -> None:
    committed = ROOT / "gitops_out" / env_name
    if not committed.is_dir():
        pytest.skip(f"{committed} is not synthesized yet")
    folders = {str(p.relative_to(committed)): [{}] for p in committed.rglob("*") if p.is_dir()}
    generated = generate(appset(built[env_name]), env_name, folders)
    assert sorted(p["basename"] for p in generated) == sorted(catalog.environments[env_name].services)


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_generated_applications_policy(built: dict[str, Folders], env_name: str) -> None:
    spec = appset(built[env_name])["spec"]
    template = spec["template"]
    assert spec["goTemplate"] is True and spec["goTemplateOptions"] == ["missingkey=error"]
    assert template["metadata"]["finalizers"] == [FINALIZER]
    policy = template["spec"]["syncPolicy"]
    assert policy["automated"] == {"prune": True, "selfHeal": True}
    assert policy["retry"]["backoff"]["factor"] == 2
    assert {"CreateNamespace=false", "RespectIgnoreDifferences=true"} <= set(policy["syncOptions"])
    assert template["spec"]["ignoreDifferences"] == [
        {"group": "apps", "kind": "Deployment", "jsonPointers": ["/spec/replicas"]}]


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_rolling_sync_respects_dependency_order(catalog: Catalog, built: dict[str, Folders],
                                                env_name: str) -> None:
    env = catalog.environments[env_name]
    strategy = appset(built[env_name])["spec"]["strategy"]
    assert strategy["type"] == "RollingSync"
    step_of: dict[str, int] = {}
    for index, step in enumerate(strategy["rollingSync"]["steps"]):
        (expression,) = step["matchExpressions"]
        assert (expression["key"], expression["operator"]) == (SERVICE_LABEL, "In")
        for name in expression["values"]:
            assert name not in step_of, f"{name} in two steps"
            step_of[name] = index
    assert set(step_of) == set(env.services)
    for service in env.services.values():  # after every dependency, and as early as that allows
        earliest = max((step_of[dependency] + 1 for dependency in service.depends_on.services), default=0)
        assert step_of[service.name] == earliest, f"{service.name} rolls out in step {step_of[service.name]}"
    assert step_of == dependency_order(env)


def _cyclic_catalog(tmp_path: Path) -> Path:
    text = (ROOT / "platform.yaml").read_text()
    anchor = "    depends_on: {postgres: true}\n"  # audit-log-service, the root of the graph
    assert text.count(anchor) == 1
    path = tmp_path / "platform.yaml"
    path.write_text(text.replace(anchor, "    depends_on: {services: [auth-service], postgres: true}\n"))
    return path


def test_dependency_cycle_is_a_catalog_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match=r"dependency cycle: .*audit-log-service -> auth-service"):
        load_catalog(_cyclic_catalog(tmp_path))


def test_dependency_cycle_exits_2(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "main.py", "check", "--catalog", str(_cyclic_catalog(tmp_path))],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "dependency cycle" in result.stderr
    assert "Traceback" not in result.stderr
