"""The cluster half of `main.py verify`, through the Kubernetes API with the official client.

Objects are read as the API serves them (camelCase JSON, the upstream types' field names) and judged
by pure functions, so tests feed the same shapes. Every live object of a checked kind must be healthy,
and every object gitops_out/<env> implies must exist.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from operations.findings import AccessError, Finding
from operations.manifests import Expected

__all__ = ["CHECKS", "connect", "findings", "read_live"]

Obj = Mapping[str, Any]
Key = tuple[str, str]
UNAUTHORIZED = (401, 403)
NOT_FOUND = "not found in the cluster"


def connect(kubeconfig: str | None, context: str | None) -> Any:
    """An ApiClient for the kubeconfig (default: $KUBECONFIG or ~/.kube/config) and context."""
    from kubernetes import config
    from kubernetes.config.config_exception import ConfigException

    try:
        return config.new_client_from_config(config_file=kubeconfig, context=context)
    except (ConfigException, OSError) as error:
        raise AccessError(f"no usable kubeconfig: {' '.join(str(error).split())}") from error


def read_live(api: Any, application_namespaces: Iterable[str]) -> dict[str, list[dict[str, Any]] | str]:
    """Per check, the live objects as JSON, or one line saying why they could not be read."""
    from kubernetes import client
    from kubernetes.client.exceptions import ApiException
    from urllib3.exceptions import HTTPError

    custom = client.CustomObjectsApi(api)
    readers: dict[str, Callable[[], Any]] = {
        "applications": lambda: [item for namespace in sorted(application_namespaces) for item in
                                 custom.list_namespaced_custom_object("argoproj.io", "v1alpha1", namespace,
                                                                      "applications")["items"]],
        "deployments": lambda: client.AppsV1Api(api).list_deployment_for_all_namespaces().items,
        "autoscalers": lambda: client.AutoscalingV2Api(api).list_horizontal_pod_autoscaler_for_all_namespaces().items,
        "disruption-budgets": lambda: client.PolicyV1Api(api).list_pod_disruption_budget_for_all_namespaces().items,
        "certificates": lambda: custom.list_cluster_custom_object("cert-manager.io", "v1", "certificates")["items"],
        "external-secrets": lambda: custom.list_cluster_custom_object("external-secrets.io", "v1",
                                                                      "externalsecrets")["items"],
    }
    live: dict[str, list[dict[str, Any]] | str] = {}
    for name, read in readers.items():
        try:
            live[name] = api.sanitize_for_serialization(read())
        except ApiException as error:
            if error.status in UNAUTHORIZED:
                raise AccessError(f"the Kubernetes API refused the credentials: {error.status} {error.reason}") \
                    from error
            live[name] = f"cannot list: {error.status} {error.reason}"
        except HTTPError as error:
            raise AccessError(f"cannot reach the Kubernetes API: {' '.join(str(error).split())}") from error
    return live


def _key(obj: Obj) -> Key:
    return obj["metadata"].get("namespace", ""), obj["metadata"]["name"]


def _subject(key: Key) -> str:
    return "/".join(part for part in key if part)


def _condition(obj: Obj, kind: str) -> list[str]:
    """[] when condition `kind` is True, else one problem naming its reason and message."""
    found = next((c for c in obj.get("status", {}).get("conditions") or () if c.get("type") == kind), None)
    if found is None:
        return [f"no {kind} condition yet"]
    if found.get("status") == "True":
        return []
    detail = ": ".join(str(found[field]) for field in ("reason", "message") if found.get(field))
    return [f"{kind} {found.get('status')}" + (f" ({detail})" if detail else "")]


def _each(check: str, live: list[dict[str, Any]] | str, expected: Iterable[Key],
          judge: Callable[[Obj], list[str]]) -> list[Finding]:
    if isinstance(live, str):
        return [Finding(check, "*", live)]
    by_key = {_key(obj): obj for obj in live}
    return [Finding(check, _subject(key), "; ".join(judge(by_key[key])) if key in by_key else NOT_FOUND)
            for key in sorted(set(expected) | set(by_key))]


def applications(live: Mapping[str, Any], expected: Expected) -> list[Finding]:
    def judge(app: Obj) -> list[str]:
        status = app.get("status", {})
        sync = status.get("sync", {}).get("status", "Unknown")
        health = status.get("health", {})
        problems = [] if sync == "Synced" else [f"sync {sync}"]
        if health.get("status") != "Healthy":
            problems.append(f"health {health.get('status', 'Unknown')}"
                            + (f" ({health['message']})" if health.get("message") else ""))
        return problems

    return _each("applications", live["applications"], expected.applications, judge)


def _minimums(autoscalers: list[dict[str, Any]] | str, expected: Expected) -> dict[Key, int]:
    """HPA minimum per Deployment: the live autoscalers', else what gitops_out asks for."""
    minimums = dict(expected.autoscaling_minimums)
    for hpa in autoscalers if isinstance(autoscalers, list) else ():
        target = hpa["spec"]["scaleTargetRef"]
        if target["kind"] == "Deployment":
            minimums[(_key(hpa)[0], target["name"])] = hpa["spec"].get("minReplicas", 1)
    return minimums


def deployments(live: Mapping[str, Any], expected: Expected) -> list[Finding]:
    minimums = _minimums(live["autoscalers"], expected)

    def judge(deployment: Obj) -> list[str]:
        key = _key(deployment)
        minimum = minimums.get(key, deployment["spec"].get("replicas", 1))
        available = deployment.get("status", {}).get("availableReplicas", 0)
        source = "HPA minimum" if key in minimums else "replicas"
        return [] if available >= minimum else [f"{available} available, {source} {minimum}"]

    return _each("deployments", live["deployments"], expected.deployments, judge)


def disruption_budgets(live: Mapping[str, Any], expected: Expected) -> list[Finding]:
    def judge(pdb: Obj) -> list[str]:
        status = pdb.get("status", {})
        if status.get("disruptionsAllowed", 0) >= 1:
            return []
        return [f"allows no disruption ({status.get('currentHealthy', 0)} healthy, "
                f"{status.get('desiredHealthy', 0)} desired), so node drains would hang"]

    return _each("disruption-budgets", live["disruption-budgets"], expected.disruption_budgets, judge)


def certificates(live: Mapping[str, Any], expected: Expected) -> list[Finding]:
    return _each("certificates", live["certificates"], expected.certificates, lambda c: _condition(c, "Ready"))


def external_secrets(live: Mapping[str, Any], expected: Expected) -> list[Finding]:
    return _each("external-secrets", live["external-secrets"], expected.external_secrets,
                 lambda s: _condition(s, "Ready"))


CHECKS = {
    "applications": applications,
    "deployments": deployments,
    "disruption-budgets": disruption_budgets,
    "certificates": certificates,
    "external-secrets": external_secrets,
}


def findings(live: Mapping[str, Any], expected: Expected, skip: Iterable[str] = ()) -> list[Finding]:
    return [finding for name, check in CHECKS.items() if name not in skip for finding in check(live, expected)]
