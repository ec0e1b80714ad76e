"""An environment's backups and how to restore its database: the policy and recovery objectives from the
catalog, and every restore command with the environment's own names (docs/operations/restore.md says when
and why to run each step)."""

from __future__ import annotations

from catalog import Catalog, Environment, naming
from catalog.backup import BackupSchedule

__all__ = ["page"]

# What infra_stacks.postgres gives the database and a restore must give it too; the cdktf deploy after the
# import brings back the rest (log exports, Performance Insights, enhanced monitoring, tags).
STORAGE_TYPE = "gp3"
CDKTF = "npx cdktf-cli@0.20"


def page(catalog: Catalog, env: Environment) -> str:
    return "\n".join([*_policy(env), *_objectives(env), *_restore(env), *_cut_over(env), *_region_loss(env), ""])


def _hours(hours: int) -> str:
    return f"{hours} hour" if hours == 1 else f"{hours} hours"


def _schedule(schedule: BackupSchedule) -> str:
    times = ", ".join(f"{hour:02d}:00" for hour in schedule.hours_utc)
    return (f"`{schedule.expression}`: every {_hours(schedule.every_hours)}, at {times} UTC; each job starts "
            f"within {schedule.START_WINDOW_MINUTES} minutes and must finish within "
            f"{schedule.COMPLETION_WINDOW_MINUTES}")


def _policy(env: Environment) -> list[str]:
    stack, backup = naming.stack_name(env), env.backup
    copy = backup.copy_to
    copied = (f"`{naming.backup_copy_vault_name(stack)}` in {copy.region} (key "
              f"`{naming.kms_alias(env, 'backup-copy')}`), each copy kept {copy.retention_days} days"
              if copy else "none: recovery points stay in the environment's region")
    return [
        f"# Backups and restore: {env.name}",
        "",
        f"The database `{naming.postgres_identifier(stack)}` ({env.region}) is protected twice: RDS's automated "
        "backups restore it to any point in time within their retention, and AWS Backup takes recovery "
        "points on a schedule into a vault encrypted with the environment's own key. Redis is not in the "
        "plan, as AWS Backup does not support ElastiCache: its own daily snapshots are kept "
        f"{env.redis.snapshot_retention_days} days.",
        "",
        "| | |",
        "|---|---|",
        f"| point-in-time recovery | RDS automated backups, {env.postgres.backup_retention_days} days |",
        f"| vault | `{naming.backup_vault_name(stack)}` (key `{naming.kms_alias(env, 'backup')}`) |",
        f"| plan | `{naming.backup_plan_name(stack)}`, rule `{naming.BACKUP_RULE}`, selection "
        f"`{naming.backup_selection_name(stack)}` |",
        f"| schedule | {_schedule(backup.schedule)} |",
        f"| retention | {backup.retention_days} days in the vault |",
        f"| copy | {copied} |",
        f"| role | `{naming.backup_role_name(stack)}` (backup and restore, AWS managed policies) |",
        "",
    ]


def _objectives(env: Environment) -> list[str]:
    backup = env.backup
    rows = [f"| to a point in time, in {env.region} | {backup.rpo_minutes} minutes | {backup.rto_minutes} minutes "
            f"| RDS automated backups, the last {env.postgres.backup_retention_days} days |",
            f"| to a recovery point, in {env.region} | {_hours(backup.schedule.oldest_point_hours)} | "
            f"{backup.rto_minutes} minutes | the vault, the last {backup.retention_days} days |"]
    if backup.copy_to:
        rows.append(f"| region loss, in {backup.copy_to.region} | {_hours(backup.copy_to.rpo_hours)} | "
                    f"{_hours(backup.copy_to.rto_hours)} | the newest copy (below) |")
    return ["## Recovery objectives", "", "| restore | RPO | RTO | from |", "|---|---|---|---|", *rows, ""]


def _restore_flags(env: Environment, region: str) -> list[str]:
    stack = naming.stack_name(env)
    multi_az = "--multi-az" if env.postgres.multi_az else "--no-multi-az"
    return [
        f"  --db-instance-class {env.postgres.instance_class} {multi_az} --storage-type {STORAGE_TYPE} \\",
        f"  --db-subnet-group-name {naming.db_subnet_group_name(stack)} --vpc-security-group-ids \"$SG\" \\",
        f"  --db-parameter-group-name {naming.db_parameter_group_name(stack)} --enable-iam-database-authentication \\",
        "  --no-publicly-accessible --deletion-protection --copy-tags-to-snapshot \\",
        f"  --manage-master-user-password --master-user-secret-kms-key-id {naming.kms_alias(env, 'secrets')} \\",
        f"  --region {region}",
    ]


def _database_arn(env: Environment) -> str:
    return f"arn:aws:rds:{env.region}:{env.account_id}:db:{naming.postgres_identifier(naming.stack_name(env))}"


def _restore(env: Environment) -> list[str]:
    stack, region = naming.stack_name(env), env.region
    source, target = naming.postgres_identifier(stack), naming.restored_postgres_identifier(stack)
    return [
        "## 1. Restore into a new instance",
        "",
        f"The restore lands in `{target}`, beside the database; nothing changes for the services yet. "
        "Both ways need the database's security group:",
        "",
        "```sh",
        f"SG=$(aws ec2 describe-security-groups --region {region} --filters "
        f"Name=group-name,Values={naming.security_group_name(stack, 'postgres')} \\",
        "  --query 'SecurityGroups[0].GroupId' --output text)",
        "```",
        "",
        "**To a point in time** (the usual way; UTC, before the damage, not after the latest restorable time):",
        "",
        "```sh",
        f"aws rds describe-db-instances --region {region} --db-instance-identifier {source} \\",
        "  --query 'DBInstances[0].LatestRestorableTime' --output text",
        "RESTORE_TIME=2026-01-31T09:55:00Z",
        f"aws rds restore-db-instance-to-point-in-time --source-db-instance-identifier {source} \\",
        f"  --target-db-instance-identifier {target} --restore-time \"$RESTORE_TIME\" \\",
        *_restore_flags(env, region),
        "```",
        "",
        "**Or from a recovery point** of the vault (older than the point-in-time window; an RDS recovery point "
        "is a DB snapshot):",
        "",
        "```sh",
        f"aws backup list-recovery-points-by-backup-vault --region {region} "
        f"--backup-vault-name {naming.backup_vault_name(stack)} \\",
        f"  --by-resource-arn {_database_arn(env)} \\",
        "  --query 'RecoveryPoints[].[CreationDate,Status,RecoveryPointArn]' --output text",
        "RECOVERY_POINT=arn:aws:rds:...   # the RecoveryPointArn chosen from the list",
        "aws rds restore-db-instance-from-db-snapshot --db-snapshot-identifier \"${RECOVERY_POINT##*:snapshot:}\" \\",
        f"  --db-instance-identifier {target} \\",
        *_restore_flags(env, region),
        "```",
        "",
        "Then wait for it, and check the data before going on (it is reachable from the cluster only, "
        "like the database):",
        "",
        "```sh",
        f"aws rds wait db-instance-available --region {region} --db-instance-identifier {target}",
        "```",
        "",
    ]


def _cut_over(env: Environment) -> list[str]:
    stack, region = naming.stack_name(env), env.region
    source, target = naming.postgres_identifier(stack), naming.restored_postgres_identifier(stack)
    replaced = naming.replaced_postgres_identifier(stack)
    postgres_services = sorted((service for service in env.services.values() if service.depends_on.postgres),
                               key=lambda service: (service.namespace, service.name))
    reconnect = []
    for service in postgres_services:
        secret = naming.kubernetes_secret_name(service, "postgres")
        reconnect += [
            f"kubectl -n {service.namespace} annotate externalsecret {secret} force-sync=\"$(date +%s)\" --overwrite",
            f"kubectl -n {service.namespace} rollout restart deployment {service.name}",
        ]
    waits = [f"kubectl -n {service.namespace} rollout status deployment {service.name}"
             for service in postgres_services]
    return [
        "## 2. Cut over: the restored instance takes the database's identifier",
        "",
        f"Its endpoint then has the database's address, which the connection secret "
        f"`{naming.aws_secret_name(env, 'postgres')}` already holds. Writes between the restore time and the "
        f"cut-over stay in `{replaced}`. Renaming takes a minute; if a wait reports DBInstanceNotFound, run it again.",
        "",
        "```sh",
        f"aws rds modify-db-instance --region {region} --db-instance-identifier {source} \\",
        f"  --new-db-instance-identifier {replaced} --apply-immediately",
        f"aws rds wait db-instance-available --region {region} --db-instance-identifier {replaced}",
        f"aws rds modify-db-instance --region {region} --db-instance-identifier {target} \\",
        f"  --new-db-instance-identifier {source} --apply-immediately",
        f"aws rds wait db-instance-available --region {region} --db-instance-identifier {source}",
        "```",
        "",
        "## 3. Terraform state: the instance in state is the one renamed away",
        "",
        "State knows the database by its resource id, which the restored instance does not share. Forget the "
        "old one, import the restored one, and deploy: the deploy brings back what a restore does not carry "
        "(log exports, Performance Insights, enhanced monitoring, tags) and points every service's IAM "
        "database grant at the new resource id, without which the services cannot log in.",
        "",
        "```sh",
        f"cd cdktf.out/stacks/{stack}   # after `make synth` at the revision that is deployed",
        "terraform init",
        "ADDRESS=$(terraform state list | grep '^aws_db_instance\\.')",
        "terraform state rm \"$ADDRESS\"",
        f"terraform import \"$ADDRESS\" {source}",
        "cd -",
        f"{CDKTF} deploy {stack}",
        "```",
        "",
        "## 4. Reconnect the services",
        "",
        "Refresh each connection Secret now instead of within the hour, and restart the pods so that no "
        "connection to the replaced instance survives:",
        "",
        "```sh",
        *reconnect,
        *waits,
        f"python main.py verify --env {env.name}",
        "```",
        "",
        "## 5. Retire the replaced instance, once the restore is proven",
        "",
        "```sh",
        f"aws rds modify-db-instance --region {region} --db-instance-identifier {replaced} \\",
        "  --no-deletion-protection --apply-immediately",
        f"aws rds delete-db-instance --region {region} --db-instance-identifier {replaced} \\",
        f"  --final-db-snapshot-identifier {replaced}",
        "```",
        "",
    ]


def _region_loss(env: Environment) -> list[str]:
    copy = env.backup.copy_to
    if copy is None:
        return []
    stack = naming.stack_name(env)
    return [
        f"## Region loss: restore from the copies in {copy.region}",
        "",
        f"Nothing else of {env.name} runs in {copy.region}: bring up a recovery environment there first "
        "(docs/operations/restore.md, \"Region loss\"). Then re-encrypt the chosen copy with the recovery "
        "environment's database key (`RECOVERY_STACK` is its stack name) and restore it there with step 1 "
        "of its own page, \"from a recovery point\", with `RECOVERY_POINT` set to the re-encrypted snapshot:",
        "",
        "```sh",
        f"aws backup list-recovery-points-by-backup-vault --region {copy.region} "
        f"--backup-vault-name {naming.backup_copy_vault_name(stack)} \\",
        f"  --by-resource-arn {_database_arn(env)} \\",
        "  --query 'RecoveryPoints[].[CreationDate,Status,RecoveryPointArn]' --output text",
        "RECOVERY_POINT=arn:aws:rds:...   # the newest completed copy",
        f"aws rds copy-db-snapshot --region {copy.region} --source-db-snapshot-identifier \"$RECOVERY_POINT\" \\",
        "  --target-db-snapshot-identifier \"$RECOVERY_STACK-postgres-recovered\" \\",
        "  --kms-key-id \"alias/$RECOVERY_STACK-data\"",
        f"aws rds wait db-snapshot-available --region {copy.region} "
        "--db-snapshot-identifier \"$RECOVERY_STACK-postgres-recovered\"",
        "```",
        "",
    ]
