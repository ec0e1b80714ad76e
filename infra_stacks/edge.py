"""The internet-facing edge: an Application Load Balancer with the WAF web ACL associated, in front of
the NGINX data plane in the cluster.

WAFv2 attaches to an ALB but never to an NLB, so the entry is an ALB that Terraform owns outright:
public TLS with an ACM certificate, HTTP redirected to HTTPS, HTTPS forwarded to a target group of
NGINX data plane pods (target type ip) over TLS again. Terraform creates that group empty; the AWS Load
Balancer Controller registers the pods, told which group by a TargetGroupBinding that names it
(catalog.naming.target_group_name). Its role may do that and nothing else: it cannot create, change
or delete a load balancer.
"""

from __future__ import annotations

from collections.abc import Sequence

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.acm_certificate import AcmCertificate, AcmCertificateOptions
from cdktf_cdktf_provider_aws.acm_certificate_validation import AcmCertificateValidation
from cdktf_cdktf_provider_aws.lb import Lb, LbAccessLogs
from cdktf_cdktf_provider_aws.lb_listener import (
    LbListener,
    LbListenerDefaultAction,
    LbListenerDefaultActionRedirect,
)
from cdktf_cdktf_provider_aws.lb_target_group import LbTargetGroup, LbTargetGroupHealthCheck
from cdktf_cdktf_provider_aws.route53_record import Route53Record, Route53RecordAlias
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
from cdktf_cdktf_provider_aws.wafv2_web_acl_association import Wafv2WebAclAssociation
from constructs import Construct

from catalog import naming
from infra_stacks.bucket import SecureBucket
from infra_stacks.irsa import IrsaRole, OidcIssuer
from infra_stacks.policy import AwsAccount, Statement, allow

__all__ = ["TLS_POLICY", "Edge", "log_delivery_grant"]

# TLS 1.3, and TLS 1.2 with forward-secret AEAD ciphers only (ELB's "restricted" policy).
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-Res-2021-06"
LOG_DELIVERY_SERVICE = "logdelivery.elasticloadbalancing.amazonaws.com"
INTERNET = "0.0.0.0/0"


def log_delivery_grant(*, bucket: str, account_id: str, writer_account: str | None) -> Statement:
    """Elastic Load Balancing may put access logs under AWSLogs/<account>/ of `bucket`.

    `writer_account` is the Region's ELB account (catalog.regions.ELB_LOG_DELIVERY_ACCOUNTS); None, in
    Regions opened since August 2022, grants the log delivery service instead.
    """
    principal = ({"AWS": f"arn:aws:iam::{writer_account}:root"} if writer_account
                 else {"Service": LOG_DELIVERY_SERVICE})
    return {"Sid": "LoadBalancerAccessLogs", "Effect": "Allow", "Principal": principal,
            "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{bucket}/AWSLogs/{account_id}/*"}


class Edge(Construct):
    """The ALB, its certificate, listeners, target group, security group, DNS record and WAF association.

    Args:
        name: the load balancer's name (catalog.naming.load_balancer_name).
        target_group_name: the group of data plane pods, named in gitops_out's TargetGroupBinding too.
        host: the public host name: the certificate's domain and the Route53 alias record.
        zone_id: the Route53 hosted zone of `host`, for the alias and the certificate's DNS validation.
        vpc_id: the VPC of the target group and the security group.
        subnet_ids: public subnets, one per zone, the load balancer's nodes live in.
        cluster_security_group_id: the security group of the nodes and pods; it admits the ALB on the
            data plane's ports only.
        web_acl_arn: the WAFv2 web ACL associated with the load balancer.
        log_bucket: a new bucket for the access logs (SSE-S3: ELB writes no other encryption).
        log_writer_account: the Region's ELB log account; None for the log delivery service principal.
        account: the account the logs are filed under (AWSLogs/<account_id>/).
        security_group_name: the ALB's security group.
        deletion_protection: whether AWS refuses to delete the load balancer (catalog: edge).
        controller_role_name: the AWS Load Balancer Controller's IRSA role.
        controller_service_account: the ServiceAccount the controller runs as.
        issuer: the cluster's OIDC issuer, which the controller's role trusts.
        target_port: the data plane's HTTPS listener the group forwards to (naming.EDGE_HTTPS_PORT).
        health_check_port: where the data plane answers readiness (naming.EDGE_HEALTH_PORT).
        health_check_path: its readiness path (naming.EDGE_HEALTH_PATH).
        tls_policy: the HTTPS listener's security policy (TLS_POLICY).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        target_group_name: str,
        host: str,
        zone_id: str,
        vpc_id: str,
        subnet_ids: Sequence[str],
        cluster_security_group_id: str,
        web_acl_arn: str,
        log_bucket: str,
        log_writer_account: str | None,
        account: AwsAccount,
        security_group_name: str,
        deletion_protection: bool,
        controller_role_name: str,
        controller_service_account: naming.ServiceAccountRef,
        issuer: OidcIssuer,
        target_port: int = naming.EDGE_HTTPS_PORT,
        health_check_port: int = naming.EDGE_HEALTH_PORT,
        health_check_path: str = naming.EDGE_HEALTH_PATH,
        tls_policy: str = TLS_POLICY,
    ) -> None:
        super().__init__(scope, construct_id)
        logs = SecureBucket(self, "access_logs", name=log_bucket, key_arn=None, expire_days=365, grants=[
            log_delivery_grant(bucket=log_bucket, account_id=account.account_id, writer_account=log_writer_account)])
        security_group = self._security_group(name=security_group_name, vpc_id=vpc_id,
                                              cluster_security_group_id=cluster_security_group_id,
                                              ports=(target_port, health_check_port))
        self.this = Lb(
            self, "this", name=name, internal=False, load_balancer_type="application", ip_address_type="ipv4",
            subnets=list(subnet_ids), security_groups=[security_group.id],
            enable_deletion_protection=deletion_protection,
            # Requests whose headers HTTP forbids never reach NGINX; desync attacks are refused.
            drop_invalid_header_fields=True, desync_mitigation_mode="defensive",
            # NGINX trusts the last X-Forwarded-For entry from the ALB's subnets as the client address.
            xff_header_processing_mode="append",
            access_logs=LbAccessLogs(bucket=logs.name, enabled=True),
            # ELB checks that it may write to the bucket when logging is turned on.
            depends_on=[logs.policy],
        )
        self.target_group = LbTargetGroup(
            self, "data_plane", name=target_group_name, vpc_id=vpc_id, target_type="ip",
            protocol="HTTPS", port=target_port, deregistration_delay="30",
            health_check=LbTargetGroupHealthCheck(
                enabled=True, protocol="HTTP", port=str(health_check_port), path=health_check_path,
                matcher="200", interval=10, timeout=5, healthy_threshold=2, unhealthy_threshold=2),
        )
        certificate = self._certificate(host=host, zone_id=zone_id)
        LbListener(self, "https", load_balancer_arn=self.this.arn, port=443, protocol="HTTPS",
                   ssl_policy=tls_policy, certificate_arn=certificate.certificate_arn,
                   default_action=[LbListenerDefaultAction(type="forward",
                                                           target_group_arn=self.target_group.arn)])
        LbListener(self, "http", load_balancer_arn=self.this.arn, port=80, protocol="HTTP",
                   default_action=[LbListenerDefaultAction(type="redirect", redirect=LbListenerDefaultActionRedirect(
                       protocol="HTTPS", port="443", status_code="HTTP_301"))])
        Wafv2WebAclAssociation(self, "waf", resource_arn=self.this.arn, web_acl_arn=web_acl_arn)
        Route53Record(self, "dns", zone_id=zone_id, name=host, type="A", alias=Route53RecordAlias(
            name=self.this.dns_name, zone_id=self.this.zone_id, evaluate_target_health=True))
        self.controller = IrsaRole(
            self, "controller_role", name=controller_role_name, issuer=issuer,
            service_account=controller_service_account,
            statements=[
                # Describe calls take no resource but `*`; the controller finds the group, its targets' health,
                # the VPC (by Name tag) and the security groups it must leave alone.
                allow(["elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTargetHealth",
                       "ec2:DescribeVpcs", "ec2:DescribeSecurityGroups"], ["*"], sid="Lookups"),
                allow(["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"],
                      [self.target_group.arn], sid="BindDataPlanePods"),
            ],
        )
        self.arn = self.this.arn
        self.dns_name = self.this.dns_name

    def _security_group(self, *, name: str, vpc_id: str, cluster_security_group_id: str,
                        ports: Sequence[int]) -> SecurityGroup:
        """80 and 443 from the internet; out only to the data plane's ports, which the cluster admits from it."""
        group = SecurityGroup(self, "sg", name=name, vpc_id=vpc_id,
                              description="Edge ALB: HTTP and HTTPS from the internet, out to NGINX only")
        for port, purpose in ((80, "HTTP, redirected to HTTPS"), (443, "HTTPS")):
            VpcSecurityGroupIngressRule(self, f"internet_{port}", security_group_id=group.id, ip_protocol="tcp",
                                        from_port=port, to_port=port, cidr_ipv4=INTERNET,
                                        description=f"{purpose} from the internet")
        for port in ports:
            VpcSecurityGroupEgressRule(self, f"to_data_plane_{port}", security_group_id=group.id,
                                       ip_protocol="tcp", from_port=port, to_port=port,
                                       referenced_security_group_id=cluster_security_group_id,
                                       description=f"NGINX data plane pods, port {port}")
            VpcSecurityGroupIngressRule(self, f"data_plane_{port}", security_group_id=cluster_security_group_id,
                                        ip_protocol="tcp", from_port=port, to_port=port,
                                        referenced_security_group_id=group.id,
                                        description=f"Edge ALB to NGINX data plane pods, port {port}")
        return group

    def _certificate(self, *, host: str, zone_id: str) -> AcmCertificateValidation:
        """A public ACM certificate for `host`, validated through a DNS record in its zone."""
        certificate = AcmCertificate(
            self, "certificate", domain_name=host, validation_method="DNS",
            options=AcmCertificateOptions(certificate_transparency_logging_preference="ENABLED"),
            # A renewed or replaced certificate is in place before the old one goes.
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
        )
        option = certificate.domain_validation_options.get(0)
        record = Route53Record(self, "certificate_validation", zone_id=zone_id, name=option.resource_record_name,
                               type=option.resource_record_type, records=[option.resource_record_value], ttl=60,
                               allow_overwrite=True)
        return AcmCertificateValidation(self, "certificate_valid", certificate_arn=certificate.arn,
                                        validation_record_fqdns=[record.fqdn])
