"""AWS side of ingress: the WAF web ACL of the edge load balancer and cert-manager's DNS-01 role."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.route53_zone import Route53Zone
from cdktf_cdktf_provider_aws.wafv2_web_acl import (
    Wafv2WebAcl,
    Wafv2WebAclDefaultAction,
    Wafv2WebAclDefaultActionAllow,
    Wafv2WebAclRule,
    Wafv2WebAclRuleAction,
    Wafv2WebAclRuleActionBlock,
    Wafv2WebAclRuleOverrideAction,
    Wafv2WebAclRuleOverrideActionNone,
    Wafv2WebAclRuleVisibilityConfig,
    Wafv2WebAclVisibilityConfig,
)
from cdktf_cdktf_provider_aws.wafv2_web_acl_logging_configuration import (
    Wafv2WebAclLoggingConfiguration,
    Wafv2WebAclLoggingConfigurationRedactedFields,
    Wafv2WebAclLoggingConfigurationRedactedFieldsSingleHeader,
)
from constructs import Construct

from catalog import naming
from infra_stacks.irsa import IrsaRole, OidcIssuer
from infra_stacks.logs import log_group
from infra_stacks.policy import allow

__all__ = ["COUNT_ONLY", "MANAGED_RULE_GROUPS", "CertManagerDns", "WebAcl"]

MANAGED_RULE_GROUPS = (
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",  # includes Log4JRCE
    "AWSManagedRulesSQLiRuleSet",
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesAnonymousIpList",
)
# Rules of a managed group only counted, not enforced: customers call the API from their own servers,
# which often run at hosting providers, while anonymizing proxies and Tor stay blocked.
COUNT_ONLY = {"AWSManagedRulesAnonymousIpList": ("HostingProviderIPList",)}


def _visibility(metric: str) -> Wafv2WebAclRuleVisibilityConfig:
    return Wafv2WebAclRuleVisibilityConfig(cloudwatch_metrics_enabled=True, metric_name=metric,
                                           sampled_requests_enabled=True)


class WebAcl(Construct):
    """Regional ACL of the edge ALB (infra_stacks.edge): per-IP rate limit, then AWS managed rules.

    Logs go to an encrypted log group with the Authorization header redacted.

    Args:
        name: the ACL's name (catalog.naming.waf_acl_name), also the prefix of its metrics and log group.
        log_key_arn: the KMS key of the log group.
        rate_limit_per_5_minutes: requests one IP address may make in five minutes before it is blocked (2000).
    """

    def __init__(self, scope: Construct, construct_id: str, *, name: str, log_key_arn: str,
                 rate_limit_per_5_minutes: int = 2000) -> None:
        super().__init__(scope, construct_id)
        rules = [Wafv2WebAclRule(
            name="rate-limit-per-ip", priority=0,
            action=Wafv2WebAclRuleAction(block=Wafv2WebAclRuleActionBlock()),
            statement={"rate_based_statement": {"limit": rate_limit_per_5_minutes, "aggregate_key_type": "IP"}},
            visibility_config=_visibility(f"{name}-rate-limit"),
        )]
        for priority, group in enumerate(MANAGED_RULE_GROUPS, start=1):
            rules.append(Wafv2WebAclRule(
                name=group, priority=priority,
                override_action=Wafv2WebAclRuleOverrideAction(none=Wafv2WebAclRuleOverrideActionNone()),
                statement={"managed_rule_group_statement": {
                    "name": group, "vendor_name": "AWS",
                    **({"rule_action_override": [{"name": rule, "action_to_use": {"count": {}}}
                                                 for rule in COUNT_ONLY[group]]} if group in COUNT_ONLY else {}),
                }},
                visibility_config=_visibility(f"{name}-{group}"),
            ))
        self.this = Wafv2WebAcl(
            self, "this", name=name, scope="REGIONAL", description=f"{name} ingress",
            default_action=Wafv2WebAclDefaultAction(allow=Wafv2WebAclDefaultActionAllow()),
            rule=rules,
            visibility_config=Wafv2WebAclVisibilityConfig(cloudwatch_metrics_enabled=True, metric_name=name,
                                                          sampled_requests_enabled=True),
        )
        # WAF only delivers to log groups whose name starts with aws-waf-logs-.
        logs = log_group(self, "logs", name=naming.waf_log_group(name), key_arn=log_key_arn)
        Wafv2WebAclLoggingConfiguration(
            self, "logging", resource_arn=self.this.arn, log_destination_configs=[logs.arn],
            redacted_fields=[Wafv2WebAclLoggingConfigurationRedactedFields(
                single_header=Wafv2WebAclLoggingConfigurationRedactedFieldsSingleHeader(name="authorization"))],
        )
        self.arn = self.this.arn


class CertManagerDns(Construct):
    """cert-manager may write only TXT records, only in the environment's zone (ACME DNS-01).

    The ClusterIssuer names the zone id too, since listing zones would need `*`.

    Args:
        role_name: cert-manager's IRSA role (catalog.naming.addon_role_name).
        issuer: the cluster's OIDC issuer, which the role trusts.
        domain: the environment's DNS domain, the name of a zone this creates.
        zone_id: the existing hosted zone of `domain`, referenced by id (no lookup); None creates the zone.
        zone_comment: the comment of a zone this creates, saying whose it is.
    """

    def __init__(self, scope: Construct, construct_id: str, *, role_name: str, issuer: OidcIssuer, domain: str,
                 zone_id: str | None, zone_comment: str) -> None:
        super().__init__(scope, construct_id)
        if zone_id is None:
            zone_id = Route53Zone(self, "zone", name=domain, comment=zone_comment).zone_id
        self.zone_id = zone_id
        self.this = IrsaRole(
            self, "role",
            name=role_name,
            issuer=issuer,
            service_account=naming.ADDON_SERVICE_ACCOUNTS["cert-manager"],
            statements=[
                allow(["route53:GetChange"], ["arn:aws:route53:::change/*"], sid="WatchChanges"),
                allow(["route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets"],
                      [f"arn:aws:route53:::hostedzone/{zone_id}"], sid="Dns01TxtRecords",
                      condition={"ForAllValues:StringEquals": {
                          "route53:ChangeResourceRecordSetsRecordTypes": ["TXT"]}}),
            ],
        )
        self.arn = self.this.arn
