"""What the account already has before the rehearsal's Terraform runs, made in the emulator first, and
what the teardown must leave behind.

- the hosted zone the catalog names (`route53_zone_id`, managed outside Terraform): the records of the
  stack go into it; the emulator gives it the catalog's id (rehearsal/moto_server.py);
- the final snapshot an earlier teardown of the environment left, under the name the stacks used to
  give every deployment: the environment's teardown must still delete its database (RDS refuses when
  the final snapshot's name is taken) and leave a final snapshot of its own beside it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from catalog import naming
from catalog.models import Environment
from rehearsal.summary import Failed

__all__ = ["create_existing", "existing_zones", "final_snapshot_problems"]

PREVIOUS = "rehearsal-previous-deployment"


def existing_zones(env: Environment) -> dict[str, str]:
    """Hosted zones that exist outside Terraform, name -> id."""
    return {env.domain: env.route53_zone_id} if env.route53_zone_id else {}


def _previous_final_snapshot(rds: Any, env: Environment) -> str:
    """A snapshot under the fixed name an earlier teardown left (from a throw-away instance)."""
    name = naming.final_snapshot_identifier(naming.stack_name(env))
    rds.create_db_instance(DBInstanceIdentifier=PREVIOUS, Engine="postgres",
                           DBInstanceClass=env.postgres.instance_class,
                           AllocatedStorage=env.postgres.allocated_storage_gb)
    rds.create_db_snapshot(DBSnapshotIdentifier=name, DBInstanceIdentifier=PREVIOUS)
    rds.delete_db_instance(DBInstanceIdentifier=PREVIOUS, SkipFinalSnapshot=True)
    return name


def create_existing(env: Environment, aws: Callable[[str], Any], progress: Callable[[str], None]) -> None:
    route53 = aws("route53")
    for name, zone_id in existing_zones(env).items():
        made = route53.create_hosted_zone(Name=name, CallerReference=f"rehearsal-{env.name}")["HostedZone"]["Id"]
        if made.rsplit("/", 1)[-1] != zone_id:
            raise Failed([f"hosted zone {name}: the emulator made {made}, the catalog names {zone_id}"])
        progress(f"rehearsal {env.name}: hosted zone {name} ({zone_id}) exists, as the catalog says")
    snapshot = _previous_final_snapshot(aws("rds"), env)
    progress(f"rehearsal {env.name}: final snapshot {snapshot} of an earlier teardown exists")


def final_snapshot_problems(env: Environment, aws: Callable[[str], Any]) -> list[str]:
    """After the teardown: the earlier snapshot is untouched and this deployment's has a name of its own."""
    base = naming.final_snapshot_identifier(naming.stack_name(env))
    pages = aws("rds").get_paginator("describe_db_snapshots").paginate(SnapshotType="manual")
    names = {snapshot["DBSnapshotIdentifier"] for page in pages for snapshot in page["DBSnapshots"]}
    own = sorted(name for name in names if re.fullmatch(rf"{re.escape(base)}-\d{{14}}", name))
    problems = [] if base in names else [f"final snapshot {base} of the earlier teardown is gone"]
    if len(own) != 1:
        problems.append(f"final snapshots {base}-<creation time>: {', '.join(own) or 'none'}, expected one")
    return problems
