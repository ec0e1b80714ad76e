"""Terraform and Kubernetes agree: every IAM role ARN under gitops_out/<env>/ is a role that env's stack
creates, a ServiceAccount's role trusts exactly that ServiceAccount, and every service role is used."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from catalog_params import ENVIRONMENTS
from gitops_support import committed
from infra_support import resources

from catalog import Catalog, naming

ROLE_ARN = re.compile(r"arn:aws:iam::(\d{12}):role/([\w+=,.@-]+)")


def manifests(env_name: str) -> list[dict[str, Any]]:
    return [doc for _, doc in committed(env_name)]


def stack_roles(infra, catalog: Catalog, env_name: str) -> dict[str, dict[str, Any]]:
    data = infra.json(naming.stack_name(catalog.environments[env_name]))
    return {role["name"]: role for role in resources(data, "aws_iam_role").values()}


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_every_role_arn_in_gitops_out_is_created_by_the_stack(infra, catalog: Catalog, env_name: str) -> None:
    env = catalog.environments[env_name]
    roles = stack_roles(infra, catalog, env_name)
    text = json.dumps(manifests(env_name))
    referenced = set(ROLE_ARN.findall(text))
    assert referenced, "no IRSA role ARNs found under gitops_out/"
    for account, role_name in referenced:
        assert account == env.account_id, f"{role_name}: account {account}, expected {env.account_id}"
        assert role_name in roles, f"gitops_out/{env_name} uses {role_name}, which the stack does not create"


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_service_accounts_and_service_roles_pair_up(infra, catalog: Catalog, env_name: str) -> None:
    env = catalog.environments[env_name]
    roles = stack_roles(infra, catalog, env_name)
    used: set[str] = set()
    for doc in manifests(env_name):
        if doc.get("kind") != "ServiceAccount":
            continue
        arn = (doc["metadata"].get("annotations") or {}).get("eks.amazonaws.com/role-arn")
        if not arn:
            continue
        role_name = arn.rsplit("/", 1)[-1]
        namespace, name = doc["metadata"]["namespace"], doc["metadata"]["name"]
        (statement,) = json.loads(roles[role_name]["assume_role_policy"])["Statement"]
        subjects = [v for k, v in statement["Condition"]["StringEquals"].items() if k.endswith(":sub")]
        assert subjects == [f"system:serviceaccount:{namespace}:{name}"], role_name
        used.add(role_name)
    service_roles = {naming.service_role_name(env, s) for s in env.services.values()}
    assert service_roles <= used, f"service roles no ServiceAccount uses: {sorted(service_roles - used)}"
