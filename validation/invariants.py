"""The invariants no schema expresses: every Deployment has its Service, HPA, PDB, ServiceAccount and
NetworkPolicy in its environment and namespace, and they agree with it; every Argo CD path exists."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from validation.report import Finding

__all__ = ["argo_paths", "namespace_baselines", "workload_invariants"]

Manifest = dict[str, Any]


def _labels_match(selector: dict[str, str] | None, labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(key) == value for key, value in selector.items())


def _allowed_disruptions(pdb_spec: dict[str, Any], replicas: int) -> int:
    if "minAvailable" in pdb_spec:
        return replicas - int(pdb_spec["minAvailable"])
    return min(int(pdb_spec.get("maxUnavailable", 0)), replicas)


class _Workload:
    """One Deployment and the objects of its environment and namespace, by kind."""

    def __init__(self, deployment: Manifest, beside: dict[str, list[Manifest]]) -> None:
        self.deployment, self.beside = deployment, beside
        self.name = deployment["metadata"]["name"]
        self.pod = deployment["spec"]["template"]
        self.pod_labels = self.pod["metadata"].get("labels", {})
        self.containers = self.pod["spec"].get("containers", [])
        ports = [port for container in self.containers for port in container.get("ports", [])]
        self.port_names = {port.get("name") for port in ports}
        self.port_numbers = {port.get("containerPort") for port in ports}

    def companions(self, kind: str) -> list[Manifest]:
        return self.beside.get(kind, [])

    def selecting(self, kind: str, selector) -> list[Manifest]:
        """Objects of `kind` beside it whose selector (found by `selector`) matches its pods."""
        return [item for item in self.companions(kind) if _labels_match(selector(item["spec"]), self.pod_labels)]

    def has_port(self, port: Any) -> bool:
        return port in self.port_names if isinstance(port, str) else port in self.port_numbers


def workload_invariants(objects: list[tuple[str, Manifest]]) -> Iterator[Finding]:
    """Per Deployment: its companions exist in its env and namespace and agree with it."""
    by_kind: dict[tuple[str, str], dict[str, list[Manifest]]] = defaultdict(lambda: defaultdict(list))
    for file, manifest in objects:
        namespace = manifest.get("metadata", {}).get("namespace", "")
        by_kind[(file.split("/")[1], namespace)][manifest.get("kind", "")].append(manifest)
    for file, deployment in objects:
        if deployment.get("kind") != "Deployment":
            continue
        workload = _Workload(deployment, by_kind[(file.split("/")[1], deployment["metadata"].get("namespace", ""))])
        for check in (_service, _probes, _scaling, _identity_and_traffic):
            yield from (Finding(file, f"Deployment/{workload.name}", message) for message in check(workload))


def _service(workload: _Workload) -> Iterator[str]:
    services = workload.selecting("Service", lambda spec: spec.get("selector"))
    if not services:
        yield "no Service selects its pods"
    for service in services:
        for port in service["spec"].get("ports", []):
            if not workload.has_port(port.get("targetPort", port.get("port"))):
                yield (f"Service/{service['metadata']['name']} targetPort {port.get('targetPort')!r} "
                       "is not a container port")


def _probes(workload: _Workload) -> Iterator[str]:
    for container in workload.containers:
        for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
            spec = container.get(probe)
            if spec is None:
                yield f"container {container.get('name')} has no {probe}"
                continue
            port = (spec.get("httpGet") or spec.get("tcpSocket") or spec.get("grpc") or {}).get("port")
            if not workload.has_port(port):
                yield f"{probe} port {port!r} is not a container port"


def _scaling(workload: _Workload) -> Iterator[str]:
    hpas = [hpa for hpa in workload.companions("HorizontalPodAutoscaler")
            if hpa["spec"]["scaleTargetRef"].get("kind") == "Deployment"
            and hpa["spec"]["scaleTargetRef"].get("name") == workload.name]
    if not hpas:
        yield "no HorizontalPodAutoscaler targets it"
    elif "replicas" in workload.deployment["spec"]:
        yield "sets spec.replicas although an HPA manages it"
    pdbs = workload.selecting("PodDisruptionBudget", lambda spec: spec.get("selector", {}).get("matchLabels"))
    if not pdbs:
        yield "no PodDisruptionBudget selects its pods"
    for pdb, hpa in ((pdb, hpa) for pdb in pdbs for hpa in hpas):
        minimum = hpa["spec"].get("minReplicas", 1)
        if _allowed_disruptions(pdb["spec"], minimum) < 1:
            yield f"PodDisruptionBudget/{pdb['metadata']['name']} allows no disruption at the HPA minimum of {minimum}"


def _identity_and_traffic(workload: _Workload) -> Iterator[str]:
    account = workload.pod["spec"].get("serviceAccountName", "default")
    if not any(sa["metadata"]["name"] == account for sa in workload.companions("ServiceAccount")):
        yield f"ServiceAccount {account!r} is not defined beside it"
    if not workload.selecting("NetworkPolicy", lambda spec: spec.get("podSelector", {}).get("matchLabels")):
        yield "no NetworkPolicy selects its pods"
    if not _labels_match(workload.deployment["spec"].get("selector", {}).get("matchLabels"), workload.pod_labels):
        yield "spec.selector does not match the pod template labels"


def namespace_baselines(objects: list[tuple[str, Manifest]]) -> Iterator[Finding]:
    """Every namespace the platform creates starts at default deny: a NetworkPolicy selecting all its pods
    for both directions, with no rule (the allow-lists beside it open what each flow needs)."""
    denied = {(file.split("/")[1], manifest["metadata"].get("namespace")) for file, manifest in objects
              if manifest.get("kind") == "NetworkPolicy" and _denies_everything(manifest.get("spec", {}))}
    for file, manifest in objects:
        if manifest.get("kind") == "Namespace" and (file.split("/")[1], manifest["metadata"]["name"]) not in denied:
            yield Finding(file, f"Namespace/{manifest['metadata']['name']}",
                          "no default-deny NetworkPolicy (podSelector {}, Ingress and Egress, no rules)")


def _denies_everything(spec: dict[str, Any]) -> bool:
    return (spec.get("podSelector") == {} and sorted(spec.get("policyTypes", [])) == ["Egress", "Ingress"]
            and not spec.get("ingress") and not spec.get("egress"))


def argo_paths(root: Path, objects: list[tuple[str, dict[str, Any]]], gitops_repo: str) -> Iterator[Finding]:
    """Every Application source path in the GitOps repository exists in the tree; ApplicationSet directory
    globs match something. Sources from other repositories (an add-on's manifests at a tag, an OCI chart)
    are not looked for here."""
    repo = root.parent
    for file, manifest in objects:
        subject = f"{manifest.get('kind')}/{manifest.get('metadata', {}).get('name')}"
        if manifest.get("kind") == "Application":
            sources = [manifest["spec"].get("source"), *manifest["spec"].get("sources", [])]
            for source in filter(None, sources):
                if source.get("repoURL") != gitops_repo:
                    continue
                path = source.get("path")
                if path is not None and not (repo / path).is_dir():
                    yield Finding(file, subject, f"source path {path!r} does not exist")
        elif manifest.get("kind") == "ApplicationSet":
            for generator in manifest["spec"].get("generators", []):
                for directory in (generator.get("git") or {}).get("directories", []):
                    if not directory.get("exclude") and not any(repo.glob(directory["path"])):
                        yield Finding(file, subject, f"directory generator path {directory['path']!r} "
                                      "matches nothing")
