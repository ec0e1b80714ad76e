"""AWS Backup of the database: a vault, a plan, what it selects, and the role AWS Backup works as.

RDS keeps its own automated backups for point-in-time recovery (infra_stacks.postgres); this adds
recovery points on a schedule, in a vault encrypted with our key, kept for their own retention and,
where asked, copied to a vault in a second region. ElastiCache is not a resource type AWS Backup
supports: Redis keeps its own daily snapshots (infra_stacks.redis, `snapshot_retention_days`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import NamedTuple

from cdktf import TerraformProvider
from cdktf_cdktf_provider_aws.backup_plan import (
    BackupPlan,
    BackupPlanRule,
    BackupPlanRuleCopyAction,
    BackupPlanRuleCopyActionLifecycle,
    BackupPlanRuleLifecycle,
)
from cdktf_cdktf_provider_aws.backup_selection import BackupSelection
from cdktf_cdktf_provider_aws.backup_vault import BackupVault
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from constructs import Construct

from catalog.backup import BackupSchedule

__all__ = ["BACKUP_POLICIES", "BackupCopyVault", "DatabaseBackup"]

# AWS managed policies of the AWS Backup service role: create and copy recovery points, and restore them.
BACKUP_POLICIES = {
    "backup": "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
    "restore": "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
}
# AWS Backup's own service role trusts the bare service principal: the service passes no source
# account to condition on when it assumes the role.
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "backup.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


class BackupCopyVault(NamedTuple):
    """The vault every recovery point is copied to, made through the provider of its region.

    Attributes:
        provider: the AWS provider of the copy region (infra_stacks.provider.aws_provider with `region`).
        name: the vault's name (catalog.naming.backup_copy_vault_name).
        key_arn: a KMS key in that region: keys never leave their region.
        retention_days: how long a copy is kept there.
    """

    provider: TerraformProvider
    name: str
    key_arn: str
    retention_days: int


class DatabaseBackup(Construct):
    """A vault, a plan of one rule on the catalog's schedule, and a selection of the database.

    Args:
        vault_name: the vault's name (catalog.naming.backup_vault_name).
        key_arn: the KMS key the vault encrypts recovery points with.
        plan_name: the plan's name (catalog.naming.backup_plan_name).
        rule_name: its rule's name (catalog.naming.BACKUP_RULE).
        schedule: when backups are taken (environments.<env>.backup.schedule).
        retention_days: how long a recovery point is kept in the vault.
        selection_name: the selection's name (catalog.naming.backup_selection_name).
        resources: the ARNs backed up (the RDS instance).
        role_name: the role AWS Backup backs up and restores as (catalog.naming.backup_role_name).
        copy: the vault in a second region every recovery point is copied to (none).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vault_name: str,
        key_arn: str,
        plan_name: str,
        rule_name: str,
        schedule: BackupSchedule,
        retention_days: int,
        selection_name: str,
        resources: Sequence[str],
        role_name: str,
        copy: BackupCopyVault | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.vault = BackupVault(self, "vault", name=vault_name, kms_key_arn=key_arn)
        copy_actions = []
        if copy:
            self.copy_vault = BackupVault(self, "copy_vault", provider=copy.provider, name=copy.name,
                                          kms_key_arn=copy.key_arn)
            copy_actions.append(BackupPlanRuleCopyAction(
                destination_vault_arn=self.copy_vault.arn,
                lifecycle=BackupPlanRuleCopyActionLifecycle(delete_after=copy.retention_days)))
        self.this = BackupPlan(self, "this", name=plan_name, rule=[BackupPlanRule(
            rule_name=rule_name,
            target_vault_name=self.vault.name,
            schedule=schedule.expression,
            schedule_expression_timezone="Etc/UTC",
            start_window=schedule.START_WINDOW_MINUTES,
            completion_window=schedule.COMPLETION_WINDOW_MINUTES,
            lifecycle=BackupPlanRuleLifecycle(delete_after=retention_days),
            copy_action=copy_actions or None,
        )])
        self.role = IamRole(self, "role", name=role_name, assume_role_policy=TRUST)
        attachments = [IamRolePolicyAttachment(self, f"role_{purpose}", role=self.role.name, policy_arn=policy_arn)
                       for purpose, policy_arn in BACKUP_POLICIES.items()]
        BackupSelection(self, "selection", name=selection_name, plan_id=self.this.id, iam_role_arn=self.role.arn,
                        resources=list(resources), depends_on=attachments)
