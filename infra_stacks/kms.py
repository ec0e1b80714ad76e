"""Customer-managed KMS keys: one per purpose, so revoking or auditing one use never touches another."""

from __future__ import annotations

from collections.abc import Sequence

from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from constructs import Construct

from catalog.models import Environment
from infra_stacks.policy import Statement, document

__all__ = ["CustomerKey", "autoscaling_statements", "logs_statement"]


class CustomerKey(Construct):
    """A symmetric CMK with yearly automatic rotation and an alias.

    The key policy keeps administration with the account (IAM policies decide who may use the key)
    and adds `grants` for AWS services that must use it without an IAM principal of ours.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        env: Environment,
        alias: str,
        description: str,
        grants: Sequence[Statement] = (),
        deletion_window_days: int = 30,
    ) -> None:
        super().__init__(scope, construct_id)
        root = {
            "Sid": "AccountAdministersKey",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{env.account_id}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
        self.this = KmsKey(
            self,
            "this",
            description=description,
            enable_key_rotation=True,
            rotation_period_in_days=365,
            deletion_window_in_days=deletion_window_days,
            policy=document([root, *grants]),
        )
        KmsAlias(self, "alias", name=alias, target_key_id=self.this.key_id)
        self.arn = self.this.arn


def logs_statement(env: Environment) -> Statement:
    """Lets CloudWatch Logs encrypt this account's log groups (and only them) with the key."""
    return {
        "Sid": "CloudWatchLogsEncrypt",
        "Effect": "Allow",
        "Principal": {"Service": f"logs.{env.region}.amazonaws.com"},
        "Action": ["kms:Decrypt*", "kms:Describe*", "kms:Encrypt*", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
        "Resource": "*",
        "Condition": {"ArnLike": {
            "kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{env.region}:{env.account_id}:log-group:*",
        }},
    }


def autoscaling_statements(env: Environment) -> list[Statement]:
    """EC2 Auto Scaling launches node volumes encrypted with the key through its service-linked role."""
    role = (f"arn:aws:iam::{env.account_id}:role/aws-service-role/autoscaling.amazonaws.com/"
            "AWSServiceRoleForAutoScaling")
    return [
        {
            "Sid": "AutoScalingUseKey",
            "Effect": "Allow",
            "Principal": {"AWS": role},
            "Action": ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
            "Resource": "*",
        },
        {
            "Sid": "AutoScalingGrantForVolumes",
            "Effect": "Allow",
            "Principal": {"AWS": role},
            "Action": "kms:CreateGrant",
            "Resource": "*",
            "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
        },
    ]
