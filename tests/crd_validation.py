"""Strict schema checks for chart tests, through the same validator `main.py validate` uses.

Custom resources are checked against the CRDs in ../shared/crds (unknown fields rejected), built-in
kinds against the Kubernetes 1.30 schemas.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from validation import CrdSchemas, builtin_errors

__all__ = ["CRD_DIR", "custom_kinds", "validate_builtin", "validate_custom"]

CRD_DIR = Path(__file__).resolve().parents[2] / "shared" / "crds"
KUBERNETES_VERSION = "1.30"


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
