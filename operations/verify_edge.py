"""The edge on live resources: internet -> Route53 alias -> ALB (ACM certificate, WAF web ACL) -> HTTPS
listener -> the target group the cluster binds its NGINX pods to.

Shared by `main.py verify` (`waf-association`, `edge`: names from the catalog) and the rehearsal's
cross-side proof (names from gitops_out/: the TargetGroupBinding's group, the HTTPRoutes' hosts).
Every function returns one line per problem, [] when all is as asked; an API error is raised for the
caller's probe to report.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

__all__ = ["covers", "edge_problems", "https_forwarder", "load_balancer", "web_acl_problems"]

Client = Callable[[str], Any]
HTTPS_PORT = 443


def load_balancer(elbv2: Any, name: str) -> dict[str, Any]:
    """The load balancer of that name; LoadBalancerNotFound is raised when there is none."""
    (found,) = elbv2.describe_load_balancers(Names=[name])["LoadBalancers"]
    return found


def web_acl_problems(wafv2: Any, balancer: dict[str, Any], acl_names: Iterable[str]) -> list[str]:
    """The load balancer is protected by one of the web ACLs named (GetWebACLForResource)."""
    wanted = sorted(acl_names)
    acl = wafv2.get_web_acl_for_resource(ResourceArn=balancer["LoadBalancerArn"]).get("WebACL")
    if acl and acl["Name"] in wanted:
        return []
    found = f"has web ACL {acl['Name']}" if acl else "has no web ACL associated"
    return [f"load balancer {balancer['LoadBalancerName']} {found}, expected {' or '.join(wanted) or 'one'}"]


def _forwards_to(action: dict[str, Any], group_arn: str) -> bool:
    if action.get("Type") != "forward":
        return False
    weighted = action.get("ForwardConfig", {}).get("TargetGroups", [])
    return action.get("TargetGroupArn") == group_arn or [g.get("TargetGroupArn") for g in weighted] == [group_arn]


def _balancers(elbv2: Any) -> Iterator[dict[str, Any]]:
    for page in elbv2.get_paginator("describe_load_balancers").paginate():
        yield from page["LoadBalancers"]


def https_forwarder(elbv2: Any, group_arn: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(load balancer, listener) whose HTTPS listener on 443 sends everything to the group, or None."""
    for balancer in _balancers(elbv2):
        for listener in elbv2.describe_listeners(LoadBalancerArn=balancer["LoadBalancerArn"])["Listeners"]:
            if (listener.get("Protocol"), listener.get("Port")) == ("HTTPS", HTTPS_PORT) and \
                    [_forwards_to(a, group_arn) for a in listener.get("DefaultActions", [])] == [True]:
                return balancer, listener
    return None


def covers(name: str, host: str) -> bool:
    """A certificate name covers `host`: equal, or a wildcard for exactly one label."""
    name, host = name.lower().rstrip("."), host.lower().rstrip(".")
    return name == host or (name.startswith("*.") and host.partition(".")[2] == name[2:])


def certificate_problems(acm: Any, listener: dict[str, Any], host: str) -> list[str]:
    """An issued certificate of the HTTPS listener covers `host`."""
    arns = [c["CertificateArn"] for c in listener.get("Certificates") or []]
    for arn in arns:
        found = acm.describe_certificate(CertificateArn=arn)["Certificate"]
        names = {found.get("DomainName", ""), *found.get("SubjectAlternativeNames", [])}
        if any(covers(name, host) for name in names):
            return [] if found["Status"] == "ISSUED" else [f"certificate {arn} for {host} is {found['Status']}"]
    return [f"no certificate of the HTTPS listener covers {host}"]


def _zone_of(route53: Any, host: str) -> dict[str, Any] | None:
    """The public hosted zone that answers for `host`: the longest zone name it ends in."""
    host = host.lower().rstrip(".") + "."
    zones = [zone for page in route53.get_paginator("list_hosted_zones").paginate() for zone in page["HostedZones"]
             if not zone.get("Config", {}).get("PrivateZone")
             and (host == zone["Name"].lower() or host.endswith("." + zone["Name"].lower()))]
    return max(zones, key=lambda zone: len(zone["Name"]), default=None)


def _bare(dns_name: str) -> str:
    """ELB alias targets may be written with `dualstack.`; case and the final dot do not matter."""
    name = dns_name.lower().rstrip(".")
    return name.removeprefix("dualstack.")


def dns_problems(route53: Any, balancer: dict[str, Any], host: str) -> list[str]:
    """`host` has an A alias record in its public zone that points at the load balancer."""
    zone = _zone_of(route53, host)
    if zone is None:
        return [f"no public hosted zone answers for {host}"]
    wanted = host.lower().rstrip(".") + "."
    records = route53.list_resource_record_sets(HostedZoneId=zone["Id"], StartRecordName=wanted, StartRecordType="A",
                                                MaxItems="1")["ResourceRecordSets"]
    record = next((r for r in records if r["Name"].lower() == wanted and r["Type"] == "A"), None)
    if record is None or "AliasTarget" not in record:
        return [f"no A alias record {host} in hosted zone {zone['Name']}"]
    target = record["AliasTarget"]
    if (_bare(target["DNSName"]), target["HostedZoneId"]) != (_bare(balancer["DNSName"]),
                                                              balancer["CanonicalHostedZoneId"]):
        return [f"{host} points at {target['DNSName']} ({target['HostedZoneId']}), not at load balancer "
                f"{balancer['LoadBalancerName']} ({balancer['DNSName']})"]
    return []


def edge_problems(aws: Client, *, target_group: str, hosts: Iterable[str],
                  acl_names: Iterable[str] | None = None) -> list[str]:
    """The target group exists, an HTTPS listener on 443 forwards to it, and that load balancer serves a
    certificate for every host, every host's alias points at it and (unless `acl_names` is None) one of
    those web ACLs protects it."""
    elbv2 = aws("elbv2")
    (group,) = elbv2.describe_target_groups(Names=[target_group])["TargetGroups"]
    found = https_forwarder(elbv2, group["TargetGroupArn"])
    if found is None:
        return [f"no load balancer's HTTPS listener on {HTTPS_PORT} forwards to target group {target_group}"]
    balancer, listener = found
    problems = [] if acl_names is None else web_acl_problems(aws("wafv2"), balancer, acl_names)
    for host in sorted(hosts):
        problems += certificate_problems(aws("acm"), listener, host)
        problems += dns_problems(aws("route53"), balancer, host)
    return problems
