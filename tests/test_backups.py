"""Backups: the vault, plan, copy and selection each environment's catalog entry asks for, the rules that refuse
a policy AWS could not keep or whose objectives it could not meet, and the restore page: real AWS CLI calls
with the names and settings of the database the stack makes."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from catalog_params import CATALOG, ENVIRONMENTS, PRODUCTION_ENVIRONMENTS
from cli_support import aws_calls, problems
from infra_support import resources

import main
from catalog import Catalog, naming
from catalog.backup import BackupSchedule
from catalog.regions import ZONE_LETTERS
from documentation import documentation_files

ROOT = Path(__file__).resolve().parent.parent
RESTORES = ("restore-db-instance-to-point-in-time", "restore-db-instance-from-db-snapshot")


@pytest.fixture(scope="module")
def stack(infra, catalog: Catalog):
    return lambda env_name: infra.json(naming.stack_name(catalog.environments[env_name]))


def named(data: dict[str, Any], kind: str, name: str, attribute: str = "name") -> tuple[str, dict[str, Any]]:
    """(logical id, resource) of the one `kind` whose `attribute` is `name`."""
    found = [(key, r) for key, r in resources(data, kind).items() if r.get(attribute) == name]
    assert len(found) == 1, f"{kind} {attribute}={name!r}: {len(found)} found"
    return found[0]


def referenced(data: dict[str, Any], reference: str) -> tuple[str, dict[str, Any]]:
    """The resource a `${kind.id.attribute}` reference names."""
    kind, key, _ = re.fullmatch(r"\$\{(\w+)\.([\w-]+)\.(\w+)\}", reference).groups()
    return kind, resources(data, kind)[key]


def the_rule(data: dict[str, Any], stack_name: str) -> dict[str, Any]:
    (rule,) = named(data, "aws_backup_plan", naming.backup_plan_name(stack_name))[1]["rule"]
    return rule


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_schedule_and_retention_come_from_the_catalog(stack, env, env_name: str) -> None:
    environment, data = env(env_name), stack(env_name)
    backup, name = environment.backup, naming.stack_name(environment)
    rule = the_rule(data, name)
    hours = re.fullmatch(r"cron\(0 ([0-9,]+) \? \* \* \*\)", rule["schedule"]).group(1)
    every, start = backup.schedule.every_hours, backup.schedule.start_hour_utc
    expected = sorted((start + every * n) % 24 for n in range(24 // every))
    assert sorted(int(hour) for hour in hours.split(",")) == expected
    assert rule["schedule_expression_timezone"] == "Etc/UTC"
    assert rule["lifecycle"] == {"delete_after": backup.retention_days}
    vault_key, _ = named(data, "aws_backup_vault", naming.backup_vault_name(name))
    assert rule["target_vault_name"] == f"${{aws_backup_vault.{vault_key}.name}}"
    # The windows the rule gets are those the recovery objectives are checked against.
    assert (rule["start_window"], rule["completion_window"]) == (
        BackupSchedule.START_WINDOW_MINUTES, BackupSchedule.COMPLETION_WINDOW_MINUTES)


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_copies_go_to_the_catalogs_second_region_with_their_own_retention(stack, env, env_name: str) -> None:
    environment, data = env(env_name), stack(env_name)
    copy, rule = environment.backup.copy_to, the_rule(data, naming.stack_name(environment))
    providers = {provider.get("alias"): provider for provider in data["provider"]["aws"]}
    assert providers[None]["region"] == environment.region
    if environment.production:
        assert copy is not None
    if copy is None:
        assert "copy_action" not in rule
        assert list(providers) == [None]
        return
    (action,) = rule["copy_action"]
    assert action["lifecycle"] == {"delete_after": copy.retention_days}
    kind, vault = referenced(data, action["destination_vault_arn"])
    assert kind == "aws_backup_vault" and vault["name"] == naming.backup_copy_vault_name(naming.stack_name(environment))
    alias = vault["provider"].removeprefix("aws.")
    assert providers[alias]["region"] == copy.region != environment.region
    assert providers[alias]["allowed_account_ids"] == [environment.account_id]


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_the_selection_covers_the_database_as_the_backup_role(stack, env, env_name: str) -> None:
    from infra_stacks.backup import BACKUP_POLICIES  # after the `stack` fixture loaded the bindings the fast way

    environment, data = env(env_name), stack(env_name)
    name = naming.stack_name(environment)
    db_key, _ = named(data, "aws_db_instance", naming.postgres_identifier(name), "identifier")
    (selection,) = resources(data, "aws_backup_selection").values()
    assert selection["resources"] == [f"${{aws_db_instance.{db_key}.arn}}"]
    plan_key, _ = named(data, "aws_backup_plan", naming.backup_plan_name(name))
    assert selection["plan_id"] == f"${{aws_backup_plan.{plan_key}.id}}"
    role_key, role = named(data, "aws_iam_role", naming.backup_role_name(name))
    assert selection["iam_role_arn"] == f"${{aws_iam_role.{role_key}.arn}}"
    (trust,) = json.loads(role["assume_role_policy"])["Statement"]
    assert trust["Principal"] == {"Service": "backup.amazonaws.com"} and trust["Action"] == "sts:AssumeRole"
    attached = {a["policy_arn"] for a in resources(data, "aws_iam_role_policy_attachment").values()
                if a["role"] == f"${{aws_iam_role.{role_key}.name}}"}
    assert attached == set(BACKUP_POLICIES.values())


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_every_vault_is_encrypted_with_a_rotating_key_of_its_region(stack, env, env_name: str) -> None:
    environment, data = env(env_name), stack(env_name)
    vaults = resources(data, "aws_backup_vault").values()
    assert len(vaults) == 1 + (environment.backup.copy_to is not None)
    for vault in vaults:
        kind, key = referenced(data, vault["kms_key_arn"])
        assert kind == "aws_kms_key" and key["enable_key_rotation"] is True
        assert key.get("provider") == vault.get("provider"), "a KMS key is usable in its own region only"


# --- rules -----------------------------------------------------------------------------------------------

PRODUCTION = PRODUCTION_ENVIRONMENTS[0]


def refused(tmp_path: Path, capsys: pytest.CaptureFixture[str], env_name: str, **backup: Any) -> list[str]:
    """`main.py check` on the catalog with the environment's backup fields replaced (None removes one)."""
    data = yaml.safe_load((ROOT / "platform.yaml").read_text(encoding="utf-8"))
    policy = data["environments"][env_name]["backup"]
    for field, value in backup.items():
        policy.pop(field) if value is None else policy.__setitem__(field, value)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    assert main.main(["check", "--catalog", str(path)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines and all(re.fullmatch(rf"{re.escape(str(path))}:\d+: \S.*", line) for line in lines), lines
    return [line.split(": ", 1)[1] for line in lines]


def copy_to(env_name: str, **fields: Any) -> dict[str, Any]:
    """A copy_to the rules accept for the environment, with `fields` changed."""
    env = CATALOG.environments[env_name]
    return {"region": next(region for region in ZONE_LETTERS if region != env.region),
            "retention_days": env.backup.retention_days, "rpo_hours": env.backup.schedule.oldest_point_hours,
            "rto_hours": 1} | fields


def test_production_without_a_copy_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert refused(tmp_path, capsys, PRODUCTION, copy_to=None) == [
        f"environments.{PRODUCTION}.backup: production backups need copy_to: a copy in a second region survives "
        "the loss of this one"]


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_a_copy_in_the_environments_own_region_is_refused(tmp_path: Path, capsys, env_name: str) -> None:
    region = CATALOG.environments[env_name].region
    assert refused(tmp_path, capsys, env_name, copy_to=copy_to(env_name, region=region)) == [
        f"environments.{env_name}.backup.copy_to.region: is the environment's own region {region!r}: a copy "
        "there is lost with it"]


def test_a_copy_region_the_catalog_does_not_know_is_refused(tmp_path: Path, capsys) -> None:
    problems_found = refused(tmp_path, capsys, PRODUCTION, copy_to=copy_to(PRODUCTION, region="xx-nowhere-9"))
    assert problems_found == [f"environments.{PRODUCTION}.backup.copy_to.region: region 'xx-nowhere-9' is not in "
                              "catalog/regions.py; add it there from the AWS documentation"]


def test_objectives_the_schedule_and_point_in_time_recovery_cannot_meet_are_refused(tmp_path: Path, capsys) -> None:
    schedule = CATALOG.environments[PRODUCTION].backup.schedule
    found = refused(tmp_path, capsys, PRODUCTION, rpo_minutes=1,
                    copy_to=copy_to(PRODUCTION, rpo_hours=schedule.oldest_point_hours - 1))
    assert [line.split(":")[0] for line in found] == [f"environments.{PRODUCTION}.backup.rpo_minutes",
                                                      f"environments.{PRODUCTION}.backup.copy_to.rpo_hours"]


def test_more_recovery_points_than_rds_keeps_are_refused(tmp_path: Path, capsys) -> None:
    found = refused(tmp_path, capsys, PRODUCTION, schedule={"every_hours": 1, "start_hour_utc": 0})
    assert f"environments.{PRODUCTION}.backup.retention_days: keeps " in found[0]
    assert "over the RDS quota of 100 manual snapshots per region" in found[0]


def test_a_schedule_that_does_not_repeat_daily_is_refused(tmp_path: Path, capsys) -> None:
    found = refused(tmp_path, capsys, ENVIRONMENTS[0], schedule={"every_hours": 5, "start_hour_utc": 0})
    assert found == [f"environments.{ENVIRONMENTS[0]}.backup.schedule: every_hours 5 must divide 24 (1, 2, 3, 4, "
                     "6, 8, 12 or 24), so backups fall at the same hours every day"]


# --- the restore page --------------------------------------------------------------------------------------


def backups_page(env_name: str) -> str:
    return documentation_files(CATALOG, [env_name])[f"{env_name}/backups.md"].decode()


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_every_aws_command_on_the_page_is_one_the_cli_accepts(env_name: str) -> None:
    calls = aws_calls(backups_page(env_name))
    assert {call.command for call in calls} >= set(RESTORES)
    assert [problem for call in calls for problem in problems(call)] == []


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_restores_recreate_the_database_the_stack_makes(stack, env, env_name: str) -> None:
    environment, data = env(env_name), stack(env_name)
    name = naming.stack_name(environment)
    _, db = named(data, "aws_db_instance", naming.postgres_identifier(name), "identifier")
    security_groups = [referenced(data, group)[1]["name"] for group in db["vpc_security_group_ids"]]
    secrets_key = next(alias["name"] for alias in resources(data, "aws_kms_alias").values()
                       if alias["target_key_id"] == db["master_user_secret_kms_key_id"].replace(".arn}", ".key_id}"))
    calls = aws_calls(backups_page(env_name))
    (group_lookup,) = [call for call in calls if call.command == "describe-security-groups"]
    assert group_lookup.options["filters"] == f"Name=group-name,Values={','.join(security_groups)}"
    restores = [call.options for call in calls if call.command in RESTORES]
    assert len(restores) == 2
    for options in restores:
        assert options["db-instance-class"] == db["instance_class"]
        assert ("multi-az" in options, "no-multi-az" in options) == (db["multi_az"], not db["multi_az"])
        assert options["storage-type"] == db["storage_type"]
        assert options["db-subnet-group-name"] == referenced(data, db["db_subnet_group_name"])[1]["name"]
        assert options["db-parameter-group-name"] == referenced(data, db["parameter_group_name"])[1]["name"]
        assert options["master-user-secret-kms-key-id"] == secrets_key
        assert options["region"] == environment.region
        assert "enable-iam-database-authentication" in options and "no-publicly-accessible" in options
    targets = {options.get("target-db-instance-identifier") or options["db-instance-identifier"]
               for options in restores}
    assert targets == {naming.restored_postgres_identifier(name)}


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_recovery_points_are_listed_from_the_vaults_the_stack_makes(stack, env_name: str) -> None:
    data = stack(env_name)
    regions = {f"aws.{provider['alias']}" if "alias" in provider else None: provider["region"]
               for provider in data["provider"]["aws"]}
    vaults = {(vault["name"], regions[vault.get("provider")]) for vault in resources(data, "aws_backup_vault").values()}
    listed = {(call.options["backup-vault-name"], call.options["region"]) for call in aws_calls(backups_page(env_name))
              if call.command == "list-recovery-points-by-backup-vault"}
    assert listed == vaults
