"""The rules each kind of name must follow, and the decorator that checks a derived name against its rule.

A name that breaks its rule raises InvalidName; nothing is ever cut short: a truncated name can
collide with another one or stop saying what it names.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from catalog.fields import shown

__all__ = [
    "BACKUP_PLAN",
    "BACKUP_SELECTION",
    "BACKUP_VAULT",
    "DYNAMODB_TABLE",
    "ECR_REPOSITORY",
    "EKS_CLUSTER",
    "ELASTICACHE_GROUP",
    "ELASTICACHE_SUBNET_GROUP",
    "ELASTICACHE_USER",
    "ELASTICACHE_USER_GROUP",
    "ELB_LOAD_BALANCER",
    "ELB_TARGET_GROUP",
    "GRAFANA_UID",
    "IAM_ROLE",
    "IMAGE_NAME",
    "KMS_ALIAS",
    "KUBERNETES_NAME",
    "KUBERNETES_SERVICE",
    "LAUNCH_TEMPLATE",
    "LOG_GROUP",
    "POSTGRES_ADMIN_USER",
    "POSTGRES_ROLE",
    "PUBLIC_HOST",
    "RDS_INSTANCE",
    "RDS_PARAMETER_GROUP",
    "RDS_SNAPSHOT",
    "RDS_SUBNET_GROUP",
    "S3_BUCKET",
    "SECRET_NAME",
    "SECURITY_GROUP",
    "STACK",
    "VPC_NAME",
    "WAF_ACL",
    "WAF_LOG_GROUP",
    "InvalidName",
    "NameRule",
    "derives",
]


class InvalidName(ValueError):
    """A derived name its service would refuse; the message says which rule it breaks."""


@dataclass(frozen=True)
class NameRule:
    """What one kind of name must look like, from the owning service's documentation.

    `pattern` must match the whole name and is described in words by `shape`; `unique_in` says
    where two names of this kind must differ (catalog.rules checks that across environments), None
    for a name that names no resource of its own.
    """

    kind: str
    max_length: int
    pattern: str
    shape: str
    min_length: int = 1
    reserved_prefixes: tuple[str, ...] = ()
    reserved_suffixes: tuple[str, ...] = ()
    reserved: tuple[str, ...] = ()
    unique_in: Literal["everywhere", "account", "region", "environment", "namespace"] | None = "region"

    def __call__(self, name: str) -> str:
        """`name` itself when it follows the rule; InvalidName otherwise."""
        problem = self.problem(name)
        if problem:
            raise InvalidName(f"{self.kind} {shown(name, 2 * self.max_length)} {problem}")
        return name

    def problem(self, name: str) -> str | None:
        if len(name) > self.max_length:
            return (f"is {len(name)} characters, over the limit of {self.max_length}: shorten the names it is "
                    f"built from by {len(name) - self.max_length}")
        if len(name) < self.min_length:
            return f"is shorter than {self.min_length} characters"
        if not re.fullmatch(self.pattern, name):
            return f"must be {self.shape}"
        prefix = next((p for p in self.reserved_prefixes if name.startswith(p)), None)
        if prefix:
            return f"must not start with {prefix!r} (reserved)"
        suffix = next((s for s in self.reserved_suffixes if name.endswith(s)), None)
        if suffix:
            return f"must not end with {suffix!r} (reserved)"
        if name in self.reserved:
            return "is reserved"
        return None


def derives(rule: NameRule) -> Callable[[Callable[..., str]], Callable[..., str]]:
    """Declares the rule a derivation's names follow: each name it returns is checked, and
    `derivation.rule` tells catalog.rules where the name must be unique."""

    def decorate(derive: Callable[..., str]) -> Callable[..., str]:
        @functools.wraps(derive)
        def checked(*args, **kwargs) -> str:
            return rule(derive(*args, **kwargs))

        checked.rule = rule  # type: ignore[attr-defined]
        return checked

    return decorate


# Letters, digits and single hyphens, starting with a letter and not ending with a hyphen: the
# identifier rule RDS and ElastiCache share.
_IDENTIFIER = r"[a-z](?!.*--)[a-z0-9-]*(?<!-)"
_IDENTIFIER_SHAPE = "a lowercase letter, then letters, digits and single hyphens, not ending with a hyphen"
_LOG_GROUP = r"[._/#A-Za-z0-9-]+"
_DNS_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"

STACK = NameRule("CDKTF stack name", 255, r"[A-Za-z0-9_-]+", "letters, digits, '_' and '-' (a folder name)",
                 unique_in="everywhere")
IAM_ROLE = NameRule("IAM role name", 64, r"[A-Za-z0-9_+=,.@-]+", "letters, digits and +=,.@_-", unique_in="account")
S3_BUCKET = NameRule(
    "S3 bucket name", 63, r"(?![0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$)(?!.*\.\.)[a-z0-9][a-z0-9.-]*[a-z0-9]",
    "lowercase letters, digits, '.' and '-', starting and ending with a letter or digit, not like an IP address",
    min_length=3, reserved_prefixes=("xn--", "sthree-", "amzn-s3-demo-"),
    reserved_suffixes=("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"), unique_in="everywhere")
DYNAMODB_TABLE = NameRule("DynamoDB table name", 255, r"[A-Za-z0-9_.-]+", "letters, digits, '_', '.' and '-'",
                          min_length=3)
KMS_ALIAS = NameRule("KMS alias", 256, r"alias/[A-Za-z0-9/_-]+", "'alias/' and letters, digits, '/', '_' and '-'",
                     reserved_prefixes=("alias/aws/",))
EKS_CLUSTER = NameRule("EKS cluster name", 100, r"[0-9A-Za-z][A-Za-z0-9_-]*",
                       "a letter or digit, then letters, digits, '_' and '-'")
LAUNCH_TEMPLATE = NameRule("launch template name", 128, r"[A-Za-z0-9().\-/_]+", "letters, digits and ().-/_",
                           min_length=3)
LOG_GROUP = NameRule("CloudWatch log group", 512, _LOG_GROUP, "letters, digits and ._/#-")
WAF_LOG_GROUP = NameRule("WAF log group", 512, rf"aws-waf-logs-{_LOG_GROUP}",
                         "'aws-waf-logs-' and letters, digits and ._/#- (WAF logs to no other group)")
WAF_ACL = NameRule("WAF web ACL name", 128, r"[A-Za-z0-9_-]+", "letters, digits, '_' and '-'")
SECURITY_GROUP = NameRule("security group name", 255, r"[A-Za-z0-9 ._\-:/()#,@\[\]+=&;{}!$*]+",
                          "letters, digits, spaces and ._-:/()#,@[]+=&;{}!$*", reserved_prefixes=("sg-",))
SECRET_NAME = NameRule("Secrets Manager name", 512, r"(?!.*-.{6}$)[A-Za-z0-9/_+=.@-]+",
                       "letters, digits and /_+=.@-, not ending with '-' and six characters (an ARN suffix)")
ECR_REPOSITORY = NameRule("ECR repository name", 256,
                          r"(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*",
                          "lowercase path segments of letters and digits joined by single '.', '_' or '-'",
                          min_length=2)
# A reference's name (registry and path, without the tag) is at most 255 characters for the
# container runtimes (the distribution reference grammar).
IMAGE_NAME = NameRule("container image name", 255, r"[a-z0-9][a-z0-9._/-]*", "lowercase letters, digits and ._/-",
                      unique_in=None)
RDS_INSTANCE = NameRule("RDS instance identifier", 63, _IDENTIFIER, _IDENTIFIER_SHAPE)
RDS_SNAPSHOT = NameRule("RDS snapshot identifier", 255, _IDENTIFIER, _IDENTIFIER_SHAPE)
RDS_PARAMETER_GROUP = NameRule("RDS parameter group name", 255, _IDENTIFIER, _IDENTIFIER_SHAPE)
RDS_SUBNET_GROUP = NameRule("RDS subnet group name", 255, r"[a-z0-9 ._-]+",
                            "lowercase letters, digits, spaces and ._-", reserved=("default",))
ELASTICACHE_GROUP = NameRule("ElastiCache replication group id", 40, _IDENTIFIER, _IDENTIFIER_SHAPE)
ELASTICACHE_USER = NameRule("ElastiCache user id", 40, _IDENTIFIER, _IDENTIFIER_SHAPE)
ELASTICACHE_USER_GROUP = NameRule("ElastiCache user group id", 40, _IDENTIFIER, _IDENTIFIER_SHAPE)
# Elastic Load Balancing: 32 letters, digits and hyphens, no hyphen at either end; a load balancer
# name must not start with internal- (the DNS prefix of internal load balancers).
_ELB = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_ELB_SHAPE = "letters, digits and '-', not starting or ending with '-'"
ELB_LOAD_BALANCER = NameRule("load balancer name", 32, _ELB, _ELB_SHAPE, reserved_prefixes=("internal-",))
ELB_TARGET_GROUP = NameRule("target group name", 32, _ELB, _ELB_SHAPE)
# The VPC's Name tag: the AWS Load Balancer Controller finds the VPC by it (pods cannot ask IMDS), so it
# must name one VPC in the region.
VPC_NAME = NameRule("VPC Name tag", 256, r"[A-Za-z0-9 _.:/=+@-]+", "letters, digits, spaces and _.:/=+-@")
# The public API host: an ACM certificate's domain, a Route53 record and a Gateway API hostname.
PUBLIC_HOST = NameRule("public host name", 253, rf"{_DNS_LABEL}(\.{_DNS_LABEL})+",
                       "lowercase DNS labels joined by '.'", unique_in=None)
ELASTICACHE_SUBNET_GROUP = NameRule("ElastiCache subnet group name", 255, r"[a-z0-9-]+",
                                    "lowercase letters, digits and '-'")
# AWS Backup: a vault's name is unique in its account and region; plans, rules and selections are
# display names of 1 to 50 letters, digits and '-_.'.
BACKUP_VAULT = NameRule("AWS Backup vault name", 50, r"[A-Za-z0-9_-]+", "letters, digits, '_' and '-'", min_length=2)
BACKUP_PLAN = NameRule("AWS Backup plan name", 50, r"[A-Za-z0-9_.-]+", "letters, digits and '_.-'")
BACKUP_SELECTION = NameRule("AWS Backup selection name", 50, r"[A-Za-z0-9_.-]+", "letters, digits and '_.-'")
# The master user RDS creates; a service must not log in as it.
POSTGRES_ADMIN_USER = "payledger_admin"
# PostgreSQL reserves pg_ and RDS its own rds_ roles and rdsadmin.
POSTGRES_ROLE = NameRule("PostgreSQL role", 63, r"[a-z_][a-z0-9_]*", "a letter or '_', then letters, digits and '_'",
                         reserved_prefixes=("pg_", "rds_"), reserved=("rdsadmin", POSTGRES_ADMIN_USER),
                         unique_in="environment")
# Kubernetes: most kinds take DNS-1123 subdomains, a Service a DNS-1035 label (it becomes a DNS name).
KUBERNETES_NAME = NameRule("Kubernetes object name", 253, rf"{_DNS_LABEL}(\.{_DNS_LABEL})*",
                           "lowercase letters, digits, '-' and '.', starting and ending with a letter or digit",
                           unique_in="namespace")
KUBERNETES_SERVICE = NameRule("Kubernetes Service name", 63, r"[a-z]([-a-z0-9]*[a-z0-9])?",
                              "a lowercase letter, then letters, digits and '-', not ending with '-' (DNS-1035)",
                              unique_in="namespace")
GRAFANA_UID = NameRule("Grafana dashboard uid", 40, r"[A-Za-z0-9_-]+", "letters, digits, '_' and '-'",
                       unique_in="environment")
