"""A private S3 bucket: encrypted (a KMS key unless its writer takes only SSE-S3), versioned, TLS-only,
owner-enforced, with lifecycle rules."""

from __future__ import annotations

from collections.abc import Sequence

from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import (
    S3BucketLifecycleConfiguration,
    S3BucketLifecycleConfigurationRule,
    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload,
    S3BucketLifecycleConfigurationRuleExpiration,
    S3BucketLifecycleConfigurationRuleFilter,
    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration,
)
from cdktf_cdktf_provider_aws.s3_bucket_notification import S3BucketNotification
from cdktf_cdktf_provider_aws.s3_bucket_ownership_controls import (
    S3BucketOwnershipControls,
    S3BucketOwnershipControlsRule,
)
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktf_cdktf_provider_aws.s3_bucket_public_access_block import S3BucketPublicAccessBlock
from cdktf_cdktf_provider_aws.s3_bucket_server_side_encryption_configuration import (
    S3BucketServerSideEncryptionConfigurationA,
    S3BucketServerSideEncryptionConfigurationRuleA,
    S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA,
)
from cdktf_cdktf_provider_aws.s3_bucket_versioning import (
    S3BucketVersioningA,
    S3BucketVersioningVersioningConfiguration,
)
from constructs import Construct

from infra_stacks.policy import Statement, document

__all__ = ["SecureBucket"]


class SecureBucket(Construct):
    """Object events go to EventBridge so that access can be alerted on without more resources here.

    Args:
        name: the bucket name (catalog.naming.bucket_name).
        key_arn: the KMS key objects are encrypted with; None encrypts with S3-managed keys (SSE-S3),
            for writers that accept nothing else, such as load balancer access logs.
        expire_days: days current objects are kept; None keeps them forever (state).
        noncurrent_days: days a replaced object version is kept (30).
        grants: statements added to the bucket policy beside the TLS-only deny, e.g. a log writer's (none).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        key_arn: str | None,
        expire_days: int | None,
        noncurrent_days: int = 30,
        grants: Sequence[Statement] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        self.this = S3Bucket(self, "this", bucket=name)
        bucket = self.this.id
        S3BucketOwnershipControls(self, "ownership", bucket=bucket,
                                  rule=S3BucketOwnershipControlsRule(object_ownership="BucketOwnerEnforced"))
        S3BucketPublicAccessBlock(self, "public_access", bucket=bucket, block_public_acls=True,
                                  block_public_policy=True, ignore_public_acls=True, restrict_public_buckets=True)
        S3BucketVersioningA(self, "versioning", bucket=bucket,
                            versioning_configuration=S3BucketVersioningVersioningConfiguration(status="Enabled"))
        S3BucketServerSideEncryptionConfigurationA(
            self, "encryption", bucket=bucket,
            rule=[S3BucketServerSideEncryptionConfigurationRuleA(
                bucket_key_enabled=True if key_arn else None,  # a KMS feature
                apply_server_side_encryption_by_default=(
                    S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
                        sse_algorithm="aws:kms" if key_arn else "AES256", kms_master_key_id=key_arn)),
            )])
        S3BucketLifecycleConfiguration(self, "lifecycle", bucket=bucket, rule=[S3BucketLifecycleConfigurationRule(
            id="expire",
            status="Enabled",
            filter=[S3BucketLifecycleConfigurationRuleFilter(prefix="")],
            expiration=[S3BucketLifecycleConfigurationRuleExpiration(days=expire_days)] if expire_days else None,
            noncurrent_version_expiration=[S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(
                noncurrent_days=noncurrent_days)],
            abort_incomplete_multipart_upload=[S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(
                days_after_initiation=7)],
        )])
        self.policy = S3BucketPolicy(self, "tls_only", bucket=bucket, policy=document([{
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [self.this.arn, f"{self.this.arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }, *grants]))
        S3BucketNotification(self, "events", bucket=bucket, eventbridge=True)
        self.arn = self.this.arn
        self.name = self.this.bucket
