"""verify's cluster half: objects whose status fields follow the upstream API types exactly.

Built-in kinds are built with the official client's models (generated from the Kubernetes OpenAPI)
and serialized as the API server sends them; custom resources are checked against their CRD schemas
in ../shared/crds with unknown fields rejected. A fake API server then serves them to `main.py verify`
through a kubeconfig, so the reader, the checks and the exit codes are tested together.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from crd_validation import CRD_DIR, validate_custom
from kubernetes import client

import main
from operations import manifests, verify_cluster

ROOT = Path(__file__).resolve().parent.parent
SERIALIZE = client.ApiClient().sanitize_for_serialization
DOCS = manifests.load(ROOT / "gitops_out", "dev")


def doc(kind: str, name: str) -> dict[str, Any]:
    return copy.deepcopy(dict(next(d.body for d in DOCS if d.kind == kind and d.key[1] == name)))


def deployment(namespace: str, name: str, available: int | None, replicas: int = 1) -> dict[str, Any]:
    return SERIALIZE(client.V1Deployment(
        api_version="apps/v1", kind="Deployment",
        metadata=client.V1ObjectMeta(name=name, namespace=namespace),
        spec=client.V1DeploymentSpec(replicas=replicas, selector=client.V1LabelSelector(match_labels={"app": name}),
                                     template=client.V1PodTemplateSpec()),
        status=client.V1DeploymentStatus(available_replicas=available, replicas=replicas)))


def autoscaler(namespace: str, deployment_name: str, minimum: int) -> dict[str, Any]:
    return SERIALIZE(client.V2HorizontalPodAutoscaler(
        api_version="autoscaling/v2", kind="HorizontalPodAutoscaler",
        metadata=client.V1ObjectMeta(name=deployment_name, namespace=namespace),
        spec=client.V2HorizontalPodAutoscalerSpec(
            min_replicas=minimum, max_replicas=minimum + 2,
            scale_target_ref=client.V2CrossVersionObjectReference(api_version="apps/v1", kind="Deployment",
                                                                  name=deployment_name))))


def disruption_budget(namespace: str, name: str, allowed: int) -> dict[str, Any]:
    return SERIALIZE(client.V1PodDisruptionBudget(
        api_version="policy/v1", kind="PodDisruptionBudget",
        metadata=client.V1ObjectMeta(name=name, namespace=namespace),
        spec=client.V1PodDisruptionBudgetSpec(max_unavailable=1),
        status=client.V1PodDisruptionBudgetStatus(disruptions_allowed=allowed, current_healthy=1, desired_healthy=1,
                                                  expected_pods=1)))


def application(name: str, sync: str, health: str, message: str | None = None) -> dict[str, Any]:
    """An Argo CD Application (argoproj.io/v1alpha1): .status.sync.status, .status.health.status."""
    app = doc("Application", "loki")
    app["metadata"]["name"] = name
    app["status"] = {"sync": {"status": sync, "revision": "0123abc"},
                     "health": {"status": health, **({"message": message} if message else {})}}
    return app


def condition(ready: str, reason: str, message: str) -> dict[str, Any]:
    return {"type": "Ready", "status": ready, "reason": reason, "message": message,
            "lastTransitionTime": "2026-11-30T07:00:00Z"}


def certificate(namespace: str, name: str, ready: str, reason: str = "Ready", message: str = "") -> dict[str, Any]:
    """A cert-manager Certificate (cert-manager.io/v1): .status.conditions[type=Ready]."""
    return {"apiVersion": "cert-manager.io/v1", "kind": "Certificate",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"secretName": name, "dnsNames": ["api.dev.payledger.io"],
                     "issuerRef": {"name": "letsencrypt-production", "kind": "ClusterIssuer"}},
            "status": {"conditions": [condition(ready, reason, message or "Certificate is up to date")]}}


def external_secret(namespace: str, name: str, ready: str, reason: str = "SecretSynced") -> dict[str, Any]:
    """An ExternalSecret (external-secrets.io/v1): .status.conditions[type=Ready]."""
    secret = next(copy.deepcopy(dict(d.body)) for d in DOCS if d.kind == "ExternalSecret")
    secret["metadata"].update(name=name, namespace=namespace)
    secret["status"] = {"conditions": [condition(ready, reason, "could not get secret data from provider"
                                                 if ready == "False" else "secret synced")],
                        "refreshTime": "2026-11-30T07:00:00Z"}
    return secret


# The one Certificate gitops_out/dev asks for: the edge Gateway's.
EDGE_CERTIFICATE = min(manifests.expected_objects(DOCS).certificates)


def healthy_cluster() -> dict[str, list[dict[str, Any]]]:
    """What gitops_out/dev implies, every object healthy."""
    expected = manifests.expected_objects(DOCS)
    minimums = expected.autoscaling_minimums
    return {
        "applications": [application(name, "Synced", "Healthy") for _, name in sorted(expected.applications)],
        "deployments": [deployment(*key, available=minimums[key]) for key in sorted(expected.deployments)],
        "autoscalers": [autoscaler(*key, minimum) for key, minimum in sorted(minimums.items())],
        "disruption-budgets": [disruption_budget(*key, allowed=1) for key in sorted(expected.disruption_budgets)],
        "certificates": [certificate(*key, ready="True") for key in sorted(expected.certificates)],
        "external-secrets": [external_secret(*key, ready="True") for key in sorted(expected.external_secrets)],
    }


def test_custom_resources_follow_their_crd_schemas_exactly() -> None:
    if not CRD_DIR.is_dir():
        pytest.skip(f"no CRD folder at {CRD_DIR}")
    for obj in (application("loki", "OutOfSync", "Degraded", "1 of 2 pods ready"),
                certificate("platform-core", "api-gateway-tls", "False", "Issuing", "pending"),
                external_secret("services", "billing-service-app", "False", "SecretSyncedError")):
        assert validate_custom(obj) == [], obj["kind"]


def test_a_healthy_cluster_passes_every_check() -> None:
    findings = verify_cluster.findings(healthy_cluster(), manifests.expected_objects(DOCS))
    assert findings and all(finding.ok for finding in findings), [str(f) for f in findings if not f.ok]


def broken_cluster() -> dict[str, list[dict[str, Any]]]:
    live = healthy_cluster()
    live["applications"][0] = application("ai-orchestrator", "OutOfSync", "Degraded", "Deployment has 0/1 ready")
    live["deployments"] = [d for d in live["deployments"] if d["metadata"]["name"] != "tenant-service"]
    live["deployments"][0] = deployment("platform-core", "api-gateway", available=None)
    live["disruption-budgets"][-1] = disruption_budget("services", "web3-event-service", allowed=0)
    live["certificates"][0] = certificate(*EDGE_CERTIFICATE, "False", "Issuing",
                                          "Issuing certificate as Secret does not exist")
    live["external-secrets"].append(external_secret("services", "extra", "False", "SecretSyncedError"))
    return live


BROKEN = [
    "applications argocd/ai-orchestrator: sync OutOfSync; health Degraded (Deployment has 0/1 ready)",
    "deployments platform-core/api-gateway: 0 available, HPA minimum 1",
    "deployments platform-core/tenant-service: not found in the cluster",
    "disruption-budgets services/web3-event-service: allows no disruption (1 healthy, 1 desired), "
    "so node drains would hang",
    f"certificates {'/'.join(EDGE_CERTIFICATE)}: Ready False (Issuing: Issuing certificate as Secret does not exist)",
    "external-secrets services/extra: Ready False (SecretSyncedError: could not get secret data from provider)",
]


def test_each_failure_is_one_line_naming_the_object_and_why() -> None:
    findings = verify_cluster.findings(broken_cluster(), manifests.expected_objects(DOCS))
    assert [str(f) for f in findings if not f.ok] == BROKEN


def test_deployments_without_autoscaler_need_their_replicas_and_unset_status_counts_as_none() -> None:
    live = {"deployments": [deployment("kube-system", "coredns", available=1, replicas=2)], "autoscalers": []}
    (finding,) = verify_cluster.deployments(live, manifests.Expected())
    assert str(finding) == "deployments kube-system/coredns: 1 available, replicas 2"


def test_a_missing_condition_and_an_unserved_kind_fail() -> None:
    fresh = external_secret("services", "new", "True")
    del fresh["status"]
    assert str(verify_cluster.external_secrets({"external-secrets": [fresh]}, manifests.Expected())[0]) == \
        "external-secrets services/new: no Ready condition yet"
    assert str(verify_cluster.certificates({"certificates": "cannot list: 404 Not Found"}, manifests.Expected())[0]) \
        == "certificates *: cannot list: 404 Not Found"


# --------------------------------------------------------------------------- through the API


PATHS = {
    "/apis/argoproj.io/v1alpha1/namespaces/argocd/applications": ("applications", "ApplicationList"),
    "/apis/apps/v1/deployments": ("deployments", "DeploymentList"),
    "/apis/autoscaling/v2/horizontalpodautoscalers": ("autoscalers", "HorizontalPodAutoscalerList"),
    "/apis/policy/v1/poddisruptionbudgets": ("disruption-budgets", "PodDisruptionBudgetList"),
    "/apis/cert-manager.io/v1/certificates": ("certificates", "CertificateList"),
    "/apis/external-secrets.io/v1/externalsecrets": ("external-secrets", "ExternalSecretList"),
}


@pytest.fixture
def api_server(tmp_path: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    """A loopback API server answering list calls from `state["live"]`; `state["status"]` forces a code."""
    state: dict[str, Any] = {"live": healthy_cluster(), "status": 200}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            kind = PATHS.get(self.path.split("?")[0])
            status = state["status"] if kind else 404
            body = {"kind": kind[1], "apiVersion": "v1", "metadata": {}, "items": state["live"][kind[0]]} \
                if status == 200 else {"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": status}
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "fake",
        "clusters": [{"name": "fake", "cluster": {"server": f"http://127.0.0.1:{server.server_port}"}}],
        "users": [{"name": "fake", "user": {"token": "not-a-secret"}}],
        "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "fake"}}],
    }))
    yield kubeconfig, state
    server.shutdown()
    server.server_close()


def verify(kubeconfig: Path) -> int:
    return main.main(["verify", "--env", "dev", "--only", "kubernetes", "--kubeconfig", str(kubeconfig),
                      "--catalog", str(ROOT / "platform.yaml"), "--out", str(ROOT / "gitops_out")])


def test_verify_passes_on_a_healthy_cluster(api_server, capsys: pytest.CaptureFixture[str]) -> None:
    kubeconfig, _ = api_server
    assert verify(kubeconfig) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("verify dev: ") and " 0 failed" in err


def test_verify_lists_each_failed_check_and_exits_1(api_server, capsys: pytest.CaptureFixture[str]) -> None:
    kubeconfig, state = api_server
    state["live"] = broken_cluster()
    assert verify(kubeconfig) == 1
    assert capsys.readouterr().out.splitlines() == BROKEN


def test_refused_credentials_are_bad_input(api_server, capsys: pytest.CaptureFixture[str]) -> None:
    kubeconfig, state = api_server
    state["status"] = 401
    assert verify(kubeconfig) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: the Kubernetes API refused the credentials: 401") and err.count("\n") == 1


def test_no_kubeconfig_is_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert verify(tmp_path / "missing") == 2
    assert capsys.readouterr().err.startswith("error: no usable kubeconfig")
