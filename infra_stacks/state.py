"""Remote state: the bootstrap stack that creates the bucket and lock table, and the backend choice.

The bootstrap stack keeps local state by necessity (its bucket does not exist before it runs):
apply it once per account, keep or migrate its small state file, then every environment stack
uses the S3 backend it created.
"""

from __future__ import annotations

from cdktf import LocalBackend, S3Backend, TerraformStack
from cdktf_cdktf_provider_aws.dynamodb_table import (
    DynamodbTable,
    DynamodbTableAttribute,
    DynamodbTablePointInTimeRecovery,
    DynamodbTableServerSideEncryption,
)
from constructs import Construct

from catalog import naming
from catalog.models import Environment
from infra_stacks.bucket import SecureBucket
from infra_stacks.kms import CustomerKey
from infra_stacks.policy import AwsAccount, arn
from infra_stacks.provider import aws_provider

__all__ = ["StateBootstrapStack", "configure_backend", "local_backend"]


def local_backend(stack: TerraformStack, name: str) -> LocalBackend:
    """State at the project root, outside the output folder (which every synth replaces).

    Relative to where Terraform runs (<outdir>/stacks/<stack>/), so the output does not depend
    on the checkout's absolute path.
    """
    return LocalBackend(stack, path=f"../../../terraform.{name}.tfstate")


class StateBootstrapStack(TerraformStack):
    """Versioned, KMS-encrypted state bucket and a DynamoDB lock table with point-in-time recovery."""

    def __init__(self, scope: Construct, *, env: Environment) -> None:
        super().__init__(scope, naming.state_stack_name(env))
        aws_provider(self, env)
        local_backend(self, naming.state_stack_name(env))
        key = CustomerKey(self, "key", account=AwsAccount.of(env), alias=naming.kms_alias(env, "tfstate"),
                          description=f"{naming.stack_name(env)} Terraform state")
        SecureBucket(self, "bucket", name=naming.state_bucket_name(env), key_arn=key.arn, expire_days=None,
                     noncurrent_days=90)
        DynamodbTable(
            self, "locks",
            name=naming.state_lock_table_name(env),
            billing_mode="PAY_PER_REQUEST",
            hash_key="LockID",
            attribute=[DynamodbTableAttribute(name="LockID", type="S")],
            point_in_time_recovery=DynamodbTablePointInTimeRecovery(enabled=True),
            server_side_encryption=DynamodbTableServerSideEncryption(enabled=True, kms_key_arn=key.arn),
            deletion_protection_enabled=True,
        )


def configure_backend(stack: TerraformStack, env: Environment, *, local: bool) -> None:
    """S3 + DynamoDB locking by default; `local` (tests, trials) keeps state beside the stack."""
    if local:
        local_backend(stack, naming.stack_name(env))
        return
    S3Backend(
        stack,
        bucket=naming.state_bucket_name(env),
        key=f"{naming.stack_name(env)}/terraform.tfstate",
        region=env.region,
        dynamodb_table=naming.state_lock_table_name(env),
        encrypt=True,
        kms_key_id=arn(AwsAccount.of(env), "kms", naming.kms_alias(env, "tfstate")),
    )
