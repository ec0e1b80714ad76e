"""Rules about backups: a production copy in a second region, and a policy AWS can keep and whose recovery
objectives the schedule and RDS point-in-time recovery can meet."""

from __future__ import annotations

from collections.abc import Iterator

from catalog.models import Environment
from catalog.regions import ZONE_LETTERS
from catalog.rules.finding import Finding

__all__ = ["copy_region", "objectives", "production_copy", "snapshot_quota"]

# RDS uploads transaction logs every 5 minutes: point-in-time recovery reaches no later than that.
PITR_MINUTES = 5
# AWS Backup's RDS recovery points are manual DB snapshots; RDS allows 100 per region (default quota).
# After raising the account's quota, raise this with it.
RDS_SNAPSHOT_QUOTA = 100


def production_copy(env: Environment) -> Iterator[Finding]:
    if env.production and env.backup.copy_to is None:
        yield Finding(("environments", env.name, "backup"),
                      "production backups need copy_to: a copy in a second region survives the loss of this one")


def copy_region(env: Environment) -> Iterator[Finding]:
    copy = env.backup.copy_to
    if copy is None:
        return
    at = ("environments", env.name, "backup", "copy_to", "region")
    if copy.region not in ZONE_LETTERS:
        yield Finding(at, f"region {copy.region!r} is not in catalog/regions.py; add it there from the AWS "
                          "documentation")
    if copy.region == env.region:
        yield Finding(at, f"is the environment's own region {env.region!r}: a copy there is lost with it")


def objectives(env: Environment) -> Iterator[Finding]:
    backup = env.backup
    at = ("environments", env.name, "backup")
    if backup.rpo_minutes < PITR_MINUTES:
        yield Finding((*at, "rpo_minutes"), f"{backup.rpo_minutes} is below what RDS point-in-time recovery "
                      f"reaches: transaction logs are uploaded every {PITR_MINUTES} minutes")
    oldest = backup.schedule.oldest_point_hours
    if backup.copy_to and backup.copy_to.rpo_hours < oldest:
        yield Finding((*at, "copy_to", "rpo_hours"), f"{backup.copy_to.rpo_hours} is below what the schedule "
                      f"reaches: the newest copy can be {oldest} hours old (a backup every "
                      f"{backup.schedule.every_hours} hours, a late start and the job)")


def snapshot_quota(env: Environment) -> Iterator[Finding]:
    backup = env.backup
    daily = len(backup.schedule.hours_utc)
    kept = [(("retention_days",), env.region, backup.retention_days)]
    if backup.copy_to:
        kept.append((("copy_to", "retention_days"), backup.copy_to.region, backup.copy_to.retention_days))
    for field, region, days in kept:
        if daily * days > RDS_SNAPSHOT_QUOTA:
            yield Finding(("environments", env.name, "backup", *field),
                          f"keeps {daily * days} recovery points in {region} ({daily} a day for {days} days), "
                          f"over the RDS quota of {RDS_SNAPSHOT_QUOTA} manual snapshots per region")
