"""Cross-side proof on live resources: every AWS name gitops_out/<env> relies on exists in the
emulator, created by the stack, with the shape the manifests expect.

A check that fails only because the stack's resource was left out for an emulator gap is reported
as a gap, not a failure; anything else fails the rehearsal.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from operations.findings import Finding
from operations.manifests import AwsNames, RoleUse, StoreAccount
from operations.verify_aws import aws_probe, bucket_problems
from operations.verify_edge import edge_problems
from rehearsal.targets import references

__all__ = ["EDGE_TYPES", "SUBJECTS", "CrossSide", "cross_side"]

EDGE_TYPES = ("aws_lb", "aws_lb_listener", "aws_wafv2_web_acl_association", "aws_acm_certificate",
              "aws_acm_certificate_validation", "aws_route53_record")

# check -> (type that carries the name, its name attribute, types that give it the shape checked)
SUBJECTS = {
    "role": ("aws_iam_role", "name", ()),
    "secret-store": ("aws_iam_role", "name", ()),
    "secret": ("aws_secretsmanager_secret", "name", ("aws_secretsmanager_secret_version",)),
    "bucket": ("aws_s3_bucket", "bucket", ("aws_s3_bucket_public_access_block",
                                           "aws_s3_bucket_server_side_encryption_configuration")),
    "repository": ("aws_ecr_repository", "name", ()),
    "web-acl": ("aws_wafv2_web_acl", "name", ()),
    "key": ("aws_kms_alias", "name", ()),
    "edge": ("aws_lb_target_group", "name", EDGE_TYPES),
}
AUDIENCE = "sts.amazonaws.com"


@dataclass
class CrossSide:
    failures: list[Finding] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)
    checked: int = 0


def _behind(stack: Mapping[str, Any], check: str, name: str) -> list[str] | None:
    """The addresses that create `name` and shape it, or None when the stack creates no such thing.
    The edge is one chain (group, listener, ALB, WAF association, certificate, records): all of it shapes it."""
    kind, attribute, shapers = SUBJECTS[check]
    resources = stack.get("resource", {})
    owners = [f"{kind}.{key}" for key, config in resources.get(kind, {}).items() if config.get(attribute) == name]
    if not owners:
        return None
    shaping = [f"{shaper}.{key}" for shaper in shapers for key, config in resources.get(shaper, {}).items()
               if shapers is EDGE_TYPES or any(f"{t}.{n}" in owners for t, n, _ in references(config))]
    return owners + shaping


def _trust_problems(aws: Callable[[str], Any], use: RoleUse) -> list[str]:
    role = aws("iam").get_role(RoleName=use.arn.rsplit("/", 1)[-1])["Role"]
    if role["Arn"] != use.arn:
        return [f"ARN {role['Arn']}, the manifest says {use.arn}"]
    statements = role["AssumeRolePolicyDocument"]["Statement"]
    if len(statements) != 1:
        return [f"{len(statements)} trust statements, expected exactly one"]
    statement = statements[0]
    provider = statement.get("Principal", {}).get("Federated", "")
    aws("iam").get_open_id_connect_provider(OpenIDConnectProviderArn=provider)  # raises when it is missing
    host = provider.split(":oidc-provider/", 1)[-1]
    wanted = {f"{host}:sub": f"system:serviceaccount:{use.namespace}:{use.service_account}", f"{host}:aud": AUDIENCE}
    found = statement.get("Condition", {}).get("StringEquals", {})
    if statement.get("Action") != "sts:AssumeRoleWithWebIdentity" or found != wanted:
        return [f"trust {json.dumps(statement, sort_keys=True)} is not exactly {use.namespace}/{use.service_account}"]
    return []


def _secret_problems(aws: Callable[[str], Any], name: str, properties: set[str]) -> list[str]:
    value = json.loads(aws("secretsmanager").get_secret_value(SecretId=name)["SecretString"])
    missing = sorted(properties - set(value))
    return [f"no propert{'y' if len(missing) == 1 else 'ies'} {', '.join(missing)} in its value"] if missing else []


def _repository_problems(aws: Callable[[str], Any], region: str, image: tuple[str, str, str]) -> list[str]:
    account, image_region, name = image
    if image_region != region:
        return [f"the image points at region {image_region}, the environment is in {region}"]
    found = aws("ecr").describe_repositories(registryId=account, repositoryNames=[name])["repositories"][0]
    return [] if found["imageTagMutability"] == "IMMUTABLE" else ["tags are mutable: a tag may name another image"]


def _store_problems(aws: Callable[[str], Any], names: AwsNames, store: StoreAccount) -> list[str]:
    """The account a SecretStore reads as is one gitops_out creates; an AWS store's account has a role
    that trusts exactly it (a Vault store's Kubernetes-auth role is Vault's, not AWS's)."""
    account = (store.namespace, store.service_account)
    if not store.service_account or account not in names.service_accounts:
        return [f"reads as ServiceAccount {'/'.join(account)}, which gitops_out does not create"]
    if store.provider != "aws":
        return []
    use = _role_of(names, store)
    if use is None:
        return [f"reads as ServiceAccount {'/'.join(account)}, which no IAM role annotation names"]
    return _trust_problems(aws, use)


def _role_of(names: AwsNames, store: StoreAccount) -> RoleUse | None:
    return next((use for use in names.roles if (use.namespace, use.service_account)
                 == (store.namespace, store.service_account)), None)


def _web_acl_problems(aws: Callable[[str], Any], arn: str) -> list[str]:
    name, acl_id = arn.rsplit("/", 2)[-2:]
    aws("wafv2").get_web_acl(Name=name, Id=acl_id, Scope="REGIONAL")
    return []


def _key_problems(aws: Callable[[str], Any], alias_arn: str) -> list[str]:
    """The alias resolves to an enabled symmetric key, as EC2 needs to encrypt a volume with it."""
    key = aws("kms").describe_key(KeyId=alias_arn)["KeyMetadata"]
    if (key["KeyState"], key["KeySpec"]) != ("Enabled", "SYMMETRIC_DEFAULT"):
        return [f"key {key['KeyId']} is {key['KeyState']}, {key['KeySpec']}"]
    return []


Inspection = tuple[str, str | None, str, Callable[[], list[str]]]


def _acl_names(stack: Mapping[str, Any]) -> set[str]:
    return {config["name"] for config in stack.get("resource", {}).get("aws_wafv2_web_acl", {}).values()}


def _inspections(aws: Callable[[str], Any], names: AwsNames, region: str,
                 stack: Mapping[str, Any]) -> list[Inspection]:
    """(check, name in the stack or None when AWS has nothing of it, subject shown, inspection) for
    everything the manifests name."""
    return [
        *[("role", use.arn.rsplit("/", 1)[-1], f"{use.arn} ({use.source})",
           lambda use=use: _trust_problems(aws, use)) for use in names.roles],
        *[("secret", key, f"{key} ({names.secret_sources[key]})",
           lambda key=key, props=props: _secret_problems(aws, key, props)) for key, props in names.secrets.items()],
        *[("bucket", bucket, f"{bucket} ({source})", lambda bucket=bucket: bucket_problems(aws("s3"), bucket))
          for bucket, source in names.buckets.items()],
        *[("repository", repo[2], f"{'/'.join(repo)} ({source})",
           lambda repo=repo: _repository_problems(aws, region, repo)) for repo, source in names.repositories.items()],
        *[("web-acl", arn.rsplit("/", 2)[-2], f"{arn} ({source})", lambda arn=arn: _web_acl_problems(aws, arn))
          for arn, source in names.web_acls.items()],
        *[("key", arn.split(":", 5)[-1], f"{arn} ({source})", lambda arn=arn: _key_problems(aws, arn))
          for arn, source in names.key_aliases.items()],
        *[("secret-store", _store_role(names, store), f"{store.namespace}/{store.store} ({store.source})",
           lambda store=store: _store_problems(aws, names, store)) for store in names.stores],
        *[("edge", group, f"target group {group} ({source})",
           lambda group=group: edge_problems(aws, target_group=group, hosts=names.hosts, acl_names=_acl_names(stack)))
          for group, source in names.target_groups.items()],
    ]


def _store_role(names: AwsNames, store: StoreAccount) -> str | None:
    """The IAM role an AWS store reads through, by name, to find it in the stack; None for Vault."""
    use = _role_of(names, store) if store.provider == "aws" else None
    return use.arn.rsplit("/", 1)[-1] if use else None


def cross_side(aws: Callable[[str], Any], names: AwsNames, region: str, stack: Mapping[str, Any],
               excluded: Mapping[str, str]) -> CrossSide:
    result = CrossSide()
    if not names.target_groups:
        result.failures.append(Finding("edge", "gitops_out", "no TargetGroupBinding binds the edge's target group"))
    for check, name, subject, inspect in _inspections(aws, names, region, stack):
        result.checked += 1
        behind = [] if name is None else _behind(stack, check, name)
        if behind is None:
            result.failures.append(Finding(check, subject, "the stack creates no such resource"))
            continue
        finding = aws_probe(check, subject, inspect)
        left_out = [address for address in behind if address in excluded]
        if not finding.ok and left_out:
            result.gaps.append(f"{check} {subject}: not checkable, {left_out[0]} {excluded[left_out[0]]}")
        elif not finding.ok:
            result.failures.append(finding)
    return result
