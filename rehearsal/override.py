"""The Terraform override files the rehearsal writes into its temporary copy of a stack, never into
the synthesized output: the provider pointed at the emulator, local state, deletion protection off
(so teardown works), and for the re-plan only, the attributes the emulator reads back differently.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rehearsal.gaps import Gaps

__all__ = ["DELETION_PROTECTION", "UnknownService", "apply_override", "replan_override", "services"]

# Terraform type prefix -> aws provider endpoint name; the longest prefix wins.
ENDPOINTS = {
    "aws_acm_": "acm",
    "aws_backup_": "backup",
    "aws_cloudwatch_log_": "logs",
    "aws_db_": "rds",
    "aws_default_security_group": "ec2",
    "aws_dynamodb_": "dynamodb",
    "aws_ecr_": "ecr",
    "aws_eip": "ec2",
    "aws_eks_": "eks",
    "aws_elasticache_": "elasticache",
    "aws_flow_log": "ec2",
    "aws_iam_": "iam",
    "aws_internet_gateway": "ec2",
    "aws_kms_": "kms",
    "aws_launch_template": "ec2",
    "aws_lb": "elbv2",
    "aws_nat_gateway": "ec2",
    "aws_route53_": "route53",
    "aws_route": "ec2",
    "aws_s3_": "s3",
    "aws_secretsmanager_": "secretsmanager",
    "aws_security_group": "ec2",
    "aws_subnet": "ec2",
    "aws_vpc": "ec2",
    "aws_wafv2_": "wafv2",
}
# Every attribute that refuses a delete while set, by name; turned off for the rehearsal only.
DELETION_PROTECTION = ("deletion_protection", "deletion_protection_enabled", "enable_deletion_protection")
# Enough for the emulator's occasional dropped connection; the default (25) would retry an unimplemented
# call (HTTP 500) for about nine minutes before saying so.
MAX_RETRIES = 5


class UnknownService(Exception):
    """A resource type with no endpoint mapping: without one, the provider would call real AWS."""


def services(stack: Mapping[str, Any]) -> list[str]:
    """Endpoint names for every resource type in the stack, plus STS for the account check."""
    found = {"sts"}
    for kind in stack.get("resource", {}):
        prefixes = sorted((p for p in ENDPOINTS if kind.startswith(p)), key=len)
        if not prefixes:
            raise UnknownService(f"{kind}: no emulator endpoint known for this resource type; "
                                 "add its service to ENDPOINTS in rehearsal/override.py")
        found.add(ENDPOINTS[prefixes[-1]])
    return sorted(found)


def apply_override(stack: Mapping[str, Any], endpoint_url: str) -> dict[str, Any]:
    """Provider at the emulator (fake keys; the account guard stays: the emulator answers with the
    catalog's account), state in the working copy, and deletion protection off where it is on."""
    provider = {
        "access_key": "rehearsal",
        "secret_key": "rehearsal",
        "skip_credentials_validation": True,
        "skip_metadata_api_check": "true",
        "s3_use_path_style": True,
        "max_retries": MAX_RETRIES,
        "endpoints": [{name: endpoint_url for name in services(stack)}],
    }
    unprotected: dict[str, dict[str, dict[str, bool]]] = {}
    for kind, items in stack.get("resource", {}).items():
        for name, config in items.items():
            flags = {key: False for key in DELETION_PROTECTION if config.get(key) not in (None, False, "false")}
            if flags:
                unprotected.setdefault(kind, {})[name] = flags
    # An override merges into the provider block of the same alias: one for each the stack declares
    # (production's second region too), else the aliased one would call real AWS.
    aliases = [block.get("alias") for block in stack.get("provider", {}).get("aws", [{}])]
    override: dict[str, Any] = {
        "provider": {"aws": [{**provider, **({"alias": alias} if alias else {})} for alias in aliases]},
        "terraform": {"backend": {"local": {"path": "terraform.tfstate"}}},
    }
    if unprotected:
        override["resource"] = unprotected
    return override


def ignore_path(attribute: str) -> str:
    """vpc_config.cluster_security_group_id -> vpc_config[0].cluster_security_group_id (blocks are lists)."""
    return "[0].".join(attribute.split("."))


def replan_override(stack: Mapping[str, Any], gaps: Gaps) -> dict[str, Any]:
    """`ignore_changes` for each read-back gap, added to what the resource already ignores (an
    override replaces the list, it does not extend it)."""
    ignored: dict[str, list[str]] = {}
    for gap in gaps.of("read-back"):
        ignored.setdefault(gap.resource_type, []).append(ignore_path(gap.attribute or ""))
    resources: dict[str, dict[str, Any]] = {}
    for kind, paths in ignored.items():
        for name, config in stack.get("resource", {}).get(kind, {}).items():
            own = config.get("lifecycle", {}).get("ignore_changes", [])
            resources.setdefault(kind, {})[name] = {"lifecycle": {"ignore_changes": [*own, *paths]}}
    return {"resource": resources} if resources else {}
