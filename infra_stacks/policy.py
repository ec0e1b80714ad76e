"""IAM policy documents as JSON strings, plus the account resources live in and the ARNs built from it.

Plain JSON (not a data source or jsonencode()) keeps every document readable in the synthesized
output and lets checkov parse it; Terraform references inside strings are interpolated at plan.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from catalog.models import Environment

__all__ = ["AwsAccount", "Statement", "allow", "arn", "document", "service_trust"]

Statement = dict[str, Any]


class AwsAccount(NamedTuple):
    """Where an environment's resources live: what ARNs, trust conditions and service endpoints name."""

    account_id: str
    region: str

    @classmethod
    def of(cls, env: Environment) -> AwsAccount:
        return cls(account_id=env.account_id, region=env.region)


def document(statements: Iterable[Statement]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, sort_keys=False)


def allow(
    actions: Iterable[str],
    resources: Iterable[str],
    *,
    sid: str | None = None,
    condition: Mapping[str, Mapping[str, Any]] | None = None,
) -> Statement:
    statement: Statement = {"Effect": "Allow", "Action": sorted(actions), "Resource": list(resources)}
    if sid:
        statement = {"Sid": sid, **statement}
    if condition:
        statement["Condition"] = {op: dict(values) for op, values in condition.items()}
    return statement


def service_trust(account: AwsAccount, principal: str) -> str:
    """Trust for an AWS service, pinned to our account (confused-deputy protection)."""
    return document([{
        "Effect": "Allow",
        "Principal": {"Service": principal},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": account.account_id}},
    }])


def arn(account: AwsAccount, service: str, resource: str, *, regional: bool = True, aws_owned: bool = False) -> str:
    """`regional` False for global services (IAM); `aws_owned` for resources with no account (foundation models)."""
    region = account.region if regional else ""
    owner = "" if aws_owned else account.account_id
    return f"arn:aws:{service}:{region}:{owner}:{resource}"
