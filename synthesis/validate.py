"""Checks the committed GitOps tree the way a cluster and Argo CD will see it.

Built-in kinds are validated strictly against the Kubernetes schemas of the catalog's version
(kubernetes-validate's schemas and lookup; a built-in API with no schema, e.g. a removed beta, is
an error, not a warning); custom resources strictly against their CRDs' openAPIV3Schema; then the
invariants no schema can express: every Deployment has its Service, HPA, PDB, ServiceAccount and
NetworkPolicy, selectors match, ports exist, disruption is possible, Argo CD paths exist.
"""

from __future__ import annotations

import copy
import functools
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import referencing
import yaml
from kubernetes_validate.utils import all_versions, major_minor, schema_contents

__all__ = ["CrdSchemas", "Finding", "builtin_errors", "validate_tree"]


@dataclass(frozen=True, order=True)
class Finding:
    file: str
    subject: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.subject}: {self.message}"


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    builtin_checked: int = 0
    custom_checked: int = 0


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


def _is_builtin(api_version: str) -> bool:
    group = api_version.rpartition("/")[0]
    return "." not in group or group.endswith(".k8s.io")


def _load(root: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    for path in sorted(root.rglob("*.yaml")):
        relative = path.relative_to(root.parent).as_posix()
        for document in yaml.load_all(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader):
            if document is not None:
                yield relative, document


def validate_tree(
    root: Path, *, kubernetes_versions: dict[str, str], crds: CrdSchemas | None
) -> Report:
    """Validate every object under `root` (gitops_out/); `kubernetes_versions` maps env -> "1.30"."""
    report = Report()
    objects: list[tuple[str, dict[str, Any]]] = list(_load(root))
    for file, manifest in objects:
        subject = f"{manifest.get('kind')}/{manifest.get('metadata', {}).get('name')}"
        env = file.split("/")[1]
        version = kubernetes_versions.get(env)
        if version is None:
            report.findings.append(Finding(file, subject, f"environment folder {env!r} is not in the catalog"))
            continue
        api_version = str(manifest.get("apiVersion", ""))
        if _is_builtin(api_version):
            report.builtin_checked += 1
            report.findings.extend(Finding(file, subject, message) for message in builtin_errors(manifest, version))
            continue
        errors = crds.errors(manifest) if crds else None
        if errors is None:
            hint = "" if crds else " (pass --crd-dir to check custom resources)"
            report.findings.append(Finding(file, subject, f"no schema for {api_version} {manifest.get('kind')}{hint}"))
            continue
        report.custom_checked += 1
        report.findings.extend(Finding(file, subject, message) for message in errors)
    report.findings.extend(_invariants(objects))
    report.findings.extend(_argo_paths(root, objects))
    report.findings.sort()
    return report


def _labels_match(selector: dict[str, str] | None, labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(key) == value for key, value in selector.items())


def _allowed_disruptions(pdb_spec: dict[str, Any], replicas: int) -> int:
    if "minAvailable" in pdb_spec:
        return replicas - int(pdb_spec["minAvailable"])
    return min(int(pdb_spec.get("maxUnavailable", 0)), replicas)


def _invariants(objects: list[tuple[str, dict[str, Any]]]) -> Iterator[Finding]:
    """Per Deployment: its companions exist in its env and namespace and agree with it."""
    by_kind: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for file, manifest in objects:
        env = file.split("/")[1]
        namespace = manifest.get("metadata", {}).get("namespace", "")
        by_kind[(env, namespace, manifest.get("kind", ""))].append(manifest)
    for file, deployment in objects:
        if deployment.get("kind") != "Deployment":
            continue
        env, meta = file.split("/")[1], deployment["metadata"]
        name, namespace = meta["name"], meta.get("namespace", "")
        subject = f"Deployment/{name}"

        def companions(kind: str, env=env, namespace=namespace) -> list[dict[str, Any]]:
            return by_kind.get((env, namespace, kind), [])

        pod = deployment["spec"]["template"]
        pod_labels = pod["metadata"].get("labels", {})
        containers = pod["spec"].get("containers", [])
        port_names = {p.get("name") for c in containers for p in c.get("ports", [])}
        port_numbers = {p.get("containerPort") for c in containers for p in c.get("ports", [])}

        def port_exists(port: Any, names=port_names, numbers=port_numbers) -> bool:
            return port in names if isinstance(port, str) else port in numbers

        services = [s for s in companions("Service") if _labels_match(s["spec"].get("selector"), pod_labels)]
        if not services:
            yield Finding(file, subject, "no Service selects its pods")
        for service in services:
            for port in service["spec"].get("ports", []):
                if not port_exists(port.get("targetPort", port.get("port"))):
                    yield Finding(file, subject, f"Service/{service['metadata']['name']} targetPort "
                                  f"{port.get('targetPort')!r} is not a container port")
        for container in containers:
            for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
                spec = container.get(probe)
                if spec is None:
                    yield Finding(file, subject, f"container {container.get('name')} has no {probe}")
                    continue
                port = (spec.get("httpGet") or spec.get("tcpSocket") or spec.get("grpc") or {}).get("port")
                if not port_exists(port):
                    yield Finding(file, subject, f"{probe} port {port!r} is not a container port")
        hpas = [h for h in companions("HorizontalPodAutoscaler")
                if h["spec"]["scaleTargetRef"].get("kind") == "Deployment"
                and h["spec"]["scaleTargetRef"].get("name") == name]
        if not hpas:
            yield Finding(file, subject, "no HorizontalPodAutoscaler targets it")
        elif "replicas" in deployment["spec"]:
            yield Finding(file, subject, "sets spec.replicas although an HPA manages it")
        pdbs = [p for p in companions("PodDisruptionBudget")
                if _labels_match(p["spec"].get("selector", {}).get("matchLabels"), pod_labels)]
        if not pdbs:
            yield Finding(file, subject, "no PodDisruptionBudget selects its pods")
        for pdb, hpa in ((p, h) for p in pdbs for h in hpas):
            minimum = hpa["spec"].get("minReplicas", 1)
            if _allowed_disruptions(pdb["spec"], minimum) < 1:
                yield Finding(file, subject, f"PodDisruptionBudget/{pdb['metadata']['name']} allows no "
                              f"disruption at the HPA minimum of {minimum}")
        account = pod["spec"].get("serviceAccountName", "default")
        if not any(sa["metadata"]["name"] == account for sa in companions("ServiceAccount")):
            yield Finding(file, subject, f"ServiceAccount {account!r} is not defined beside it")
        policies = [
            n for n in companions("NetworkPolicy")
            if n["spec"].get("podSelector", {}).get("matchLabels")
            and _labels_match(n["spec"]["podSelector"]["matchLabels"], pod_labels)
        ]
        if not policies:
            yield Finding(file, subject, "no NetworkPolicy selects its pods")
        selector = deployment["spec"].get("selector", {}).get("matchLabels")
        if not _labels_match(selector, pod_labels):
            yield Finding(file, subject, "spec.selector does not match the pod template labels")


def _argo_paths(root: Path, objects: list[tuple[str, dict[str, Any]]]) -> Iterator[Finding]:
    """Every Application source path exists in the tree; ApplicationSet directory globs match something."""
    repo = root.parent
    for file, manifest in objects:
        subject = f"{manifest.get('kind')}/{manifest.get('metadata', {}).get('name')}"
        if manifest.get("kind") == "Application":
            sources = [manifest["spec"].get("source"), *manifest["spec"].get("sources", [])]
            for source in filter(None, sources):
                path = source.get("path")
                if path is not None and not (repo / path).is_dir():
                    yield Finding(file, subject, f"source path {path!r} does not exist")
        elif manifest.get("kind") == "ApplicationSet":
            for generator in manifest["spec"].get("generators", []):
                for directory in (generator.get("git") or {}).get("directories", []):
                    if not directory.get("exclude") and not any(repo.glob(directory["path"])):
                        yield Finding(file, subject, f"directory generator path {directory['path']!r} "
                                      "matches nothing")
