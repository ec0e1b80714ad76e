"""The edge, Terraform against the committed gitops_out/: the WAF web ACL is associated with the ALB whose
target group is the one the TargetGroupBinding names, and every other name and number the two sides share
(host, ports, subnets, VPC, cluster, controller role) agrees.

WAF ACL and target group ARNs hold ids AWS makes up, so nothing in gitops_out carries them: the binding
is the target group's name, derived once in catalog.naming.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from catalog_params import ENVIRONMENTS
from gitops_support import committed
from infra_support import resources

from catalog import Catalog, naming


def committed_objects(env_name: str) -> dict[tuple[str, str, str], dict[str, Any]]:
    docs = [doc for path, doc in committed(env_name) if naming.BOOTSTRAP_FOLDER not in path.parts]
    return {(doc["kind"], doc["metadata"].get("namespace", ""), doc["metadata"]["name"]): doc for doc in docs}


def one_of_kind(objects: dict, kind: str) -> dict[str, Any]:
    (found,) = [obj for (k, _, _), obj in objects.items() if k == kind]
    return found


def app_values(objects: dict, name: str) -> dict[str, Any]:
    return objects["Application", naming.ARGOCD_NAMESPACE, name]["spec"]["source"]["helm"]["valuesObject"]


def ref(kind: str, key: str, attribute: str) -> str:
    return f"${{{kind}.{key}.{attribute}}}"


@pytest.fixture(scope="module")
def sides(infra, catalog: Catalog):
    """`sides(env_name)` -> (that stack's Terraform JSON, the objects committed under gitops_out/<env>)."""
    return lambda env_name: (infra.json(naming.stack_name(catalog.environments[env_name])), committed_objects(env_name))


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_the_waf_protects_the_alb_that_forwards_to_the_bound_target_group(sides, env_name: str) -> None:
    data, objects = sides(env_name)
    binding = one_of_kind(objects, "TargetGroupBinding")["spec"]
    (group_key,) = [key for key, group in resources(data, "aws_lb_target_group").items()
                    if group["name"] == binding["targetGroupName"]]
    group_arn = ref("aws_lb_target_group", group_key, "arn")
    (https,) = [listener for listener in resources(data, "aws_lb_listener").values()
                if listener["default_action"][0].get("target_group_arn") == group_arn]
    (lb_key,) = [key for key in resources(data, "aws_lb") if https["load_balancer_arn"] == ref("aws_lb", key, "arn")]
    (acl_key,) = resources(data, "aws_wafv2_web_acl")
    associations = [a for a in resources(data, "aws_wafv2_web_acl_association").values()
                    if a["resource_arn"] == ref("aws_lb", lb_key, "arn")]
    assert [a["web_acl_arn"] for a in associations] == [ref("aws_wafv2_web_acl", acl_key, "arn")]
    assert resources(data, "aws_lb")[lb_key]["internal"] is False
    assert https["protocol"] == "HTTPS" and https["port"] == 443


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_the_target_group_reaches_the_gateways_https_listener(sides, env_name: str) -> None:
    data, objects = sides(env_name)
    binding = one_of_kind(objects, "TargetGroupBinding")
    (group,) = [g for g in resources(data, "aws_lb_target_group").values()
                if g["name"] == binding["spec"]["targetGroupName"]]
    gateway = one_of_kind(objects, "Gateway")
    (https,) = [item for item in gateway["spec"]["listeners"] if item["protocol"] == "HTTPS"]
    # The Service NGF makes for the Gateway is <gateway>-<class>, with a port per listener.
    data_plane = f"{gateway['metadata']['name']}-{gateway['spec']['gatewayClassName']}"
    assert binding["metadata"]["namespace"] == gateway["metadata"]["namespace"]
    assert binding["spec"]["serviceRef"] == {"name": data_plane, "port": https["port"]}
    assert (group["protocol"], group["port"], group["target_type"]) == ("HTTPS", https["port"], "ip")
    policy = objects["NetworkPolicy", gateway["metadata"]["namespace"], naming.EDGE_INGRESS_POLICY]["spec"]
    opened = {port["port"] for port in policy["ingress"][0]["ports"]}
    assert {group["port"], int(group["health_check"]["port"])} == opened


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_only_the_albs_subnets_are_trusted_and_admitted_by_nginx(sides, env_name: str) -> None:
    data, objects = sides(env_name)
    (lb,) = resources(data, "aws_lb").values()
    subnets = resources(data, "aws_subnet")
    alb_cidrs = sorted(subnets[subnet.split(".")[1]]["cidr_block"] for subnet in lb["subnets"])
    gateway = one_of_kind(objects, "Gateway")
    policy = objects["NetworkPolicy", gateway["metadata"]["namespace"], naming.EDGE_INGRESS_POLICY]["spec"]
    assert sorted(peer["ipBlock"]["cidr"] for peer in policy["ingress"][0]["from"]) == alb_cidrs
    trusted = app_values(objects, "nginx-gateway-fabric")["nginx"]["config"]["rewriteClientIP"]["trustedAddresses"]
    assert sorted(address["value"] for address in trusted) == alb_cidrs


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_one_public_name_from_dns_to_route(sides, env_name: str) -> None:
    data, objects = sides(env_name)
    (alias,) = [record for record in resources(data, "aws_route53_record").values() if "alias" in record]
    (lb_key,) = resources(data, "aws_lb")
    assert alias["alias"]["name"] == ref("aws_lb", lb_key, "dns_name")
    (certificate,) = resources(data, "aws_acm_certificate").values()
    routes = [obj for (kind, namespace, _), obj in objects.items()
              if kind == "HTTPRoute" and obj["spec"].get("hostnames")]
    (route,) = routes
    assert route["spec"]["hostnames"] == [alias["name"]] == [certificate["domain_name"]]
    assert one_of_kind(objects, "Certificate")["spec"]["dnsNames"] == [alias["name"]]


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_the_controller_finds_its_vpc_and_cluster_and_may_bind_the_group(sides, env_name: str) -> None:
    data, objects = sides(env_name)
    values = app_values(objects, "aws-load-balancer-controller")
    (vpc,) = resources(data, "aws_vpc").values()
    assert values["vpcTags"] == {"Name": vpc["tags"]["Name"]}
    (cluster,) = resources(data, "aws_eks_cluster").values()
    assert values["clusterName"] == cluster["name"]
    role_name = values["serviceAccount"]["annotations"]["eks.amazonaws.com/role-arn"].rsplit("/", 1)[1]
    (role_key,) = [key for key, role in resources(data, "aws_iam_role").items() if role["name"] == role_name]
    (policy,) = [json.loads(p["policy"]) for p in resources(data, "aws_iam_role_policy").values()
                 if p["role"] == ref("aws_iam_role", role_key, "id")]
    binding = one_of_kind(objects, "TargetGroupBinding")["spec"]
    (group_key,) = [key for key, group in resources(data, "aws_lb_target_group").items()
                    if group["name"] == binding["targetGroupName"]]
    (register,) = [s for s in policy["Statement"] if "elasticloadbalancing:RegisterTargets" in s["Action"]]
    assert register["Resource"] == [ref("aws_lb_target_group", group_key, "arn")]
