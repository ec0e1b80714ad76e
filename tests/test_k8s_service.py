"""ServiceWorkload: the objects one catalog service renders to, field by field and against the schemas."""

from __future__ import annotations

from typing import Any

import cdk8s
import kubernetes_validate
import pytest
from brief import PRODUCTION

from catalog import Catalog, Environment, Service, naming
from catalog.models import Gpu
from k8s_charts.manifest import FolderChart
from k8s_charts.service import ServiceWorkload

Rendered = dict[tuple[str, str], dict[str, Any]]
ENVS = ("dev", "staging", "prod")


def render(catalog: Catalog, env: Environment, service: Service) -> Rendered:
    chart = FolderChart(cdk8s.Testing.app(), "chart", folder=f"{service.namespace}/{service.name}")
    ServiceWorkload(chart, "workload", catalog=catalog, env=env, service=service)
    return {(obj["kind"], obj["metadata"]["name"]): obj for obj in cdk8s.Testing.synth(chart)}


@pytest.fixture(scope="module")
def rendered(catalog: Catalog) -> dict[str, dict[str, Rendered]]:
    """Every service of every environment, rendered once for the module."""
    return {
        env_name: {name: render(catalog, env, service) for name, service in env.services.items()}
        for env_name, env in catalog.environments.items()
    }


@pytest.fixture(scope="module")
def prod(rendered: dict[str, dict[str, Rendered]]) -> Rendered:
    """All prod objects in one map (object names are unique across services)."""
    return {key: obj for objects in rendered["prod"].values() for key, obj in objects.items()}


def pod_spec(objects: Rendered, name: str) -> dict[str, Any]:
    return objects["Deployment", name]["spec"]["template"]["spec"]


def container(objects: Rendered, name: str) -> dict[str, Any]:
    (app,) = pod_spec(objects, name)["containers"]
    return app


def peers(rule: dict[str, Any], direction: str) -> list[tuple[str, str]]:
    """(namespace, app name) of each pod peer of an ingress ("from") or egress ("to") rule."""
    return [(peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"],
             next(iter(peer["podSelector"]["matchLabels"].values())))
            for peer in rule[direction] if "podSelector" in peer]


def rule_ports(rule: dict[str, Any]) -> list[int]:
    return [port["port"] for port in rule["ports"]]


@pytest.mark.parametrize("env_name", ENVS)
def test_every_object_validates_against_its_kubernetes_version(rendered, env, env_name: str) -> None:
    """Strict schemas reject unknown fields; a missing schema (removed API) raises too."""
    objects = [obj for service in rendered[env_name].values() for obj in service.values()]
    assert len(objects) == 8 * len(rendered[env_name])
    for obj in objects:
        kubernetes_validate.validate(obj, f"{env(env_name).kubernetes_version}.0", strict=True)


def test_strict_validation_can_fail(prod, env) -> None:
    broken = {**prod["Deployment", "api-gateway"], "spec": {**prod["Deployment", "api-gateway"]["spec"],
                                                          "replica": 3}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, f"{env('prod').kubernetes_version}.0", strict=True)


def test_every_object_is_named_labelled_and_namespaced(rendered) -> None:
    for name, objects in rendered["prod"].items():
        namespace = PRODUCTION[name][0]
        assert sorted(kind for kind, _ in objects) == sorted([
            "ServiceAccount", "ConfigMap", "Deployment", "Service", "HorizontalPodAutoscaler",
            "PodDisruptionBudget", "NetworkPolicy", "NetworkPolicy"])
        for obj in objects.values():
            assert obj["metadata"]["namespace"] == namespace
            assert obj["metadata"]["labels"]["app.kubernetes.io/name"] == name
            assert obj["metadata"]["labels"]["app.kubernetes.io/version"] == "1.0.0"


@pytest.mark.parametrize("name", PRODUCTION)
def test_ports_and_service(prod, name: str) -> None:
    port = PRODUCTION[name][1]
    assert container(prod, name)["ports"] == [{"name": "http", "containerPort": port, "protocol": "TCP"}]
    spec = prod["Service", name]["spec"]
    assert spec["type"] == "ClusterIP"
    assert spec["ports"] == [{"name": "http", "port": port, "targetPort": "http", "protocol": "TCP"}]
    assert spec["selector"] == {"app.kubernetes.io/name": name, "app.kubernetes.io/instance": name}


@pytest.mark.parametrize("name", PRODUCTION)
def test_prod_autoscaler_and_disruption_budget(prod, name: str) -> None:
    _, _, low, high, min_available, metric, target = PRODUCTION[name]
    hpa = prod["HorizontalPodAutoscaler", name]["spec"]
    assert hpa["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (low, high)
    assert hpa["metrics"] == [{"type": "Resource", "resource": {
        "name": metric, "target": {"type": "Utilization", "averageUtilization": target}}}]
    assert hpa["behavior"]["scaleDown"]["stabilizationWindowSeconds"] == 300
    pdb = prod["PodDisruptionBudget", name]["spec"]
    assert pdb["minAvailable"] == min_available
    assert "maxUnavailable" not in pdb


@pytest.mark.parametrize(("env_name", "low", "high"), [("dev", 1, 2), ("staging", 2, 4)])
def test_smaller_envs_scale_less_and_allow_one_disruption(rendered, env_name: str, low: int,
                                                          high: int) -> None:
    for name, objects in rendered[env_name].items():
        hpa = objects["HorizontalPodAutoscaler", name]["spec"]
        assert (hpa["minReplicas"], hpa["maxReplicas"]) == (low, high)
        pdb = objects["PodDisruptionBudget", name]["spec"]
        assert pdb["maxUnavailable"] == 1
        assert "minAvailable" not in pdb


@pytest.mark.parametrize("env_name", ENVS)
def test_deployment_leaves_replicas_to_the_autoscaler(rendered, env_name: str) -> None:
    for name, objects in rendered[env_name].items():
        spec = objects["Deployment", name]["spec"]
        assert "replicas" not in spec
        assert spec["selector"] == {"matchLabels": {"app.kubernetes.io/name": name,
                                                    "app.kubernetes.io/instance": name}}
        assert spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0


@pytest.mark.parametrize("name", PRODUCTION)
def test_probes_hit_the_catalog_paths_on_the_http_port(prod, name: str) -> None:
    app = container(prod, name)
    for probe, path in (("readinessProbe", "/health/ready"), ("livenessProbe", "/health/live"),
                        ("startupProbe", "/health/startup")):
        assert app[probe]["httpGet"] == {"path": path, "port": "http"}
        assert app[probe]["failureThreshold"] >= 3


@pytest.mark.parametrize("name", PRODUCTION)
def test_pod_is_restricted(prod, name: str) -> None:
    spec = pod_spec(prod, name)
    assert spec["securityContext"] == {"runAsNonRoot": True, "runAsUser": 10001, "runAsGroup": 10001,
                                       "fsGroup": 10001, "seccompProfile": {"type": "RuntimeDefault"}}
    context = container(prod, name)["securityContext"]
    assert context["allowPrivilegeEscalation"] is False
    assert context["readOnlyRootFilesystem"] is True
    assert context["runAsNonRoot"] is True
    assert context["capabilities"] == {"drop": ["ALL"]}
    assert context["seccompProfile"] == {"type": "RuntimeDefault"}
    assert {"name": "tmp", "mountPath": "/tmp"} in container(prod, name)["volumeMounts"]
    assert {"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}} in spec["volumes"]


def test_image_resources_and_spread(prod) -> None:
    app = container(prod, "ai-orchestrator")
    assert app["image"] == "333333333333.dkr.ecr.eu-west-1.amazonaws.com/payledger/ai-orchestrator:1.0.0"
    assert app["resources"] == {"requests": {"cpu": "1", "memory": "2Gi"},
                                "limits": {"cpu": "2", "memory": "4Gi"}}
    spread = pod_spec(prod, "ai-orchestrator")["topologySpreadConstraints"]
    assert [constraint["topologyKey"] for constraint in spread] == ["topology.kubernetes.io/zone",
                                                                   "kubernetes.io/hostname"]
    assert all(constraint["labelSelector"]["matchLabels"] == {
        "app.kubernetes.io/name": "ai-orchestrator", "app.kubernetes.io/instance": "ai-orchestrator"}
        for constraint in spread)


@pytest.mark.parametrize("env_name", ENVS)
def test_gpu_knobs_absent_by_default(rendered, env_name: str) -> None:
    for name, objects in rendered[env_name].items():
        spec = pod_spec(objects, name)
        assert "nodeSelector" not in spec
        assert "tolerations" not in spec
        assert "nvidia.com/gpu" not in container(objects, name)["resources"]["limits"]


def test_gpu_knobs_present_when_enabled(catalog, env) -> None:
    prod_env = env("prod")
    service = prod_env.services["ai-orchestrator"].model_copy(update={"gpu": Gpu(enabled=True, count=2)})
    objects = render(catalog, prod_env, service)
    spec = pod_spec(objects, "ai-orchestrator")
    assert spec["nodeSelector"] == {"payledger.io/node-pool": "gpu"}
    assert spec["tolerations"] == [{"key": "nvidia.com/gpu", "operator": "Equal", "value": "true",
                                    "effect": "NoSchedule"}]
    assert container(objects, "ai-orchestrator")["resources"]["limits"]["nvidia.com/gpu"] == "2"
    kubernetes_validate.validate(objects["Deployment", "ai-orchestrator"], f"{prod_env.kubernetes_version}.0",
                                 strict=True)


def test_service_account_uses_irsa_without_api_token(prod, env) -> None:
    sa = prod["ServiceAccount", "ai-orchestrator"]
    assert sa["metadata"]["annotations"] == {
        "eks.amazonaws.com/role-arn": "arn:aws:iam::333333333333:role/payledger-prod-svc-ai-orchestrator"}
    assert sa["automountServiceAccountToken"] is False
    spec = pod_spec(prod, "ai-orchestrator")
    assert spec["serviceAccountName"] == "ai-orchestrator"
    assert spec["automountServiceAccountToken"] is False


@pytest.mark.parametrize(("name", "secrets"), [
    ("billing-service", ["billing-service-app", "billing-service-postgres"]),
    ("api-gateway", ["api-gateway-redis"]),
    ("audit-log-service", ["audit-log-service-postgres"]),
    ("ai-orchestrator", ["ai-orchestrator-app", "ai-orchestrator-redis"]),
])
def test_env_comes_from_config_map_and_declared_secrets(prod, name: str, secrets: list[str]) -> None:
    assert container(prod, name)["envFrom"] == [
        {"configMapRef": {"name": f"{name}-config"}}, *({"secretRef": {"name": s}} for s in secrets)]


def test_config_map_holds_settings_and_dependency_urls(prod) -> None:
    data = prod["ConfigMap", "billing-service-config"]["data"]
    assert list(data) == sorted(data)
    assert data["PORT"] == "4003"
    assert data["SERVICE_NAME"] == data["OTEL_SERVICE_NAME"] == "billing-service"
    assert data["ENVIRONMENT"] == "prod"
    assert data["AWS_REGION"] == "eu-west-1"
    assert data["TENANT_SERVICE_URL"] == "http://tenant-service.platform-core.svc.cluster.local:4002"
    assert data["AUDIT_LOG_SERVICE_URL"] == "http://audit-log-service.services.svc.cluster.local:4010"
    assert data["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://tempo.observability.svc.cluster.local:4317"
    assert "deployment.environment=prod" in data["OTEL_RESOURCE_ATTRIBUTES"].split(",")
    assert not any(key.endswith("_URL") and "OTEL" not in key
                   for key in prod["ConfigMap", "audit-log-service-config"]["data"])


def test_config_change_rolls_the_pods(prod, rendered) -> None:
    checksum = "checksum/config"
    dev = rendered["dev"]["api-gateway"]
    template, dev_template = (objects["Deployment", "api-gateway"]["spec"]["template"]
                              for objects in (prod, dev))
    assert template["metadata"]["annotations"][checksum] != dev_template["metadata"]["annotations"][checksum]


def test_istio_sidecar_resources_pinned_only_when_injected(catalog, env, prod) -> None:
    annotations = prod["Deployment", "api-gateway"]["spec"]["template"]["metadata"]["annotations"]
    assert not any(key.startswith("sidecar.istio.io/") for key in annotations)
    meshed = env("prod").model_copy(update={"istio_injection": True})
    objects = render(catalog, meshed, meshed.services["api-gateway"])
    annotations = objects["Deployment", "api-gateway"]["spec"]["template"]["metadata"]["annotations"]
    assert annotations["sidecar.istio.io/proxyCPULimit"] == "500m"


def test_billing_accepts_its_callers_and_prometheus_only(prod) -> None:
    policy = prod["NetworkPolicy", "billing-service-ingress"]["spec"]
    assert policy["policyTypes"] == ["Ingress"]
    assert policy["podSelector"]["matchLabels"]["app.kubernetes.io/name"] == "billing-service"
    callers, scrape = policy["ingress"]
    assert peers(callers, "from") == [("platform-core", "api-gateway"), ("services", "metering-service"),
                                      ("services", "web3-event-service")]
    assert rule_ports(callers) == [4003]
    assert peers(scrape, "from") == [("observability", "prometheus")]
    assert rule_ports(scrape) == [4003]


def test_only_the_public_gateway_accepts_the_nginx_data_plane(prod, rendered) -> None:
    gateway_rules = prod["NetworkPolicy", "api-gateway-ingress"]["spec"]["ingress"]
    assert [peers(rule, "from") for rule in gateway_rules] == [
        [(naming.EDGE_NAMESPACE, naming.EDGE_GATEWAY)], [("observability", "prometheus")]]
    data_plane = gateway_rules[0]["from"][0]["podSelector"]["matchLabels"]
    assert data_plane == {"gateway.networking.k8s.io/gateway-name": naming.EDGE_GATEWAY}
    assert rule_ports(gateway_rules[0]) == [4000]
    for name, objects in rendered["prod"].items():
        if name != "api-gateway":
            rules = objects["NetworkPolicy", f"{name}-ingress"]["spec"]["ingress"]
            assert all(namespace != naming.EDGE_NAMESPACE for rule in rules for namespace, _ in peers(rule, "from"))


def test_egress_reaches_declared_dependencies_and_tempo(prod) -> None:
    rules = prod["NetworkPolicy", "billing-service-egress"]["spec"]["egress"]
    flows = [(peer, rule_ports(rule)) for rule in rules for peer in peers(rule, "to")]
    assert flows == [
        (("services", "audit-log-service"), [4010]), (("services", "notification-service"), [4008]),
        (("platform-core", "tenant-service"), [4002]), (("observability", "tempo"), [4317]),
    ]


def test_audit_log_has_no_egress_to_other_services(prod) -> None:
    rules = prod["NetworkPolicy", "audit-log-service-egress"]["spec"]["egress"]
    assert [peer for rule in rules for peer in peers(rule, "to")] == [("observability", "tempo")]


def test_data_store_egress_only_to_data_subnets(rendered, env) -> None:
    data = list(naming.subnet_plan(env("prod")).data)
    assert len(data) == 3
    for name, objects in rendered["prod"].items():
        service = env("prod").services[name]
        rules = objects["NetworkPolicy", f"{name}-egress"]["spec"]["egress"]
        store_rules = [rule for rule in rules if {5432, 6379} & set(rule_ports(rule))]
        expected = [port for port, wanted in ((5432, service.depends_on.postgres),
                                              (6379, service.depends_on.redis)) if wanted]
        if not expected:
            assert store_rules == []
            continue
        (rule,) = store_rules
        assert rule_ports(rule) == expected
        assert rule["to"] == [{"ipBlock": {"cidr": cidr}} for cidr in data]


@pytest.mark.parametrize(("name", "hosts"), [
    ("billing-service", "api.stripe.com"),
    ("ai-orchestrator", "api.openai.com,bedrock-runtime.amazonaws.com,sts.eu-west-1.amazonaws.com,"
                        "bedrock-runtime.eu-west-1.amazonaws.com"),
    ("security-service", "sts.eu-west-1.amazonaws.com,kms.eu-west-1.amazonaws.com"),
    ("audit-log-service", None),
    ("tenant-service", None),
])
def test_internet_egress_is_https_to_public_space_for_declared_hosts(prod, name: str,
                                                                    hosts: str | None) -> None:
    policy = prod["NetworkPolicy", f"{name}-egress"]
    internet = [rule for rule in policy["spec"]["egress"]
                if any(peer.get("ipBlock", {}).get("cidr") == "0.0.0.0/0" for peer in rule["to"])]
    assert policy["metadata"].get("annotations", {}).get("payledger.io/egress-hosts") == hosts
    if hosts is None:
        assert internet == []
        return
    (rule,) = internet
    assert rule_ports(rule) == [443]
    assert {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16"} <= set(
        rule["to"][0]["ipBlock"]["except"])
