"""Strict schema checks for tests: custom resources against ../shared/crds, built-in kinds via kubernetes-validate.

"Strict" means unknown fields fail: every schema node that declares `properties` and does not set
`x-kubernetes-preserve-unknown-fields` gets `additionalProperties: false`, as the API server
prunes (and `kubectl --validate=strict` rejects) such fields.
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import yaml

__all__ = ["CRD_DIR", "custom_kinds", "validate_builtin", "validate_custom"]

CRD_DIR = Path(__file__).resolve().parents[2] / "shared" / "crds"
KUBERNETES_VERSION = "1.30.0"


def _strict(node: Any) -> Any:
    if isinstance(node, dict):
        node = {key: _strict(value) for key, value in node.items()}
        if ("properties" in node and not node.get("x-kubernetes-preserve-unknown-fields")
                and "additionalProperties" not in node):
            node["additionalProperties"] = False
        return node
    if isinstance(node, list):
        return [_strict(item) for item in node]
    return node


@functools.cache
def _validators() -> dict[tuple[str, str], jsonschema.Draft7Validator]:
    """(apiVersion, kind) -> validator for each served version of each CRD in CRD_DIR."""
    validators = {}
    for path in sorted(CRD_DIR.glob("*.yaml")):
        crd = yaml.safe_load(path.read_text())
        spec = crd["spec"]
        for version in spec["versions"]:
            if version["served"]:
                schema = copy.deepcopy(version["schema"]["openAPIV3Schema"])
                # metadata is validated by the API server, not by the CRD schema.
                schema["properties"]["metadata"] = {"type": "object"}
                api_version = f"{spec['group']}/{version['name']}"
                validators[(api_version, spec["names"]["kind"])] = jsonschema.Draft7Validator(_strict(schema))
    return validators


def custom_kinds() -> set[tuple[str, str]]:
    return set(_validators())


def validate_custom(manifest: dict[str, Any]) -> list[str]:
    """Every schema error of a custom resource; an apiVersion/kind with no served CRD is one error."""
    validator = _validators().get((manifest["apiVersion"], manifest["kind"]))
    if validator is None:
        return [f"no served CRD for {manifest['apiVersion']} {manifest['kind']} in {CRD_DIR}"]
    return [f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
            for error in validator.iter_errors(manifest)]


def validate_builtin(manifest: dict[str, Any]) -> list[str]:
    try:
        kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as error:
        return [str(error)]
    return []
