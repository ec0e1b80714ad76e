"""Shared fixtures: the real catalog (loaded once, at collection: tests/catalog_params.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from catalog_params import CATALOG

from catalog import Catalog, Environment


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return CATALOG


@pytest.fixture(scope="session")
def env(catalog: Catalog) -> Callable[[str], Environment]:
    """`env(name)` -> that resolved Environment."""
    return lambda name: catalog.environments[name]


@pytest.fixture(scope="session")
def infra(catalog: Catalog, tmp_path_factory: pytest.TempPathFactory):
    """Every Terraform stack synthesized once per session into a temp cdktf.out (see infra_support)."""
    from infra_support import synthesize_all

    return synthesize_all(catalog, tmp_path_factory.mktemp("cdktf.out"))


@pytest.fixture(scope="session")
def terraform_plans(infra, tmp_path_factory: pytest.TempPathFactory):
    """init, validate and an offline plan of every stack, running in the background; futures by stack."""
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


@pytest.fixture(scope="session", autouse=True)
def _start_background_work_early(request: pytest.FixtureRequest) -> None:
    """Start the Terraform plans and the slow-path synth before the first test when this session runs
    them: their minute of work in other processes then runs beside the suite instead of after it."""
    from terraform_support import MISSING

    files = {item.path.name for item in request.session.items}
    if "test_slow_path.py" in files:
        request.getfixturevalue("slow_path_synth")
    if MISSING is None and "test_terraform_integration.py" in files:
        request.getfixturevalue("terraform_plans")
