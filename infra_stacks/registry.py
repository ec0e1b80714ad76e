"""ECR: one repository per service, in the environment's own account."""

from __future__ import annotations

import json
from collections.abc import Mapping

from cdktf_cdktf_provider_aws.ecr_lifecycle_policy import EcrLifecyclePolicy
from cdktf_cdktf_provider_aws.ecr_repository import (
    EcrRepository,
    EcrRepositoryEncryptionConfiguration,
    EcrRepositoryImageScanningConfiguration,
)
from constructs import Construct

__all__ = ["LIFECYCLE_POLICY", "Registry"]

# Untagged layers (failed or superseded pushes) go after two weeks; releases are kept up to 200
# so a rollback by git revert always finds its image.
LIFECYCLE_POLICY = json.dumps({"rules": [
    {"rulePriority": 1, "description": "expire untagged images after 14 days",
     "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 14},
     "action": {"type": "expire"}},
    {"rulePriority": 2, "description": "keep the 200 most recent images",
     "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 200},
     "action": {"type": "expire"}},
]})


class Registry(Construct):
    """Immutable tags (a tag names one image forever), scan on push, KMS encryption.

    Args:
        repositories: the repository (catalog.naming.ecr_repository_name) of each service, by service;
            `repository_urls` and `repository_arns` are keyed the same way.
        key_arn: the KMS key images are encrypted with.
    """

    def __init__(self, scope: Construct, construct_id: str, *, repositories: Mapping[str, str], key_arn: str) -> None:
        super().__init__(scope, construct_id)
        self.repository_urls: dict[str, str] = {}
        self.repository_arns: dict[str, str] = {}
        for service, repository in repositories.items():
            repo = EcrRepository(
                self, service,
                name=repository,
                image_tag_mutability="IMMUTABLE",
                image_scanning_configuration=EcrRepositoryImageScanningConfiguration(scan_on_push=True),
                encryption_configuration=[EcrRepositoryEncryptionConfiguration(encryption_type="KMS",
                                                                               kms_key=key_arn)],
            )
            EcrLifecyclePolicy(self, f"{service}_lifecycle", repository=repo.name, policy=LIFECYCLE_POLICY)
            self.repository_urls[service] = repo.repository_url
            self.repository_arns[service] = repo.arn
