"""Shared fixtures: the real catalog (loaded once, at collection: tests/catalog_params.py)."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest
from catalog_params import CATALOG

from catalog import Catalog, Environment

# The in-process AWS emulator (moto) of the verify and rehearsal tests: no test reads its ~40,000 sample
# AMIs, which it would otherwise load for every region of every test.
os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return CATALOG


@pytest.fixture(scope="session")
def env(catalog: Catalog) -> Callable[[str], Environment]:
    """`env(name)` -> that resolved Environment."""
    return lambda name: catalog.environments[name]


@pytest.fixture(scope="session")
def platform_folders(catalog: Catalog) -> dict[str, dict[str, list[dict]]]:
    """Every environment's Kubernetes objects by gitops_out/ folder, as synth renders them, built once per
    session (the fast render, byte-identical to cdk8s's: tests/test_fast_render.py). Shared: read only."""
    from k8s_charts import build_environment, manifests_by_folder
    from speedups import fast_render

    return {name: manifests_by_folder(build_environment(catalog, env), fast_render.render)
            for name, env in catalog.environments.items()}


@pytest.fixture(scope="session")
def platform_objects(platform_folders) -> dict[str, list[dict]]:
    """Every environment's Kubernetes objects, all folders together."""
    return {name: [obj for objects in folders.values() for obj in objects]
            for name, folders in platform_folders.items()}


@pytest.fixture(scope="session")
def infra(catalog: Catalog, tmp_path_factory: pytest.TempPathFactory):
    """Every Terraform stack synthesized once per session into a temp cdktf.out (see infra_support)."""
    from infra_support import synthesize_all

    return synthesize_all(catalog, tmp_path_factory.mktemp("cdktf.out"))


@pytest.fixture(scope="session")
def terraform_plans(infra, tmp_path_factory: pytest.TempPathFactory):
    """init and an offline plan (which validates) of every stack, running in the background; futures by stack."""
    from terraform_support import start_plans

    pool, futures = start_plans(infra.outdir / "stacks", list(infra.stacks), tmp_path_factory.mktemp("plans"),
                                workers=1)
    yield futures
    pool.shutdown(cancel_futures=True)


@pytest.fixture(scope="session")
def slow_path_synth(tmp_path_factory: pytest.TempPathFactory):
    """The real stacks synthesized with the fast path off, in a background process (see slow_path_support)."""
    from slow_path_support import start

    process, out = start(tmp_path_factory.mktemp("slow-path"))
    yield process, out
    process.kill()
    process.wait()


@pytest.fixture(scope="session")
def checkov_scans(request: pytest.FixtureRequest):
    """The policy scans the session's tests read, running in the background, by framework: the synthesized
    stacks (test_terraform_integration.py) and the committed gitops_out/ (test_kubernetes_policy.py)."""
    from checkov_support import CHECKOV, start

    files = {item.path.name for item in request.session.items}
    scans = {}
    if CHECKOV.is_file() and "test_terraform_integration.py" in files:
        scans["terraform_json"] = start(request.getfixturevalue("infra").outdir, "terraform_json")
    if CHECKOV.is_file() and "test_kubernetes_policy.py" in files:
        scans["kubernetes"] = start("gitops_out", "kubernetes")
    yield scans
    for scan in scans.values():
        scan.kill()
        scan.wait()


@pytest.fixture(scope="session", autouse=True)
def _start_background_work_early(request: pytest.FixtureRequest) -> None:
    """Start the Terraform plans, the policy scans and the slow-path synth before the first test when this
    session runs them: their minute of work in other processes then runs beside the suite instead of after it."""
    from terraform_support import MISSING

    files = {item.path.name for item in request.session.items}
    if "test_slow_path.py" in files:
        request.getfixturevalue("slow_path_synth")
    if MISSING is None and "test_terraform_integration.py" in files:
        request.getfixturevalue("terraform_plans")
    request.getfixturevalue("checkov_scans")
