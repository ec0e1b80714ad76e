"""Argo CD bootstraps from the values synth writes, then manages itself (k8s_charts.addons.argo_cd): its
Application syncs first, carries what the app-of-apps relies on, and installs what the bootstrap installed."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from catalog_params import ENVIRONMENTS
from crd_validation import CRD_DIR

from catalog import Catalog, naming
from k8s_charts import bootstrap_path, bootstrap_values
from k8s_charts.addons import ADDONS, argo_cd
from output.render import render_documents, to_yaml
from validation import CrdSchemas, validate_tree

ROOT = Path(__file__).resolve().parent.parent
BOOTSTRAP = [addon for addon in ADDONS.values() if addon.bootstrap]


@pytest.fixture(scope="module")
def applications(platform_folders) -> dict[str, dict[str, dict[str, Any]]]:
    """Each environment's Applications and AppProjects by name, as synth builds them."""
    return {name: {obj["metadata"]["name"]: obj for obj in folders["apps"]}
            for name, folders in platform_folders.items()}


def wave(obj: dict[str, Any]) -> int:
    return int(obj["metadata"].get("annotations", {}).get("argocd.argoproj.io/sync-wave", "0"))


def test_argo_cd_is_the_one_bootstrap_addon() -> None:
    assert BOOTSTRAP == [argo_cd.ADDON]
    assert argo_cd.ADDON.depends_on == ()
    # The release the bootstrap installs is the one its Application adopts.
    assert argo_cd.ADDON.name == "argocd" and argo_cd.ADDON.namespace == naming.ARGOCD_NAMESPACE


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_argocd_application_syncs_first_after_the_projects(applications, env_name: str) -> None:
    objects = applications[env_name]
    app = objects[argo_cd.NAME]
    others = [obj for name, obj in objects.items()
              if obj["kind"] == "Application" and name not in (argo_cd.NAME, naming.ROOT_APP)]
    assert others and all(wave(app) < wave(other) for other in others)
    projects = [obj for obj in objects.values() if obj["kind"] == "AppProject"]
    assert all(wave(project) < wave(app) for project in projects)
    assert app["spec"]["project"] in {project["metadata"]["name"] for project in projects}


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_argocd_application_manages_the_bootstrapped_release(catalog: Catalog, applications, env_name: str) -> None:
    app = applications[env_name][argo_cd.NAME]
    source = app["spec"]["source"]
    assert (source["repoURL"], source["chart"], source["targetRevision"]) == (
        argo_cd.REPO_URL, argo_cd.CHART, argo_cd.VERSION)
    assert source["helm"]["releaseName"] == argo_cd.NAME
    assert app["spec"]["destination"]["namespace"] == naming.ARGOCD_NAMESPACE
    assert "finalizers" not in app["metadata"], "deleting the Application must not delete Argo CD"
    assert source["helm"]["valuesObject"] == argo_cd.values(catalog.environments[env_name])


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_argocd_values_carry_progressive_syncs_and_application_health(applications, env_name: str) -> None:
    values = applications[env_name][argo_cd.NAME]["spec"]["source"]["helm"]["valuesObject"]
    assert values["configs"]["params"]["applicationsetcontroller.enable.progressive.syncs"] is True
    health = values["configs"]["cm"]["resource.customizations.health.argoproj.io_Application"]
    # Argo CD's documented assessment: an Application's own health, Progressing until it has one.
    assert 'hs.status = "Progressing"' in health and "hs.status = obj.status.health.status" in health
    assert health.rstrip().endswith("return hs")
    # Annotation tracking, so Argo CD does not take the charts' app.kubernetes.io/instance labels as its own.
    assert values["configs"]["cm"]["application.resourceTrackingMethod"] == "annotation"


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_bootstrap_values_file_is_the_applications_values(catalog: Catalog, applications, env_name: str) -> None:
    files = render_documents(bootstrap_values(catalog.environments[env_name]))
    assert set(files) == {bootstrap_path(addon) for addon in BOOTSTRAP}
    for addon in BOOTSTRAP:
        values = applications[env_name][addon.name]["spec"]["source"]["helm"]["valuesObject"]
        assert files[bootstrap_path(addon)] == to_yaml(values)


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_committed_bootstrap_values_file_is_the_committed_applications_values(env_name: str) -> None:
    tree = ROOT / "gitops_out" / env_name
    if not tree.is_dir():
        pytest.skip(f"{tree} is not synthesized yet")
    for addon in BOOTSTRAP:
        app = yaml.safe_load((tree / "apps" / f"application-{naming.ARGOCD_NAMESPACE}-{addon.name}.yaml").read_text())
        assert (tree / bootstrap_path(addon)).read_bytes() == to_yaml(app["spec"]["source"]["helm"]["valuesObject"])


def test_readme_bring_up_installs_the_pinned_chart_with_the_files_synth_writes() -> None:
    readme = (ROOT / "README.md").read_text()
    (install,) = re.findall(r"^ *helm install (\S+) (\S+) --repo (\S+) --version (\S+) -n (\S+) --create-namespace"
                            r" -f gitops_out/\$ENV/(\S+)$", readme, flags=re.MULTILINE)
    addon = argo_cd.ADDON
    assert install == (addon.name, addon.chart, addon.repo_url, addon.version, addon.namespace, bootstrap_path(addon))
    applied = re.findall(r"^ *kubectl apply -f gitops_out/\$ENV/(\S+)$", readme, flags=re.MULTILINE)
    assert applied, "the hand-over applies the root Application and the services ApplicationSet"
    for env_name in ENVIRONMENTS:
        for path in (bootstrap_path(addon), *applied):
            assert (ROOT / "gitops_out" / env_name / path).is_file(), f"README names {env_name}/{path}"


@pytest.fixture
def tree_copy(tmp_path: Path) -> Path:
    target = tmp_path / "gitops_out"
    shutil.copytree(ROOT / "gitops_out", target)
    return target


def _documents(root: Path, *, skip: str) -> int:
    return sum(1 for path in root.rglob("*.yaml") if skip not in path.relative_to(root).parts[1:2]
               for document in yaml.load_all(path.read_text(), Loader=yaml.CSafeLoader) if document)


def test_validate_skips_the_bootstrap_folders_and_checks_everything_else(catalog: Catalog, tree_copy: Path) -> None:
    if not CRD_DIR.is_dir():
        pytest.skip(f"no CRD folder at {CRD_DIR}")
    versions = {name: env.kubernetes_version for name, env in catalog.environments.items()}
    broken = "apiVersion: v1\nkind: Pod\nmetadata: {name: not-an-object}\nspec: {colour: red}\n"
    for env_name in ENVIRONMENTS:
        assert (tree_copy / env_name / naming.BOOTSTRAP_FOLDER).is_dir()
        (tree_copy / env_name / naming.BOOTSTRAP_FOLDER / "pod.yaml").write_text(broken)
    report = validate_tree(tree_copy, kubernetes_versions=versions, crds=CrdSchemas(CRD_DIR),
                           gitops_repo=catalog.project.gitops_repo_url)
    assert report.findings == []
    checked = report.builtin_checked + report.custom_checked
    assert checked == _documents(tree_copy, skip=naming.BOOTSTRAP_FOLDER) > 0
    # The same document anywhere else is checked and refused.
    (tree_copy / ENVIRONMENTS[0] / "cluster" / "pod.yaml").write_text(broken)
    report = validate_tree(tree_copy, kubernetes_versions=versions, crds=CrdSchemas(CRD_DIR),
                           gitops_repo=catalog.project.gitops_repo_url)
    assert any("colour" in finding.message for finding in report.findings)
