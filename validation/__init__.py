"""Checks the committed GitOps tree the way a cluster and Argo CD will see it.

Built-in kinds are validated strictly against the Kubernetes schemas of the catalog's version
(kubernetes-validate's schemas and lookup; a built-in API with no schema, e.g. a removed beta, is
an error, not a warning); custom resources strictly against their CRDs' openAPIV3Schema; then the
invariants no schema can express: every namespace starts at default deny; every Deployment has its
Service, HPA, PDB, ServiceAccount and
NetworkPolicy, selectors match, ports exist, disruption is possible, Argo CD paths exist.

Each environment's bootstrap folder holds Helm values files, not Kubernetes objects, and is left out.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import yaml

from catalog.naming import BOOTSTRAP_FOLDER
from validation.invariants import argo_paths, namespace_baselines, workload_invariants
from validation.report import Finding, Report
from validation.schemas import CrdSchemas, builtin_errors, is_builtin

__all__ = ["CrdSchemas", "Finding", "Report", "builtin_errors", "validate_tree"]


def _load(root: Path, env_names: Sequence[str] | None) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every document under `root` (or its `env_names` folders) as (path from the repository, object),
    bootstrap folders left out."""
    folders = [root / name for name in env_names] if env_names is not None else [root]
    for path in sorted(path for folder in folders for path in folder.rglob("*.yaml")):
        if path.relative_to(root).parts[1:2] == (BOOTSTRAP_FOLDER,):
            continue
        relative = path.relative_to(root.parent).as_posix()
        for document in yaml.load_all(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader):
            if document is not None:
                yield relative, document


def validate_tree(
    root: Path, *, kubernetes_versions: dict[str, str], crds: CrdSchemas | None, gitops_repo: str,
    env_names: Sequence[str] | None = None,
) -> Report:
    """Validate every object under `root` (gitops_out/), or under its `env_names` folders only;
    `kubernetes_versions` maps env -> "1.35"; `gitops_repo` is the repository `root` is committed to
    (Argo CD paths elsewhere are not checked)."""
    report = Report()
    objects: list[tuple[str, dict[str, Any]]] = list(_load(root, env_names))
    for file, manifest in objects:
        subject = f"{manifest.get('kind')}/{manifest.get('metadata', {}).get('name')}"
        env = file.split("/")[1]
        version = kubernetes_versions.get(env)
        if version is None:
            report.findings.append(Finding(file, subject, f"environment folder {env!r} is not in the catalog"))
            continue
        api_version = str(manifest.get("apiVersion", ""))
        if is_builtin(api_version):
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
    report.findings.extend(workload_invariants(objects))
    report.findings.extend(namespace_baselines(objects))
    report.findings.extend(argo_paths(root, objects, gitops_repo))
    report.findings.sort()
    return report
