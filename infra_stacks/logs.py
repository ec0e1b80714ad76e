"""CloudWatch log groups we create ourselves, so that every one is KMS-encrypted and expires."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from constructs import Construct

__all__ = ["LOG_RETENTION_DAYS", "log_group"]

# A year: PCI DSS 10.5.1 asks for twelve months of audit trail history.
LOG_RETENTION_DAYS = 365


def log_group(scope: Construct, construct_id: str, *, name: str, key_arn: str,
              retention_days: int = LOG_RETENTION_DAYS) -> CloudwatchLogGroup:
    return CloudwatchLogGroup(scope, construct_id, name=name, kms_key_id=key_arn,
                              retention_in_days=retention_days)
