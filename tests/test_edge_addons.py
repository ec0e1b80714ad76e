"""The edge's add-ons: the Gateway API CRDs, NGINX Gateway Fabric and the AWS Load Balancer Controller.

Pins are checked against the CRD provenance in ../shared/crds/SOURCES.txt; NGF's data plane settings
against the NginxProxy CRD its chart writes them into.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml
from catalog_params import ENVIRONMENTS
from crd_validation import CRD_DIR

from catalog import Catalog, naming
from k8s_charts.addons import ADDONS, aws_load_balancer_controller, gateway_api, nginx_gateway_fabric
from k8s_charts.addons.base import Addon
from validation.schemas import _strict


def sources() -> str:
    path = CRD_DIR / "SOURCES.txt"
    if not path.is_file():
        pytest.skip(f"no {path}")
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize(("addon", "repository", "tag"), [
    (gateway_api.ADDON, "kubernetes-sigs/gateway-api", gateway_api.VERSION),
    (nginx_gateway_fabric.ADDON, "nginx/nginx-gateway-fabric", f"v{nginx_gateway_fabric.VERSION}"),
    (aws_load_balancer_controller.ADDON, "kubernetes-sigs/aws-load-balancer-controller",
     f"v{aws_load_balancer_controller.VERSION}"),
])
def test_pins_are_the_releases_whose_crds_we_validate_against(addon: Addon, repository: str, tag: str) -> None:
    assert f"{repository} {tag} " in sources(), f"{addon.name} {addon.version} is not the release in SOURCES.txt"


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_gateway_api_crds_come_from_the_standard_channel_at_the_tag(catalog: Catalog, env_name: str) -> None:
    source = gateway_api.ADDON.source(catalog.environments[env_name])
    assert source == {"repoURL": "https://github.com/kubernetes-sigs/gateway-api.git", "path": "config/crd/standard",
                      "targetRevision": gateway_api.VERSION}
    assert gateway_api.ADDON.server_side_apply  # the HTTPRoute CRD exceeds client-side apply's annotation
    assert gateway_api.NAME in nginx_gateway_fabric.ADDON.depends_on


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_nginx_gateway_fabric_comes_from_its_oci_chart(catalog: Catalog, env_name: str) -> None:
    source = nginx_gateway_fabric.ADDON.source(catalog.environments[env_name])
    assert source["repoURL"] == "oci://ghcr.io/nginx/charts/nginx-gateway-fabric"
    assert (source["path"], source["targetRevision"]) == (".", nginx_gateway_fabric.VERSION)
    assert "chart" not in source and source["helm"]["releaseName"] == nginx_gateway_fabric.NAME


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_the_data_plane_is_reached_only_through_the_alb(catalog: Catalog, env_name: str) -> None:
    env = catalog.environments[env_name]
    values = nginx_gateway_fabric.values(env)
    assert values["nginxGateway"]["gatewayClassName"] == naming.EDGE_GATEWAY_CLASS
    assert values["nginx"]["service"] == {"type": "ClusterIP"}  # no cloud load balancer from the cluster
    rewrite = values["nginx"]["config"]["rewriteClientIP"]
    assert (rewrite["mode"], rewrite["setIPRecursively"]) == ("XForwardedFor", True)
    assert [address["value"] for address in rewrite["trustedAddresses"]] == list(naming.subnet_plan(env).public)
    assert values["nginxGateway"]["productTelemetry"] == {"enable": False}
    assert values["nginxGateway"]["snippets"] == {"enable": False}


def _proxy_spec_schema() -> dict[str, Any]:
    path = CRD_DIR / "gateway.nginx.org_nginxproxies.yaml"
    if not path.is_file():
        pytest.skip(f"no {path}")
    crd = next(yaml.load_all(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader))
    (version,) = [v for v in crd["spec"]["versions"] if v["storage"]]
    return _strict(copy.deepcopy(version["schema"]["openAPIV3Schema"]["properties"]["spec"]))


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_data_plane_settings_fit_the_nginxproxy_the_chart_writes_them_into(catalog: Catalog, env_name: str) -> None:
    """The chart copies nginx.config to NginxProxy.spec, nginx.pod/container/replicas to
    spec.kubernetes.deployment and nginx.service to spec.kubernetes.service (templates/nginxproxy.yaml)."""
    import jsonschema

    nginx = nginx_gateway_fabric.values(catalog.environments[env_name])["nginx"]
    spec = {**nginx["config"], "kubernetes": {
        "deployment": {"replicas": nginx["replicas"], "pod": nginx["pod"], "container": nginx["container"]},
        "service": nginx["service"]}}
    errors = [error.message for error in jsonschema.Draft7Validator(_proxy_spec_schema()).iter_errors(spec)]
    assert errors == []


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_the_load_balancer_controller_only_binds_targets(catalog: Catalog, env_name: str) -> None:
    env = catalog.environments[env_name]
    values = aws_load_balancer_controller.values(env)
    assert values["clusterName"] == naming.eks_cluster_name(env)
    # Pods cannot reach IMDS: region given, VPC found by the Name tag Terraform sets.
    assert values["region"] == env.region
    assert values["vpcTags"] == {"Name": naming.vpc_name(naming.stack_name(env))}
    assert values["createIngressClassResource"] is False and values["ingressClassParams"] == {"create": False}
    assert values["enableServiceMutatorWebhook"] is False
    assert values["webhookConfig"] == {"disableIngressValidation": True}
    assert values["controllerConfig"]["featureGates"] == {
        "EnableServiceController": False, "ALBGatewayAPI": False, "NLBGatewayAPI": False}
    assert {values[key] for key in ("enableShield", "enableWaf", "enableWafv2")} == {False}
    assert values["enableCertManager"] is True and "cert-manager" in aws_load_balancer_controller.DEPENDS_ON
    assert values["podDisruptionBudget"] == ({"maxUnavailable": 1} if env.addon_replicas > 1 else {})


def test_restricted_pod_security_for_the_controller() -> None:
    context = aws_load_balancer_controller.SECURITY_CONTEXT
    assert context["capabilities"] == {"drop": ["ALL"]} and context["seccompProfile"] == {"type": "RuntimeDefault"}
    assert context["runAsNonRoot"] is True and context["allowPrivilegeEscalation"] is False
    assert ADDONS[aws_load_balancer_controller.NAME].namespace == naming.ADDON_SERVICE_ACCOUNTS[
        aws_load_balancer_controller.NAME].namespace


@pytest.mark.parametrize(("fields", "message"), [
    ({"chart": "x", "path": "y"}, "exactly one of chart, path"),
    ({}, "exactly one of chart, path"),
    ({"path": "y", "values": lambda env: {}}, "values go with a chart"),
    ({"chart": "x"}, "values go with a chart"),
])
def test_an_addon_declares_one_kind_of_source(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Addon(name="x", repo_url="https://example.org", version="1.0.0", namespace="x", depends_on=(), **fields)
