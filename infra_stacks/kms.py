"""Customer-managed KMS keys: one per purpose, so revoking or auditing one use never touches another."""

from __future__ import annotations

from collections.abc import Sequence

from cdktf import TerraformProvider
from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from constructs import Construct

from infra_stacks.policy import AwsAccount, Statement, arn, document

__all__ = ["CustomerKey", "autoscaling_statements", "logs_statement"]


class CustomerKey(Construct):
    """A symmetric CMK with yearly automatic rotation and an alias.

    The key policy keeps administration with the account (IAM policies decide who may use the key)
    and adds `grants` for AWS services that must use it without an IAM principal of ours.

    Args:
        account: the account that administers the key (its root is the policy's first principal).
        alias: the key's alias (catalog.naming.kms_alias): how people and audits find it.
        description: what the key encrypts, shown in the console and CloudTrail.
        grants: key policy statements for AWS services that use the key as themselves (none).
        deletion_window_days: days a scheduled deletion can still be cancelled (30, the maximum).
        provider: the provider of another region to make the key in (the stack's own region).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        account: AwsAccount,
        alias: str,
        description: str,
        grants: Sequence[Statement] = (),
        deletion_window_days: int = 30,
        provider: TerraformProvider | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        root = {
            "Sid": "AccountAdministersKey",
            "Effect": "Allow",
            "Principal": {"AWS": arn(account, "iam", "root", regional=False)},
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
            provider=provider,
        )
        KmsAlias(self, "alias", name=alias, target_key_id=self.this.key_id, provider=provider)
        self.arn = self.this.arn


def logs_statement(account: AwsAccount) -> Statement:
    """Lets CloudWatch Logs encrypt this account's log groups (and only them) with the key."""
    return {
        "Sid": "CloudWatchLogsEncrypt",
        "Effect": "Allow",
        "Principal": {"Service": f"logs.{account.region}.amazonaws.com"},
        "Action": ["kms:Decrypt*", "kms:Describe*", "kms:Encrypt*", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
        "Resource": "*",
        "Condition": {"ArnLike": {
            "kms:EncryptionContext:aws:logs:arn": arn(account, "logs", "log-group:*"),
        }},
    }


def autoscaling_statements(account: AwsAccount) -> list[Statement]:
    """EC2 Auto Scaling launches node volumes encrypted with the key through its service-linked role."""
    role = arn(account, "iam", "role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling",
               regional=False)
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
