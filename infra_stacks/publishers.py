"""The roles a service's own GitHub workflows assume to push its image: GitHub Actions OIDC, no AWS keys
stored in GitHub, one role per service that can push to that service's repository and nothing else."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from constructs import Construct

from catalog import naming
from infra_stacks.irsa import AUDIENCE
from infra_stacks.policy import AwsAccount, allow, arn, document

__all__ = ["ImagePublishers", "Publisher"]

# What `docker push` (and a promotion's `docker pull`) needs on the one repository.
PUSH_ACTIONS = (
    "ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:CompleteLayerUpload", "ecr:DescribeImages",
    "ecr:GetDownloadUrlForLayer", "ecr:InitiateLayerUpload", "ecr:PutImage", "ecr:UploadLayerPart",
)


class Publisher(NamedTuple):
    """One service's publisher: its role's name, the GitHub repository allowed to assume it (`owner/name`)
    and the ECR repository it may push to."""

    role_name: str
    source_repository: str
    repository_arn: str


class ImagePublishers(Construct):
    """A role per service, trusted only for the service's own repository's jobs that run in the GitHub
    environment named like this one (`environment: <name>` in the job, which GitHub puts in the token's
    `sub`; the GitHub environment's protection rules then guard who may push here).

    Args:
        account: the environment's account, whose IAM identity provider for GitHub the roles trust.
        publishers: by service.
        github_environment: the GitHub environment a job must declare, the environment's name.

    The identity provider (catalog.naming.GITHUB_OIDC_HOST) is made once per account outside the stacks,
    like the hosted zone (two environments may share an account); its ARN follows from the account.
    """

    def __init__(self, scope: Construct, construct_id: str, *, account: AwsAccount,
                 publishers: Mapping[str, Publisher], github_environment: str) -> None:
        super().__init__(scope, construct_id)
        github = arn(account, "iam", f"oidc-provider/{naming.GITHUB_OIDC_HOST}", regional=False)
        self.role_arns: dict[str, str] = {}
        for service, publisher in publishers.items():
            trust = document([{
                "Effect": "Allow",
                "Principal": {"Federated": github},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {"StringEquals": {
                    f"{naming.GITHUB_OIDC_HOST}:aud": AUDIENCE,
                    f"{naming.GITHUB_OIDC_HOST}:sub":
                        f"repo:{publisher.source_repository}:environment:{github_environment}",
                }},
            }])
            role = IamRole(self, service, name=publisher.role_name, assume_role_policy=trust,
                           max_session_duration=3600, tags={"github-repository": publisher.source_repository})
            IamRolePolicy(self, f"{service}_push", name="push-own-image", role=role.id, policy=document([
                allow(["ecr:GetAuthorizationToken"], ["*"], sid="RegistryLogin"),
                allow(PUSH_ACTIONS, [publisher.repository_arn], sid="PushOwnImage"),
            ]))
            self.role_arns[service] = role.arn
