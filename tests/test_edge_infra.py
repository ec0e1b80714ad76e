"""The edge on the AWS side (infra_stacks.edge): the ALB, its WAF association, certificate, listeners,
target group, DNS, security groups, access logs and the AWS Load Balancer Controller's narrow role.

Expectations come from the catalog and catalog.naming; tests/test_edge_cross_side.py ties them to gitops_out.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from catalog_params import ENVIRONMENTS
from infra_support import resources

from catalog import Catalog, naming
from catalog.regions import ELB_LOG_DELIVERY_ACCOUNTS, ZONE_LETTERS

CONTROLLER = "aws-load-balancer-controller"


def ref(kind: str, key: str, attribute: str) -> str:
    return f"${{{kind}.{key}.{attribute}}}"


def only(data: dict[str, Any], kind: str) -> tuple[str, dict[str, Any]]:
    (item,) = resources(data, kind).items()
    return item


@pytest.fixture(scope="module")
def stack(infra, catalog: Catalog):
    return lambda env_name: infra.json(naming.stack_name(catalog.environments[env_name]))


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_the_waf_acl_is_associated_with_the_internet_facing_alb(stack, env, env_name: str) -> None:
    data, environment = stack(env_name), env(env_name)
    lb_key, lb = only(data, "aws_lb")
    acl_key, acl = only(data, "aws_wafv2_web_acl")
    _, association = only(data, "aws_wafv2_web_acl_association")
    assert association == {**association, "resource_arn": ref("aws_lb", lb_key, "arn"),
                           "web_acl_arn": ref("aws_wafv2_web_acl", acl_key, "arn")}
    assert acl["scope"] == "REGIONAL"
    assert (lb["name"], lb["load_balancer_type"], lb["internal"]) == (
        naming.load_balancer_name(naming.stack_name(environment)), "application", False)
    public = {key for key, subnet in resources(data, "aws_subnet").items()
              if subnet["cidr_block"] in naming.subnet_plan(environment).public}
    assert sorted(lb["subnets"]) == sorted(ref("aws_subnet", key, "id") for key in public)
    assert len(public) == len(environment.availability_zones)
    assert lb["drop_invalid_header_fields"] is True
    assert lb["enable_deletion_protection"] is environment.edge.deletion_protection


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_listeners_terminate_tls_with_the_acm_certificate_and_redirect_http(stack, env, env_name: str) -> None:
    data = stack(env_name)
    lb_key, _ = only(data, "aws_lb")
    tg_key, _ = only(data, "aws_lb_target_group")
    cert_key, cert = only(data, "aws_acm_certificate")
    validation_key, validation = only(data, "aws_acm_certificate_validation")
    listeners = {listener["port"]: listener for listener in resources(data, "aws_lb_listener").values()}
    assert set(listeners) == {80, 443}
    assert all(listener["load_balancer_arn"] == ref("aws_lb", lb_key, "arn") for listener in listeners.values())
    https = listeners[443]
    assert https["protocol"] == "HTTPS"
    assert https["ssl_policy"].startswith("ELBSecurityPolicy-TLS13-1-2")  # TLS 1.2 and 1.3 only
    assert https["certificate_arn"] == ref("aws_acm_certificate_validation", validation_key, "certificate_arn")
    assert validation["certificate_arn"] == ref("aws_acm_certificate", cert_key, "arn")
    assert https["default_action"] == [{"type": "forward", "target_group_arn": ref("aws_lb_target_group", tg_key,
                                                                                   "arn")}]
    http = listeners[80]
    assert http["protocol"] == "HTTP"
    assert http["default_action"] == [{"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443",
                                                                        "status_code": "HTTP_301"}}]
    assert cert["domain_name"] == naming.public_host(env(env_name))
    assert cert["validation_method"] == "DNS"


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_dns_points_the_public_host_at_the_alb_and_validates_the_certificate(stack, env, env_name: str) -> None:
    data, environment = stack(env_name), env(env_name)
    lb_key, _ = only(data, "aws_lb")
    cert_key, _ = only(data, "aws_acm_certificate")
    _, validation = only(data, "aws_acm_certificate_validation")
    records = dict(resources(data, "aws_route53_record"))
    # The catalog's zone, or the one the stack creates when the catalog names none.
    zone = environment.route53_zone_id or ref("aws_route53_zone", only(data, "aws_route53_zone")[0], "zone_id")
    assert {record["zone_id"] for record in records.values()} == {zone}
    (alias,) = [record for record in records.values() if "alias" in record]
    assert (alias["name"], alias["type"]) == (naming.public_host(environment), "A")
    assert alias["alias"] == {"name": ref("aws_lb", lb_key, "dns_name"), "zone_id": ref("aws_lb", lb_key, "zone_id"),
                              "evaluate_target_health": True}
    (check_key,) = [key for key, record in records.items() if "alias" not in record]
    assert f"aws_acm_certificate.{cert_key}.domain_validation_options" in records[check_key]["name"]
    assert validation["validation_record_fqdns"] == [ref("aws_route53_record", check_key, "fqdn")]


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_the_target_group_sends_https_to_data_plane_pods(stack, env, env_name: str) -> None:
    data = stack(env_name)
    vpc_key, _ = only(data, "aws_vpc")
    _, group = only(data, "aws_lb_target_group")
    assert group["name"] == naming.target_group_name(naming.stack_name(env(env_name)))
    assert (group["target_type"], group["protocol"], group["port"]) == ("ip", "HTTPS", naming.EDGE_HTTPS_PORT)
    assert group["vpc_id"] == ref("aws_vpc", vpc_key, "id")
    health = group["health_check"]
    assert (health["protocol"], health["port"], health["path"]) == (
        "HTTP", str(naming.EDGE_HEALTH_PORT), naming.EDGE_HEALTH_PATH)


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_security_groups_open_only_the_data_plane_ports_between_alb_and_cluster(stack, env_name: str) -> None:
    data = stack(env_name)
    cluster_key, _ = only(data, "aws_eks_cluster")
    cluster_sg = ref("aws_eks_cluster", cluster_key, "vpc_config[0].cluster_security_group_id")
    alb_key = next(key for key, sg in resources(data, "aws_security_group").items() if sg["name"].endswith("-edge-alb"))
    alb_sg = ref("aws_security_group", alb_key, "id")
    _, lb = only(data, "aws_lb")
    assert lb["security_groups"] == [alb_sg]
    ports = {naming.EDGE_HTTPS_PORT, naming.EDGE_HEALTH_PORT}
    egress = resources(data, "aws_vpc_security_group_egress_rule").values()
    assert {(rule["from_port"], rule["referenced_security_group_id"]) for rule in egress
            if rule["security_group_id"] == alb_sg} == {(port, cluster_sg) for port in ports}
    from_alb = [rule for rule in resources(data, "aws_vpc_security_group_ingress_rule").values()
                if rule.get("referenced_security_group_id") == alb_sg]
    assert {(rule["security_group_id"], rule["from_port"], rule["to_port"]) for rule in from_alb} == {
        (cluster_sg, port, port) for port in ports}


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_access_logs_go_to_their_own_bucket_which_elb_may_write(stack, env, env_name: str) -> None:
    data, environment = stack(env_name), env(env_name)
    _, lb = only(data, "aws_lb")
    bucket_key = next(key for key, bucket in resources(data, "aws_s3_bucket").items()
                      if bucket["bucket"] == naming.bucket_name(environment, "alb-logs"))
    assert lb["access_logs"] == {"bucket": ref("aws_s3_bucket", bucket_key, "bucket"), "enabled": True}
    policy = next(json.loads(p["policy"]) for p in resources(data, "aws_s3_bucket_policy").values()
                  if p["bucket"] == ref("aws_s3_bucket", bucket_key, "id"))
    grant = next(s for s in policy["Statement"] if s["Sid"] == "LoadBalancerAccessLogs")
    writer = ELB_LOG_DELIVERY_ACCOUNTS[environment.region]
    assert grant["Principal"] == ({"AWS": f"arn:aws:iam::{writer}:root"} if writer
                                  else {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"})
    assert grant["Action"] == "s3:PutObject"
    assert grant["Resource"] == (f"arn:aws:s3:::{naming.bucket_name(environment, 'alb-logs')}"
                                 f"/AWSLogs/{environment.account_id}/*")


def test_every_region_says_who_writes_load_balancer_logs() -> None:
    assert ELB_LOG_DELIVERY_ACCOUNTS.keys() == ZONE_LETTERS.keys()
    assert all(account is None or (len(account) == 12 and account.isdigit())
               for account in ELB_LOG_DELIVERY_ACCOUNTS.values())


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_the_controller_may_only_bind_targets_of_its_group(stack, env, env_name: str) -> None:
    """The upstream policy lets the controller create and delete load balancers; this one cannot."""
    data, environment = stack(env_name), env(env_name)
    tg_key, _ = only(data, "aws_lb_target_group")
    role_name = naming.addon_role_name(environment, CONTROLLER)
    role_key = next(key for key, role in resources(data, "aws_iam_role").items() if role["name"] == role_name)
    (policy,) = [json.loads(p["policy"]) for p in resources(data, "aws_iam_role_policy").values()
                 if p["role"] == ref("aws_iam_role", role_key, "id")]
    statements = {statement["Sid"]: statement for statement in policy["Statement"]}
    assert statements["BindDataPlanePods"]["Action"] == ["elasticloadbalancing:DeregisterTargets",
                                                         "elasticloadbalancing:RegisterTargets"]
    assert statements["BindDataPlanePods"]["Resource"] == [ref("aws_lb_target_group", tg_key, "arn")]
    lookups = statements.pop("Lookups")
    assert all(action.split(":")[1].startswith("Describe") for action in lookups["Action"])
    assert set(statements) == {"BindDataPlanePods"}
    account = naming.ADDON_SERVICE_ACCOUNTS[CONTROLLER]
    (trust,) = json.loads(resources(data, "aws_iam_role")[role_key]["assume_role_policy"])["Statement"]
    assert f"system:serviceaccount:{account.namespace}:{account.name}" in trust["Condition"]["StringEquals"].values()
