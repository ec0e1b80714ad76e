"""Typed, frozen models of an environment's backup policy (`environments.<env>.backup`).

RDS's own automated backups (`postgres.backup_retention_days`) give point-in-time recovery in the
region; AWS Backup adds scheduled recovery points in a KMS-encrypted vault, kept for their own
retention and, where `copy_to` is set, copied to a vault in a second region. The recovery objectives
are stated beside the schedule that has to meet them; catalog.rules.backup checks that it can.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field, StrictInt, StrictStr, model_validator

from catalog.base import Model
from catalog.fields import REGION, matching

__all__ = ["Backup", "BackupCopy", "BackupSchedule"]

# AWS Backup keeps a recovery point at least one day; its console offers retention up to 100 years.
RetentionDays = Annotated[StrictInt, Field(ge=1, le=36500)]
Objective = Annotated[StrictInt, Field(ge=1)]


class BackupSchedule(Model):
    """A backup every `every_hours` hours (a divisor of 24, so the hours repeat daily) from `start_hour_utc`.

    A job may start up to START_WINDOW_MINUTES after its time and must finish within COMPLETION_WINDOW_MINUTES
    of starting (infra_stacks.backup), so the newest recovery point can be `oldest_point_hours` old.
    """

    START_WINDOW_MINUTES: ClassVar[int] = 60
    COMPLETION_WINDOW_MINUTES: ClassVar[int] = 180

    every_hours: Annotated[StrictInt, Field(ge=1, le=24)]
    start_hour_utc: Annotated[StrictInt, Field(ge=0, le=23)]

    @model_validator(mode="after")
    def _repeats_daily(self) -> BackupSchedule:
        if 24 % self.every_hours:
            raise ValueError(f"every_hours {self.every_hours} must divide 24 (1, 2, 3, 4, 6, 8, 12 or 24), "
                             "so backups fall at the same hours every day")
        return self

    @property
    def hours_utc(self) -> tuple[int, ...]:
        return tuple(sorted((self.start_hour_utc + step) % 24 for step in range(0, 24, self.every_hours)))

    @property
    def expression(self) -> str:
        """AWS Backup's cron (minutes, hours, day of month, month, day of week, year), in UTC."""
        return f"cron(0 {','.join(str(hour) for hour in self.hours_utc)} ? * * *)"

    @property
    def oldest_point_hours(self) -> int:
        """How old the newest recovery point can be: the interval, plus a late start and the longest job."""
        return self.every_hours + (self.START_WINDOW_MINUTES + self.COMPLETION_WINDOW_MINUTES) // 60


class BackupCopy(Model):
    """Every recovery point copied to a vault in `region`: what survives the loss of the environment's region.

    `rpo_hours`/`rto_hours`: the objectives of a restore there, from the newest copy.
    """

    region: Annotated[StrictStr, matching(REGION, "AWS region such as eu-central-1")]
    retention_days: RetentionDays
    rpo_hours: Objective
    rto_hours: Objective


class Backup(Model):
    """AWS Backup of the database, and the recovery objectives in the environment's region.

    `rpo_minutes`/`rto_minutes`: a restore to a point in time with RDS point-in-time recovery, within
    `postgres.backup_retention_days`; older data comes from the vault's recovery points.
    """

    schedule: BackupSchedule
    retention_days: RetentionDays
    rpo_minutes: Objective
    rto_minutes: Objective
    copy_to: BackupCopy | None = None
