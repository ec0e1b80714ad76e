"""AWS side of monitoring: object storage for Loki (logs) and Tempo (traces), and their roles."""

from __future__ import annotations

from collections.abc import Mapping

from constructs import Construct

from catalog import naming
from catalog.models import Environment
from infra_stacks.bucket import SecureBucket
from infra_stacks.irsa import IrsaRole, OidcIssuer
from infra_stacks.policy import allow

__all__ = ["RETENTION_DAYS", "TelemetryStorage"]

# Logs for the PCI audit year; traces are for debugging and cost the most to keep.
RETENTION_DAYS: Mapping[str, int] = {"loki": 365, "tempo": 30}


class TelemetryStorage(Construct):
    """One bucket and one IRSA role per backend; each role reaches only its own bucket and key use."""

    def __init__(self, scope: Construct, construct_id: str, *, env: Environment, issuer: OidcIssuer,
                 key_arn: str, retention_days: Mapping[str, int] = RETENTION_DAYS) -> None:
        super().__init__(scope, construct_id)
        self.bucket_names: dict[str, str] = {}
        self.role_arns: dict[str, str] = {}
        for backend, days in retention_days.items():
            bucket = SecureBucket(self, f"{backend}_bucket", name=naming.bucket_name(env, backend), key_arn=key_arn,
                                  expire_days=days, noncurrent_days=7)
            role = IrsaRole(
                self, f"{backend}_role",
                name=naming.addon_role_name(env, backend),
                issuer=issuer,
                service_account=naming.ADDON_SERVICE_ACCOUNTS[backend],
                statements=[
                    allow(["s3:ListBucket"], [bucket.arn], sid="ListOwnBucket"),
                    allow(["s3:DeleteObject", "s3:GetObject", "s3:PutObject"], [f"{bucket.arn}/*"],
                          sid="ObjectsInOwnBucket"),
                    allow(["kms:Decrypt", "kms:GenerateDataKey"], [key_arn], sid="BucketKey",
                          condition={"StringEquals": {"kms:ViaService": f"s3.{env.region}.amazonaws.com"}}),
                ],
            )
            self.bucket_names[backend] = bucket.name
            self.role_arns[backend] = role.arn
