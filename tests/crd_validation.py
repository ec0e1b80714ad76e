"""Strict schema checks for chart tests, through the same validator `main.py validate` uses.

Custom resources are checked against the CRDs in ../shared/crds (unknown fields rejected), built-in
kinds against the schemas of the newest Kubernetes version the catalog's environments run.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from catalog import load_catalog
from validation import CrdSchemas, builtin_errors

__all__ = ["CRD_DIR", "custom_kinds", "validate_builtin", "validate_custom"]

ROOT = Path(__file__).resolve().parents[1]
CRD_DIR = ROOT.parent / "shared" / "crds"
KUBERNETES_VERSION = max((env.kubernetes_version for env in load_catalog(ROOT / "platform.yaml").environments.values()),
                         key=lambda version: tuple(map(int, version.split("."))))


@functools.cache
def _schemas() -> CrdSchemas:
    return CrdSchemas(CRD_DIR)


def custom_kinds() -> set[tuple[str, str]]:
    return set(_schemas().validators)


def validate_custom(manifest: dict[str, Any]) -> list[str]:
    """Every schema error of a custom resource; an apiVersion/kind with no served CRD is one error."""
    errors = _schemas().errors(manifest)
    return [f"no served CRD for {manifest['apiVersion']} {manifest['kind']} in {CRD_DIR}"] if errors is None else errors


def validate_builtin(manifest: dict[str, Any]) -> list[str]:
    return builtin_errors(manifest, KUBERNETES_VERSION)
