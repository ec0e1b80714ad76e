"""The edge as infra_stacks.edge creates it, made directly in an in-process emulator (moto) for the
verify and cross-side tests: ALB, target group, HTTPS listener with an ACM certificate, the WAF web ACL
associated, and the public host's alias in the environment's zone. Each keyword breaks one link."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from catalog import Environment, naming

Client = Callable[[str], Any]


def web_acl(aws: Client, name: str) -> str:
    """The ARN of the regional web ACL `name`, created when missing."""
    wafv2 = aws("wafv2")
    found = [acl["ARN"] for acl in wafv2.list_web_acls(Scope="REGIONAL")["WebACLs"] if acl["Name"] == name]
    if found:
        return found[0]
    return wafv2.create_web_acl(Name=name, Scope="REGIONAL", DefaultAction={"Allow": {}}, VisibilityConfig={
        "SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": name})["Summary"]["ARN"]


def _network(aws: Client, env: Environment) -> tuple[str, list[str]]:
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{index}.0/24",
                                 AvailabilityZone=f"{env.region}{zone}")["Subnet"]["SubnetId"]
               for index, zone in enumerate("ab")]
    return vpc, subnets


def deploy_edge(aws: Client, env: Environment, *, associate: bool = True, forward: bool = True,
                certificate_host: str | None = None, alias: bool = True) -> dict[str, Any]:
    """Needs moto's ACM validation wait at zero (see `issued_at_once`); the ALB description back."""
    stack = naming.stack_name(env)
    vpc, subnets = _network(aws, env)
    elbv2 = aws("elbv2")
    (balancer,) = elbv2.create_load_balancer(Name=naming.load_balancer_name(stack), Subnets=subnets,
                                             Scheme="internet-facing", Type="application")["LoadBalancers"]
    (group,) = elbv2.create_target_group(Name=naming.target_group_name(stack), Protocol="HTTPS", Port=443,
                                         VpcId=vpc, TargetType="ip")["TargetGroups"]
    certificate = aws("acm").request_certificate(DomainName=certificate_host or naming.public_host(env),
                                                 ValidationMethod="DNS")["CertificateArn"]
    action = ({"Type": "forward", "TargetGroupArn": group["TargetGroupArn"]} if forward else
              {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}})
    elbv2.create_listener(LoadBalancerArn=balancer["LoadBalancerArn"], Protocol="HTTPS", Port=443,
                          Certificates=[{"CertificateArn": certificate}], DefaultActions=[action])
    acl = web_acl(aws, naming.waf_acl_name(stack))
    if associate:
        aws("wafv2").associate_web_acl(WebACLArn=acl, ResourceArn=balancer["LoadBalancerArn"])
    zone = aws("route53").create_hosted_zone(Name=env.domain, CallerReference="edge")["HostedZone"]["Id"]
    if alias:
        aws("route53").change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{
            "Action": "CREATE", "ResourceRecordSet": {
                "Name": naming.public_host(env), "Type": "A", "AliasTarget": {
                    "DNSName": balancer["DNSName"], "HostedZoneId": balancer["CanonicalHostedZoneId"],
                    "EvaluateTargetHealth": True}}}]})
    return balancer


def issued_at_once(monkeypatch: Any) -> None:
    """moto issues a DNS-validated certificate after a wait (MOTO_ACM_VALIDATION_WAIT, 60 s): none here."""
    from moto import settings

    monkeypatch.setattr(settings, "ACM_VALIDATION_WAIT", -1)
