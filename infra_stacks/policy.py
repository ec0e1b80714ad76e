"""IAM policy documents as JSON strings, plus the ARNs we build from the catalog.

Plain JSON (not a data source or jsonencode()) keeps every document readable in the synthesized
output and lets checkov parse it; Terraform references inside strings are interpolated at plan.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from catalog.models import Environment

__all__ = ["allow", "arn", "document", "service_trust"]

Statement = dict[str, Any]


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


def service_trust(env: Environment, principal: str) -> str:
    """Trust for an AWS service, pinned to our account (confused-deputy protection)."""
    return document([{
        "Effect": "Allow",
        "Principal": {"Service": principal},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": env.account_id}},
    }])


def arn(env: Environment, service: str, resource: str, *, regional: bool = True, account: bool = True) -> str:
    region = env.region if regional else ""
    owner = env.account_id if account else ""
    return f"arn:aws:{service}:{region}:{owner}:{resource}"
