"""AWS side of monitoring: object storage for Loki (logs) and Tempo (traces), their roles, and Grafana's role."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from constructs import Construct

from catalog import naming
from infra_stacks.bucket import SecureBucket
from infra_stacks.irsa import IrsaRole, OidcIssuer
from infra_stacks.policy import Statement, allow

__all__ = ["GRAFANA_STATEMENTS", "RETENTION_DAYS", "TelemetryBackend", "TelemetryStorage"]

# Logs for the PCI audit year; traces are for debugging and cost the most to keep.
RETENTION_DAYS: Mapping[str, int] = {"loki": 365, "tempo": 30}
# Grafana's CloudWatch data source reads the WAF's metrics (k8s_charts.dashboards.security). CloudWatch's
# read actions take no resource-level permission, so "*": the role can read metrics and nothing else.
GRAFANA_STATEMENTS: tuple[Statement, ...] = (
    allow(["cloudwatch:GetMetricData", "cloudwatch:ListMetrics"], ["*"], sid="ReadMetrics"),
)


class TelemetryBackend(NamedTuple):
    """What one backend gets: its bucket, its IRSA role, and how long the bucket keeps objects."""

    bucket: str
    role: str
    retention_days: int


class TelemetryStorage(Construct):
    """One bucket and one IRSA role per backend; each role reaches only its own bucket and key use.

    Args:
        region: the region of the buckets (the key may be used only through S3 there).
        issuer: the cluster's OIDC issuer, which the roles trust.
        key_arn: the KMS key of every bucket.
        backends: by add-on (loki, tempo: its ServiceAccount is catalog.naming.ADDON_SERVICE_ACCOUNTS'),
            the bucket (catalog.naming.bucket_name), role (catalog.naming.addon_role_name) and retention
            (RETENTION_DAYS).
    """

    def __init__(self, scope: Construct, construct_id: str, *, region: str, issuer: OidcIssuer, key_arn: str,
                 backends: Mapping[str, TelemetryBackend]) -> None:
        super().__init__(scope, construct_id)
        self.bucket_names: dict[str, str] = {}
        self.role_arns: dict[str, str] = {}
        for backend, spec in backends.items():
            bucket = SecureBucket(self, f"{backend}_bucket", name=spec.bucket, key_arn=key_arn,
                                  expire_days=spec.retention_days, noncurrent_days=7)
            role = IrsaRole(
                self, f"{backend}_role",
                name=spec.role,
                issuer=issuer,
                service_account=naming.ADDON_SERVICE_ACCOUNTS[backend],
                statements=[
                    allow(["s3:ListBucket"], [bucket.arn], sid="ListOwnBucket"),
                    allow(["s3:DeleteObject", "s3:GetObject", "s3:PutObject"], [f"{bucket.arn}/*"],
                          sid="ObjectsInOwnBucket"),
                    allow(["kms:Decrypt", "kms:GenerateDataKey"], [key_arn], sid="BucketKey",
                          condition={"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}}),
                ],
            )
            self.bucket_names[backend] = bucket.name
            self.role_arns[backend] = role.arn
