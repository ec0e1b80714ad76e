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
