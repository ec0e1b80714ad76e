"""Secrets Manager entries for connection details Terraform knows; each service reads its own through its IRSA role.

Only non-secret connection facts go in (host, port, user, auth mode): Postgres and Redis both use
IAM authentication, so there is no password to store or rotate, and nothing secret in state.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from cdktf_cdktf_provider_aws.secretsmanager_secret import SecretsmanagerSecret
from cdktf_cdktf_provider_aws.secretsmanager_secret_version import SecretsmanagerSecretVersion
from constructs import Construct

__all__ = ["ConnectionSecret"]


class ConnectionSecret(Construct):
    """One JSON secret of connection details, encrypted with our key.

    Args:
        name: the secret's name (catalog.naming.aws_secret_name); the services' ExternalSecrets read it by name.
        component: what the details are of (postgres, redis), for the description.
        key_arn: the KMS key the secret is encrypted with.
        values: the connection details, written as one JSON object with sorted keys.
    """

    def __init__(self, scope: Construct, construct_id: str, *, name: str, component: str, key_arn: str,
                 values: Mapping[str, str]) -> None:
        super().__init__(scope, construct_id)
        self.this = SecretsmanagerSecret(
            self, "this", name=name, kms_key_id=key_arn,
            recovery_window_in_days=7, description=f"{component} connection details (no credentials: IAM auth)")
        SecretsmanagerSecretVersion(self, "value", secret_id=self.this.id,
                                    secret_string=json.dumps(dict(values), sort_keys=True))
        self.arn = self.this.arn
