"""Shared fixtures: the real catalog, loaded once per session."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from catalog import Catalog, Environment, load_catalog

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog(ROOT / "platform.yaml")


@pytest.fixture(scope="session")
def env(catalog: Catalog) -> Callable[[str], Environment]:
    """`env("prod")` -> that resolved Environment."""
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

    pool, futures = start_plans(infra.outdir / "stacks", tmp_path_factory.mktemp("plans"), workers=1)
    yield futures
    pool.shutdown(cancel_futures=True)


@pytest.fixture(scope="session", autouse=True)
def _start_terraform_early(request: pytest.FixtureRequest) -> None:
    """Start the plans before the first test when this session runs them: ~70 s of work in provider
    processes then runs on the second core beside the rest of the suite instead of after it."""
    from terraform_support import MISSING

    if MISSING is None and any(item.path.name == "test_terraform_integration.py" for item in request.session.items):
        request.getfixturevalue("terraform_plans")
