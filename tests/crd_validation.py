"""Strict schema checks for chart tests, through the same validator `main.py validate` uses.

Custom resources are checked against the CRDs in ../shared/crds (unknown fields rejected), built-in
kinds against the schemas of the environment's Kubernetes version.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from validation import CrdSchemas, builtin_errors

__all__ = ["CRD_DIR", "custom_kinds", "validate_builtin", "validate_custom"]

CRD_DIR = Path(__file__).resolve().parents[2] / "shared" / "crds"


@functools.cache
def _schemas() -> CrdSchemas:
    return CrdSchemas(CRD_DIR)


def custom_kinds() -> set[tuple[str, str]]:
    return set(_schemas().validators)


def validate_custom(manifest: dict[str, Any]) -> list[str]:
    """Every schema error of a custom resource; an apiVersion/kind with no served CRD is one error."""
    errors = _schemas().errors(manifest)
    return [f"no served CRD for {manifest['apiVersion']} {manifest['kind']} in {CRD_DIR}"] if errors is None else errors


def validate_builtin(manifest: dict[str, Any], kubernetes_version: str) -> list[str]:
    """Every schema error of a built-in kind in that version ("1.30"); an API it does not serve is one."""
    return builtin_errors(manifest, kubernetes_version)
