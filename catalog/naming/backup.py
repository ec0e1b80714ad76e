"""AWS Backup names (infra_stacks.backup), and the database identifiers a restore uses (docs/operations/restore.md)."""

from __future__ import annotations

from catalog.naming.aws import postgres_identifier
from catalog.naming.rules import BACKUP_PLAN, BACKUP_SELECTION, BACKUP_VAULT, IAM_ROLE, RDS_INSTANCE, derives

__all__ = [
    "BACKUP_RULE",
    "backup_copy_vault_name",
    "backup_plan_name",
    "backup_role_name",
    "backup_selection_name",
    "backup_vault_name",
    "replaced_postgres_identifier",
    "restored_postgres_identifier",
]

# The plan's one rule; its schedule comes from the catalog (environments.<env>.backup.schedule).
BACKUP_RULE = BACKUP_PLAN("scheduled")


@derives(BACKUP_VAULT)
def backup_vault_name(stack: str) -> str:
    return f"{stack}-backup"


@derives(BACKUP_VAULT)
def backup_copy_vault_name(stack: str) -> str:
    """The vault in the copy region (environments.<env>.backup.copy_to)."""
    return f"{stack}-backup-copy"


@derives(BACKUP_PLAN)
def backup_plan_name(stack: str) -> str:
    return f"{stack}-backup"


@derives(BACKUP_SELECTION)
def backup_selection_name(stack: str) -> str:
    """What the plan backs up: the PostgreSQL instance."""
    return postgres_identifier(stack)


@derives(IAM_ROLE)
def backup_role_name(stack: str) -> str:
    """The role AWS Backup takes to back up and restore."""
    return f"{stack}-backup"


@derives(RDS_INSTANCE)
def restored_postgres_identifier(stack: str) -> str:
    """Where a restore lands before the cut-over gives it the database's own identifier."""
    return f"{postgres_identifier(stack)}-restored"


@derives(RDS_INSTANCE)
def replaced_postgres_identifier(stack: str) -> str:
    """The identifier the damaged database is renamed to at the cut-over, kept until the restore is proven."""
    return f"{postgres_identifier(stack)}-replaced"
