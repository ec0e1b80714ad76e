"""ServiceWorkload: the objects one catalog service renders to, field by field and against the schemas.

Every service of every environment is checked against its own resolved catalog entry
(tests/catalog_params.py); the brief's production table (tests/brief.py) is checked against the
production environments only, for the services it names.
"""

from __future__ import annotations

from typing import Any

import brief
import cdk8s
import pytest
from catalog_params import ENV_SERVICES, ENVIRONMENTS, PRODUCTION_ENVIRONMENTS, SERVICES
from crd_validation import validate_builtin

from catalog import Catalog, Environment, Service, naming
from catalog.models import Gpu
from k8s_charts import egress_proxy
from k8s_charts.manifest import FolderChart
from k8s_charts.service import ServiceWorkload

Rendered = dict[tuple[str, str], dict[str, Any]]
NON_PRODUCTION = [name for name in ENVIRONMENTS if name not in PRODUCTION_ENVIRONMENTS]
# The AWS API host each `aws_access` entry calls (besides STS, which every IRSA client calls first).
AWS_APIS = {"bedrock": "bedrock-runtime", "kms": "kms"}


def render(catalog: Catalog, env: Environment, service: Service) -> Rendered:
    chart = FolderChart(cdk8s.Testing.app(), "chart", folder=f"{service.namespace}/{service.name}")
    ServiceWorkload(chart, "workload", env=env, service=service)
    return {(obj["kind"], obj["metadata"]["name"]): obj for obj in cdk8s.Testing.synth(chart)}


@pytest.fixture(scope="module")
def rendered(catalog: Catalog) -> dict[str, dict[str, Rendered]]:
    """Every service of every environment, rendered once for the module."""
    return {
        env_name: {name: render(catalog, env, service) for name, service in env.services.items()}
        for env_name, env in catalog.environments.items()
    }


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


def gpu_knobs(objects: Rendered, name: str) -> tuple[Any, Any, Any]:
    spec = pod_spec(objects, name)
    return (spec.get("nodeSelector"), spec.get("tolerations"),
            container(objects, name)["resources"]["limits"].get("nvidia.com/gpu"))


def expected_gpu_knobs(service: Service) -> tuple[Any, Any, Any]:
    """GPU services on the tainted GPU pool; PCI-scoped ones on the tainted PCI pool (tests/test_pci_scope.py)."""
    if service.pci_scope:
        taint = naming.PCI_TAINT
        return ({naming.NODE_POOL_LABEL: naming.PCI_NODE_POOL},
                [{"key": taint.key, "operator": "Equal", "value": taint.value, "effect": taint.effect}], None)
    if not service.gpu.enabled:
        return None, None, None
    return ({"payledger.io/node-pool": "gpu"},
            [{"key": "nvidia.com/gpu", "operator": "Equal", "value": "true", "effect": "NoSchedule"}],
            str(service.gpu.count))


def proxied(service: Service) -> bool:
    """Whether the service's internet egress goes through its own egress proxy (k8s_charts.egress_proxy)."""
    return service.pci_scope and bool(service.depends_on.external)


# --- the brief ----------------------------------------------------------------------------------


def test_the_catalog_has_a_production_environment() -> None:
    assert PRODUCTION_ENVIRONMENTS, "the brief's production figures need an environment with production: true"


@pytest.mark.parametrize("env_name", PRODUCTION_ENVIRONMENTS)
def test_production_matches_the_brief(rendered, env_name: str) -> None:
    """(namespace, port, HPA min and max, minAvailable, metric, target) as rendered, and the limits the brief sets."""
    differences = []
    for name, figures in brief.PRODUCTION.items():
        if name not in rendered[env_name]:
            differences.append(f"{name}: not in the catalog")
            continue
        objects = rendered[env_name][name]
        hpa = objects["HorizontalPodAutoscaler", name]["spec"]
        (metric,) = hpa["metrics"]
        app = container(objects, name)
        budget = objects["PodDisruptionBudget", name]["spec"]
        found = (objects["Deployment", name]["metadata"]["namespace"], app["ports"][0]["containerPort"],
                 hpa["minReplicas"], hpa["maxReplicas"], budget.get("minAvailable"),
                 metric["resource"]["name"], metric["resource"]["target"]["averageUtilization"])
        if found != figures:
            differences.append(f"{name}: {found}, the brief says {figures}")
        limits = brief.LIMITS.get(name, {})
        if {key: app["resources"]["limits"][key] for key in limits} != limits:
            differences.append(f"{name}: limits {app['resources']['limits']}, the brief says {limits}")
    assert differences == []


@pytest.mark.parametrize("env_name", NON_PRODUCTION)
def test_other_environments_scale_no_higher_than_production(catalog: Catalog, env_name: str) -> None:
    for name, service in catalog.environments[env_name].services.items():
        for production in PRODUCTION_ENVIRONMENTS:
            assert service.autoscaling.max <= catalog.environments[production].services[name].autoscaling.max, name


# --- every service in every environment ---------------------------------------------------------


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_every_object_validates_strictly(catalog: Catalog, rendered, env_name: str) -> None:
    """Strict schemas reject unknown fields; an API the version does not serve (removed) is an error too."""
    objects = [obj for service in rendered[env_name].values() for obj in service.values()]
    services = catalog.environments[env_name].services.values()
    assert len(objects) == 8 * len(rendered[env_name]) + 8 * sum(proxied(service) for service in services)
    version = catalog.environments[env_name].kubernetes_version
    for obj in objects:
        assert validate_builtin(obj, version) == [], (obj["kind"], obj["metadata"]["name"])


def test_strict_validation_can_fail(catalog: Catalog, rendered) -> None:
    env = next(iter(catalog.environments.values()))
    name = next(iter(env.services))
    deployment = rendered[env.name][name]["Deployment", name]
    broken = {**deployment, "spec": {**deployment["spec"], "replica": 3}}
    assert any("replica" in error for error in validate_builtin(broken, env.kubernetes_version))


@pytest.mark.parametrize(("env_name", "name"), ENV_SERVICES)
def test_every_object_is_named_labelled_and_namespaced(catalog: Catalog, rendered, env, env_name: str,
                                                       name: str) -> None:
    objects = {key: obj for key, obj in rendered[env_name][name].items()
               if obj["metadata"]["labels"]["app.kubernetes.io/name"] == name}  # the proxy's are its own
    assert sorted(kind for kind, _ in objects) == sorted([
        "ServiceAccount", "ConfigMap", "Deployment", "Service", "HorizontalPodAutoscaler",
        "PodDisruptionBudget", "NetworkPolicy", "NetworkPolicy"])
    for obj in objects.values():
        assert obj["metadata"]["namespace"] == env(env_name).services[name].namespace
        assert obj["metadata"]["labels"]["app.kubernetes.io/name"] == name
        assert obj["metadata"]["labels"]["app.kubernetes.io/version"] == catalog.project.image_tag


@pytest.mark.parametrize(("env_name", "name"), ENV_SERVICES)
def test_ports_and_service(rendered, env, env_name: str, name: str) -> None:
    objects, port = rendered[env_name][name], env(env_name).services[name].port
    assert container(objects, name)["ports"] == [{"name": "http", "containerPort": port, "protocol": "TCP"}]
    spec = objects["Service", name]["spec"]
    assert spec["type"] == "ClusterIP"
    assert spec["ports"] == [{"name": "http", "port": port, "targetPort": "http", "protocol": "TCP"}]
    assert spec["selector"] == {"app.kubernetes.io/name": name, "app.kubernetes.io/instance": name}


@pytest.mark.parametrize(("env_name", "name"), ENV_SERVICES)
def test_autoscaler_and_disruption_budget(rendered, env, env_name: str, name: str) -> None:
    service, objects = env(env_name).services[name], rendered[env_name][name]
    scaling, budget = service.autoscaling, service.disruption_budget
    hpa = objects["HorizontalPodAutoscaler", name]["spec"]
    assert hpa["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (scaling.min, scaling.max)
    assert hpa["metrics"] == [{"type": "Resource", "resource": {
        "name": scaling.metric, "target": {"type": "Utilization", "averageUtilization": scaling.target_utilization}}}]
    assert hpa["behavior"]["scaleDown"]["stabilizationWindowSeconds"] == 300
    pdb = objects["PodDisruptionBudget", name]["spec"]
    assert (pdb.get("minAvailable"), pdb.get("maxUnavailable")) == (budget.min_available, budget.max_unavailable)


@pytest.mark.parametrize(("env_name", "name"), ENV_SERVICES)
def test_deployment_leaves_replicas_to_the_autoscaler(rendered, env_name: str, name: str) -> None:
    spec = rendered[env_name][name]["Deployment", name]["spec"]
    assert "replicas" not in spec
    assert spec["selector"] == {"matchLabels": {"app.kubernetes.io/name": name, "app.kubernetes.io/instance": name}}
    assert spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0


@pytest.mark.parametrize(("env_name", "name"), ENV_SERVICES)
def test_probes_hit_the_catalog_paths_on_the_http_port(rendered, env, env_name: str, name: str) -> None:
    app, health = container(rendered[env_name][name], name), env(env_name).services[name].health
    for probe, path in (("readinessProbe", health.readiness), ("livenessProbe", health.liveness),
                        ("startupProbe", health.startup)):
        assert app[probe]["httpGet"] == {"path": path, "port": "http"}
        assert app[probe]["failureThreshold"] >= 3


@pytest.mark.parametrize(("env_name", "name"), ENV_SERVICES)
def test_pod_is_restricted(rendered, env_name: str, name: str) -> None:
    objects = rendered[env_name][name]
    spec = pod_spec(objects, name)
    assert spec["securityContext"] == {"runAsNonRoot": True, "runAsUser": 10001, "runAsGroup": 10001,
                                       "fsGroup": 10001, "seccompProfile": {"type": "RuntimeDefault"}}
    context = container(objects, name)["securityContext"]
    assert context["allowPrivilegeEscalation"] is False
    assert context["readOnlyRootFilesystem"] is True
    assert context["runAsNonRoot"] is True
    assert context["capabilities"] == {"drop": ["ALL"]}
    assert context["seccompProfile"] == {"type": "RuntimeDefault"}
    assert {"name": "tmp", "mountPath": "/tmp"} in container(objects, name)["volumeMounts"]
    assert {"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}} in spec["volumes"]


@pytest.mark.parametrize(("env_name", "name"), ENV_SERVICES)
def test_image_resources_and_spread(catalog: Catalog, rendered, env, env_name: str, name: str) -> None:
    environment, objects = env(env_name), rendered[env_name][name]
    service = environment.services[name]
    app = container(objects, name)
    assert app["image"] == (f"{environment.account_id}.dkr.ecr.{environment.region}.amazonaws.com/"
                            f"{service.image}:{catalog.project.image_tag}")
    requests, limits = service.resources.requests, service.resources.limits
    assert app["resources"]["requests"] == {"cpu": requests.cpu, "memory": requests.memory}
    assert {key: app["resources"]["limits"][key] for key in ("cpu", "memory")} == {"cpu": limits.cpu,
                                                                                 "memory": limits.memory}
    spread = pod_spec(objects, name)["topologySpreadConstraints"]
    assert [constraint["topologyKey"] for constraint in spread] == ["topology.kubernetes.io/zone",
                                                                   "kubernetes.io/hostname"]
    assert all(constraint["labelSelector"]["matchLabels"] == {
        "app.kubernetes.io/name": name, "app.kubernetes.io/instance": name} for constraint in spread)


@pytest.mark.parametrize(("env_name", "name"), ENV_SERVICES)
def test_gpu_scheduling_follows_the_catalog(rendered, env, env_name: str, name: str) -> None:
    assert gpu_knobs(rendered[env_name][name], name) == expected_gpu_knobs(env(env_name).services[name])


def test_gpu_knobs_present_when_enabled(catalog: Catalog) -> None:
    env = next(iter(catalog.environments.values()))
    service = next(iter(env.services.values())).model_copy(update={"gpu": Gpu(enabled=True, count=2)})
    objects = render(catalog, env, service)
    assert gpu_knobs(objects, service.name) == expected_gpu_knobs(service)
    assert validate_builtin(objects["Deployment", service.name], env.kubernetes_version) == []


@pytest.mark.parametrize(("env_name", "name"), ENV_SERVICES)
def test_service_account_uses_irsa_without_api_token(rendered, env, env_name: str, name: str) -> None:
    environment, objects = env(env_name), rendered[env_name][name]
    sa = objects["ServiceAccount", name]
    role = naming.service_role_name(environment, environment.services[name])
    assert sa["metadata"]["annotations"] == {"eks.amazonaws.com/role-arn":
                                             f"arn:aws:iam::{environment.account_id}:role/{role}"}
    assert sa["automountServiceAccountToken"] is False
    spec = pod_spec(objects, name)
    assert spec["serviceAccountName"] == name
    assert spec["automountServiceAccountToken"] is False


@pytest.mark.parametrize(("env_name", "name"), ENV_SERVICES)
def test_env_comes_from_config_map_and_declared_secrets(rendered, env, env_name: str, name: str) -> None:
    service = env(env_name).services[name]
    secrets = [f"{name}-{source}" for source, wanted in (
        ("app", service.vault_secrets), ("postgres", service.depends_on.postgres), ("redis", service.depends_on.redis))
        if wanted]
    assert container(rendered[env_name][name], name)["envFrom"] == [
        {"configMapRef": {"name": f"{name}-config"}}, *({"secretRef": {"name": s}} for s in secrets)]


@pytest.mark.parametrize(("env_name", "name"), ENV_SERVICES)
def test_config_map_holds_settings_and_dependency_urls(rendered, env, env_name: str, name: str) -> None:
    environment = env(env_name)
    service = environment.services[name]
    data = rendered[env_name][name]["ConfigMap", f"{name}-config"]["data"]
    assert list(data) == sorted(data)
    assert data["PORT"] == str(service.port)
    assert data["SERVICE_NAME"] == data["OTEL_SERVICE_NAME"] == name
    assert data["ENVIRONMENT"] == env_name
    assert data["AWS_REGION"] == environment.region
    assert data["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://tempo.observability.svc.cluster.local:4317"
    assert f"deployment.environment={env_name}" in data["OTEL_RESOURCE_ATTRIBUTES"].split(",")
    urls = {key: value for key, value in data.items() if key.endswith("_URL")}
    dependencies = [environment.services[dependency] for dependency in service.depends_on.services]
    assert urls == {f"{d.name.upper().replace('-', '_')}_URL":
                    f"http://{d.name}.{d.namespace}.svc.cluster.local:{d.port}" for d in dependencies}


@pytest.mark.parametrize("name", SERVICES)
def test_config_change_rolls_the_pods(rendered, name: str) -> None:
    """Each environment's ConfigMap differs (ENVIRONMENT at least), so each has its own pod checksum."""
    checksums = {objects[name]["Deployment", name]["spec"]["template"]["metadata"]["annotations"]["checksum/config"]
                 for objects in rendered.values() if name in objects}
    assert len(checksums) == sum(name in objects for objects in rendered.values())


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_istio_sidecar_resources_pinned_only_when_injected(catalog: Catalog, rendered, env, env_name: str) -> None:
    environment = env(env_name)
    for name, objects in rendered[env_name].items():
        annotations = objects["Deployment", name]["spec"]["template"]["metadata"]["annotations"]
        assert any(key.startswith("sidecar.istio.io/") for key in annotations) is environment.istio_injection
    meshed = environment.model_copy(update={"istio_injection": True})
    service = next(iter(meshed.services.values()))
    objects = render(catalog, meshed, service)
    annotations = objects["Deployment", service.name]["spec"]["template"]["metadata"]["annotations"]
    assert annotations["sidecar.istio.io/proxyCPULimit"] == "500m"


# --- traffic ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("env_name", "name"), ENV_SERVICES)
def test_ingress_admits_callers_the_public_edge_and_prometheus_only(rendered, env, env_name: str, name: str) -> None:
    environment = env(env_name)
    service = environment.services[name]
    policy = rendered[env_name][name]["NetworkPolicy", f"{name}-ingress"]["spec"]
    assert policy["policyTypes"] == ["Ingress"]
    assert policy["podSelector"]["matchLabels"]["app.kubernetes.io/name"] == name
    callers = sorted((other.namespace, other.name) for other in environment.services.values()
                     if name in other.depends_on.services)
    expected = [callers] if callers else []
    if service.public:
        expected.append([(naming.EDGE_NAMESPACE, naming.EDGE_GATEWAY)])
    expected.append([("observability", "prometheus")])
    assert [sorted(peers(rule, "from")) for rule in policy["ingress"]] == expected
    assert all(rule_ports(rule) == [service.port] for rule in policy["ingress"])
    for rule in policy["ingress"]:  # the edge is the gateway's data plane, not any pod in its namespace
        for peer in rule["from"]:
            if peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"] == naming.EDGE_NAMESPACE:
                assert peer["podSelector"]["matchLabels"] == {"gateway.networking.k8s.io/gateway-name":
                                                              naming.EDGE_GATEWAY}


@pytest.mark.parametrize(("env_name", "name"), ENV_SERVICES)
def test_egress_reaches_declared_dependencies_and_tempo(rendered, env, env_name: str, name: str) -> None:
    environment = env(env_name)
    rules = rendered[env_name][name]["NetworkPolicy", f"{name}-egress"]["spec"]["egress"]
    flows = [(peer, rule_ports(rule)) for rule in rules for peer in peers(rule, "to")]
    service = environment.services[name]
    dependencies = [environment.services[dependency] for dependency in service.depends_on.services]
    proxy = [((service.namespace, naming.egress_proxy_name(service)), [egress_proxy.PROXY_PORT])] if proxied(service) \
        else []
    assert sorted(flows) == sorted([*(((d.namespace, d.name), [d.port]) for d in dependencies),
                                    (("observability", "tempo"), [4317]), *proxy])


@pytest.mark.parametrize(("env_name", "name"), ENV_SERVICES)
def test_data_store_egress_only_to_data_subnets(rendered, env, env_name: str, name: str) -> None:
    environment = env(env_name)
    service = environment.services[name]
    data = list(naming.subnet_plan(environment).data)
    assert len(data) == len(environment.availability_zones)
    rules = rendered[env_name][name]["NetworkPolicy", f"{name}-egress"]["spec"]["egress"]
    store_rules = [rule for rule in rules if {5432, 6379} & set(rule_ports(rule))]
    expected = [port for port, wanted in ((5432, service.depends_on.postgres), (6379, service.depends_on.redis))
                if wanted]
    if not expected:
        assert store_rules == []
        return
    (rule,) = store_rules
    assert rule_ports(rule) == expected
    assert rule["to"] == [{"ipBlock": {"cidr": cidr}} for cidr in data]


@pytest.mark.parametrize(("env_name", "name"), ENV_SERVICES)
def test_internet_egress_is_https_to_public_space_for_declared_hosts(rendered, env, env_name: str,
                                                                    name: str) -> None:
    environment = env(env_name)
    service = environment.services[name]
    aws = [f"{api}.{environment.region}.amazonaws.com" for api in ("sts", *(AWS_APIS[a] for a in service.aws_access))]
    hosts = [*service.depends_on.external, *(aws if service.aws_access else ())]
    policy = rendered[env_name][name]["NetworkPolicy", f"{name}-egress"]
    internet = [rule for rule in policy["spec"]["egress"]
                if any(peer.get("ipBlock", {}).get("cidr") == "0.0.0.0/0" for peer in rule["to"])]
    assert policy["metadata"].get("annotations", {}).get("payledger.io/egress-hosts") == (",".join(hosts) or None)
    if not hosts or proxied(service):  # a proxied service's only way out is its proxy
        assert internet == []
        return
    (rule,) = internet
    assert rule_ports(rule) == [443]
    assert {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16"} <= set(
        rule["to"][0]["ipBlock"]["except"])
