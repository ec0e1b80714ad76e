"""The roles service repositories' workflows assume to push their images (infra_stacks/publishers.py): one
per service and environment, trusted only for that service's repository in the GitHub environment of the
same name, allowed to push to that service's ECR repository and nothing else."""

from __future__ import annotations

import json

import pytest
from catalog_params import CATALOG, ENV_SERVICES
from infra_support import resources

from catalog import naming


@pytest.fixture(scope="module")
def stack(infra):
    return lambda env_name: infra.json(naming.stack_name(CATALOG.environments[env_name]))


def by_name(data: dict, kind: str, field: str, value: str) -> tuple[str, dict]:
    (found,) = [(key, body) for key, body in resources(data, kind).items() if body[field] == value]
    return found


@pytest.mark.parametrize(("env_name", "service_name"), ENV_SERVICES)
def test_each_service_pushes_only_its_own_image_from_its_own_repository(stack, env_name: str,
                                                                        service_name: str) -> None:
    env = CATALOG.environments[env_name]
    service = env.services[service_name]
    data = stack(env_name)
    key, role = by_name(data, "aws_iam_role", "name", naming.image_publisher_role_name(env, service))
    (statement,) = json.loads(role["assume_role_policy"])["Statement"]
    assert statement["Principal"] == {
        "Federated": f"arn:aws:iam::{env.account_id}:oidc-provider/{naming.GITHUB_OIDC_HOST}"}
    assert statement["Condition"] == {"StringEquals": {
        f"{naming.GITHUB_OIDC_HOST}:aud": "sts.amazonaws.com",
        f"{naming.GITHUB_OIDC_HOST}:sub": f"repo:{naming.source_repository(service)}:environment:{env_name}",
    }}
    (policy,) = [body for body in resources(data, "aws_iam_role_policy").values()
                 if body["role"] == f"${{aws_iam_role.{key}.id}}"]
    repository, _ = by_name(data, "aws_ecr_repository", "name", naming.ecr_repository_name(service))
    login, push = json.loads(policy["policy"])["Statement"]
    assert (login["Action"], login["Resource"]) == (["ecr:GetAuthorizationToken"], ["*"])
    assert push["Resource"] == [f"${{aws_ecr_repository.{repository}.arn}}"]
    assert "ecr:PutImage" in push["Action"] and not [action for action in push["Action"] if "Delete" in action]
    assert data["output"]["image_publisher_role_arns"]["value"][service_name] == f"${{aws_iam_role.{key}.arn}}"
