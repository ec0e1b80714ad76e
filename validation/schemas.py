"""Schemas: built-in kinds strictly against the Kubernetes schemas of a version (kubernetes-validate's
schemas and lookup; a built-in API with no schema, e.g. a removed beta, is an error, not a warning),
custom resources strictly against their CRDs' openAPIV3Schema (unknown fields rejected)."""

from __future__ import annotations

import copy
import functools
import re
from pathlib import Path
from typing import Any

import jsonschema
import referencing
import yaml
from kubernetes_validate.utils import all_versions, major_minor, schema_contents

__all__ = ["CrdSchemas", "builtin_errors", "is_builtin"]


def _strict(schema: Any) -> Any:
    """Close every object schema that lists properties, as the API server's pruning would."""
    if isinstance(schema, dict):
        schema = {key: _strict(value) for key, value in schema.items()}
        if (
            "properties" in schema
            and "additionalProperties" not in schema
            and not schema.get("x-kubernetes-preserve-unknown-fields")
        ):
            schema["additionalProperties"] = False
        return schema
    if isinstance(schema, list):
        return [_strict(item) for item in schema]
    return schema


class CrdSchemas:
    """Strict validators for every served version of the CRDs in a folder, by (apiVersion, kind)."""

    def __init__(self, crd_dir: Path) -> None:
        stats = {path.name: path.stat() for path in sorted(crd_dir.glob("*.yaml"))}
        state = tuple((name, stat.st_mtime_ns, stat.st_size) for name, stat in stats.items())
        self.validators = _compile_crds(crd_dir.resolve(), state)

    def errors(self, manifest: dict[str, Any]) -> list[str] | None:
        """Schema errors, or None when no CRD serves this apiVersion/kind."""
        validator = self.validators.get((manifest.get("apiVersion"), manifest.get("kind")))
        return None if validator is None else _messages(validator, manifest)


@functools.cache
def _compile_crds(
    crd_dir: Path, state: tuple[tuple[str, int, int], ...]
) -> dict[tuple[str, str], jsonschema.Draft7Validator]:
    """Parsed and compiled once per process for each state of the folder (~1.5 s: the CRDs are large)."""
    validators: dict[tuple[str, str], jsonschema.Draft7Validator] = {}
    for name, _, _ in state:
        for crd in yaml.load_all((crd_dir / name).read_text(encoding="utf-8"), Loader=yaml.CSafeLoader):
            if not crd or crd.get("kind") != "CustomResourceDefinition":
                continue
            spec = crd["spec"]
            for version in spec["versions"]:
                if version.get("served"):
                    schema = _strict(copy.deepcopy(version["schema"]["openAPIV3Schema"]))
                    # the API server validates metadata itself; CRD schemas leave it open
                    schema.setdefault("properties", {})["metadata"] = {"type": "object"}
                    key = (f"{spec['group']}/{version['name']}", spec["names"]["kind"])
                    validators[key] = jsonschema.Draft7Validator(schema)
    return validators


def _messages(validator: jsonschema.protocols.Validator, manifest: dict[str, Any]) -> list[str]:
    """Every schema error, as `field.path: message`."""
    return sorted(
        f"{'.'.join(str(p) for p in error.absolute_path) or '(root)'}: {error.message}"
        for error in validator.iter_errors(manifest)
    )


@functools.cache
def _builtin_validator(version: str, api_version: str, kind: str) -> jsonschema.Draft202012Validator | None:
    """kubernetes-validate's strict schema for one kind, compiled once, or None if the API is not served.

    Its `validate()` re-reads ~1 MB of definitions per object and stops at the first error; this
    keeps its schemas and lookup rules and reports every error.
    """
    schema_version = [v for v in all_versions() if major_minor(v) <= version][-1]
    folder = f"kubernetes-json-schema/v{schema_version}-local-strict"
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    try:
        schema = schema_contents(f"{folder}/{kind.lower()}-{group_version}.json", version)
    except FileNotFoundError:
        return None
    definitions = schema_contents(f"{folder}/_definitions.json", version)
    registry = referencing.Resource.from_contents(schema) @ referencing.Registry()
    registry = referencing.Resource.from_contents(definitions) @ registry
    return jsonschema.Draft202012Validator(schema, registry=registry)


def builtin_errors(manifest: dict[str, Any], version: str) -> list[str]:
    """Schema errors of a built-in kind in Kubernetes `version` ("1.30"); an API it does not serve is one."""
    api_version, kind = str(manifest.get("apiVersion", "")), str(manifest.get("kind"))
    validator = _builtin_validator(version, api_version, kind)
    if validator is None:
        return [f"{api_version} {kind} is not served by Kubernetes {version}"]
    return _messages(validator, manifest)


# Groups under k8s.io that Kubernetes projects serve through CRDs, not the API server itself.
CRD_GROUPS_UNDER_K8S_IO = ("gateway.networking.k8s.io",)


def is_builtin(api_version: str) -> bool:
    group = api_version.rpartition("/")[0]
    if group in CRD_GROUPS_UNDER_K8S_IO or group.endswith(".x-k8s.io"):
        return False
    return "." not in group or group.endswith(".k8s.io")
