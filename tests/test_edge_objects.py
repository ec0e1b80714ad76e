"""The cluster side of the edge (k8s_charts.edge): Gateway, routes, NGINX policies, certificate, target group
binding and data plane NetworkPolicy, each strictly valid and wired to the others and to the catalog."""

from __future__ import annotations

from typing import Any

import cdk8s
import pytest
from catalog_params import ENVIRONMENTS
from crd_validation import CRD_DIR, validate_builtin, validate_custom

from catalog import Catalog, naming
from k8s_charts.addons import nginx_gateway_fabric
from k8s_charts.cluster_objects import PRODUCTION_ISSUER, ClusterObjectsChart
from k8s_charts.edge import HSTS, HTTPS_REDIRECT_ROUTE
from k8s_charts.namespaces import NamespacesChart
from validation.schemas import is_builtin

GATEWAY_API = "gateway.networking.k8s.io"
Rendered = dict[tuple[str, str, str], dict[str, Any]]


@pytest.fixture(scope="module")
def rendered(catalog: Catalog) -> dict[str, Rendered]:
    out = {}
    for env in catalog.environments.values():
        chart = ClusterObjectsChart(cdk8s.Testing.app(), "chart", catalog=catalog, env=env)
        out[env.name] = {(o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"]): o
                         for o in cdk8s.Testing.synth(chart)}
    return out


def public(catalog: Catalog, env_name: str):
    (service,) = [s for s in catalog.environments[env_name].services.values() if s.public]
    return service


def gateway(objects: Rendered) -> dict[str, Any]:
    return objects["Gateway", naming.EDGE_NAMESPACE, naming.EDGE_GATEWAY]


def listener(objects: Rendered, name: str) -> dict[str, Any]:
    (found,) = [item for item in gateway(objects)["spec"]["listeners"] if item["name"] == name]
    return found


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_every_edge_object_validates_strictly(catalog: Catalog, rendered: dict[str, Rendered], env_name: str) -> None:
    if not CRD_DIR.is_dir():
        pytest.skip(f"no CRD folder at {CRD_DIR}")
    version = catalog.environments[env_name].kubernetes_version
    kinds = set()
    for (kind, namespace, name), obj in rendered[env_name].items():
        errors = validate_builtin(obj, version) if is_builtin(obj["apiVersion"]) else validate_custom(obj)
        assert errors == [], (kind, namespace, name)
        kinds.add(kind)
    assert {"Gateway", "HTTPRoute", "RateLimitPolicy", "ClientSettingsPolicy", "TargetGroupBinding",
            "Certificate", "NetworkPolicy"} <= kinds


def test_strict_validation_catches_a_misspelt_policy_field(rendered: dict[str, Rendered], catalog: Catalog) -> None:
    if not CRD_DIR.is_dir():
        pytest.skip(f"no CRD folder at {CRD_DIR}")
    service = public(catalog, ENVIRONMENTS[0])
    policy = rendered[ENVIRONMENTS[0]]["RateLimitPolicy", service.namespace, service.name]
    broken = {**policy, "spec": {**policy["spec"], "ratelimit": policy["spec"]["rateLimit"]}}
    assert any("ratelimit" in error for error in validate_custom(broken))


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_the_gateway_terminates_tls_with_a_certificate_from_cert_manager(catalog: Catalog, rendered,
                                                                         env_name: str) -> None:
    objects, env = rendered[env_name], catalog.environments[env_name]
    spec = gateway(objects)["spec"]
    assert spec["gatewayClassName"] == nginx_gateway_fabric.values(env)["nginxGateway"]["gatewayClassName"]
    https = listener(objects, "https")
    assert (https["protocol"], https["port"]) == ("HTTPS", naming.EDGE_HTTPS_PORT)
    # The ALB sends no SNI: only a listener without hostname terminates such connections in NGF.
    assert "hostname" not in https
    (reference,) = https["tls"]["certificateRefs"]
    assert https["tls"]["mode"] == "Terminate" and reference["kind"] == "Secret"
    certificate = objects["Certificate", naming.EDGE_NAMESPACE, reference["name"]]["spec"]
    assert certificate["secretName"] == reference["name"] == naming.gateway_tls_secret(naming.EDGE_GATEWAY)
    assert certificate["dnsNames"] == [naming.public_host(env)]
    assert certificate["issuerRef"] == {"group": "cert-manager.io", "kind": "ClusterIssuer", "name": PRODUCTION_ISSUER}
    assert ("ClusterIssuer", "", PRODUCTION_ISSUER) in objects
    routes_from = {"kubernetes.io/metadata.name": public(catalog, env_name).namespace}
    assert https["allowedRoutes"]["namespaces"] == {"from": "Selector", "selector": {"matchLabels": routes_from}}


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_plain_http_is_redirected_to_https(rendered, env_name: str) -> None:
    objects = rendered[env_name]
    http = listener(objects, "http")
    assert (http["protocol"], http["port"], http["allowedRoutes"]["namespaces"]) == (
        "HTTP", naming.EDGE_HTTP_PORT, {"from": "Same"})
    route = objects["HTTPRoute", naming.EDGE_NAMESPACE, HTTPS_REDIRECT_ROUTE]["spec"]
    assert route["parentRefs"] == [{"group": GATEWAY_API, "kind": "Gateway", "namespace": naming.EDGE_NAMESPACE,
                                    "name": naming.EDGE_GATEWAY, "sectionName": "http"}]
    (rule,) = route["rules"]
    assert rule == {"filters": [{"type": "RequestRedirect", "requestRedirect": {"scheme": "https", "statusCode": 301}}]}


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_the_public_route_sends_hsts_and_reaches_the_public_service(catalog: Catalog, rendered,
                                                                    env_name: str) -> None:
    service, env = public(catalog, env_name), catalog.environments[env_name]
    route = rendered[env_name]["HTTPRoute", service.namespace, service.name]["spec"]
    assert route["hostnames"] == [naming.public_host(env)]
    assert route["parentRefs"] == [{"group": GATEWAY_API, "kind": "Gateway", "namespace": naming.EDGE_NAMESPACE,
                                    "name": naming.EDGE_GATEWAY, "sectionName": "https"}]
    (rule,) = route["rules"]
    assert rule["backendRefs"] == [{"kind": "Service", "name": service.name, "port": service.port}]
    (header,) = [f for f in rule["filters"] if f["type"] == "ResponseHeaderModifier"]
    assert header["responseHeaderModifier"]["set"] == [{"name": "Strict-Transport-Security", "value": HSTS}]
    assert HSTS.startswith("max-age=31536000")


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_nginx_limits_each_client_and_the_body_size(catalog: Catalog, rendered, env_name: str) -> None:
    """The CRDs' CEL rules (which the schema check does not run) want the targets in gateway.networking.k8s.io."""
    service = public(catalog, env_name)
    target = {"group": GATEWAY_API, "kind": "HTTPRoute", "name": service.name}
    assert ("HTTPRoute", service.namespace, service.name) in rendered[env_name]
    rate = rendered[env_name]["RateLimitPolicy", service.namespace, service.name]["spec"]
    assert rate["targetRefs"] == [target]
    (rule,) = rate["rateLimit"]["local"]["rules"]
    assert rule["key"] == "$binary_remote_addr"  # the client, rewritten from the ALB's X-Forwarded-For
    assert (rule["rate"], rule["burst"], rule["noDelay"]) == ("50r/s", 250, True)
    assert rate["rateLimit"]["rejectCode"] == 429
    body = rendered[env_name]["ClientSettingsPolicy", service.namespace, service.name]["spec"]
    assert body == {"targetRef": target, "body": {"maxSize": "1m"}}


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_the_data_plane_is_bound_into_the_albs_target_group(catalog: Catalog, rendered, env_name: str) -> None:
    env = catalog.environments[env_name]
    data_plane = naming.data_plane_name(naming.EDGE_GATEWAY, naming.EDGE_GATEWAY_CLASS)
    binding = rendered[env_name]["TargetGroupBinding", naming.EDGE_NAMESPACE, data_plane]["spec"]
    assert binding == {"targetGroupName": naming.target_group_name(naming.stack_name(env)), "targetType": "ip",
                       "serviceRef": {"name": data_plane, "port": listener(rendered[env_name], "https")["port"]}}


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_only_the_albs_subnets_and_prometheus_reach_the_data_plane(catalog: Catalog, rendered, env_name: str) -> None:
    env = catalog.environments[env_name]
    policy = rendered[env_name]["NetworkPolicy", naming.EDGE_NAMESPACE, naming.EDGE_INGRESS_POLICY]["spec"]
    assert policy["podSelector"] == {"matchLabels": nginx_gateway_fabric.data_plane_labels(naming.EDGE_GATEWAY)}
    assert policy["policyTypes"] == ["Ingress"]
    load_balancer, prometheus = policy["ingress"]
    assert [peer["ipBlock"]["cidr"] for peer in load_balancer["from"]] == list(naming.subnet_plan(env).public)
    assert sorted(port["port"] for port in load_balancer["ports"]) == sorted(
        [naming.EDGE_HTTPS_PORT, naming.EDGE_HEALTH_PORT])
    assert [port["port"] for port in prometheus["ports"]] == [nginx_gateway_fabric.METRICS_PORT]


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_data_plane_disruption_budget_only_with_spare_pods(catalog: Catalog, rendered, env_name: str) -> None:
    env = catalog.environments[env_name]
    data_plane = naming.data_plane_name(naming.EDGE_GATEWAY, naming.EDGE_GATEWAY_CLASS)
    budget = rendered[env_name].get(("PodDisruptionBudget", naming.EDGE_NAMESPACE, data_plane))
    assert (budget is not None) is (env.addon_replicas > 1)
    if budget:
        assert budget["spec"] == {"maxUnavailable": 1, "selector": {
            "matchLabels": nginx_gateway_fabric.data_plane_labels(naming.EDGE_GATEWAY)}}


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_the_edge_namespace_is_restricted_and_asks_for_alb_readiness_gates(catalog: Catalog, env_name: str) -> None:
    chart = NamespacesChart(cdk8s.Testing.app(), "namespaces", catalog=catalog, env=catalog.environments[env_name])
    (namespace,) = [o for o in cdk8s.Testing.synth(chart)
                    if o["kind"] == "Namespace" and o["metadata"]["name"] == naming.EDGE_NAMESPACE]
    labels = namespace["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == catalog.namespaces[naming.EDGE_NAMESPACE].pod_security
    assert labels["elbv2.k8s.aws/pod-readiness-gate-inject"] == "enabled"
