"""rehearsal.existing: what the account has before the stacks (the catalog's hosted zone, an earlier
teardown's final snapshot), and what the teardown must leave; against an in-process emulator."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from emulator_support import emulated_account

from catalog import Catalog, Environment, naming
from operations import verify_aws
from rehearsal.existing import create_existing, existing_zones, final_snapshot_problems
from rehearsal.summary import Failed


@pytest.fixture
def dev(catalog: Catalog) -> Environment:
    return catalog.environments["dev"]


@pytest.fixture
def aws(dev: Environment, monkeypatch: pytest.MonkeyPatch) -> Iterator[verify_aws.Client]:
    with emulated_account(dev, monkeypatch) as client:
        yield client


def teardown(aws: verify_aws.Client, dev: Environment, final_snapshot: str) -> None:
    """What destroy does to the stack's database: delete it, taking the final snapshot."""
    identifier = naming.postgres_identifier(naming.stack_name(dev))
    aws("rds").create_db_instance(DBInstanceIdentifier=identifier, Engine="postgres", DBInstanceClass="db.t4g.medium",
                                  AllocatedStorage=20)
    aws("rds").delete_db_instance(DBInstanceIdentifier=identifier, FinalDBSnapshotIdentifier=final_snapshot)


def test_the_catalogs_zone_is_one_the_account_already_has(dev: Environment) -> None:
    assert existing_zones(dev) == {dev.domain: dev.route53_zone_id}
    assert existing_zones(dev.model_copy(update={"route53_zone_id": None})) == {}


def test_a_teardown_beside_an_earlier_final_snapshot_leaves_one_of_its_own(aws, dev: Environment) -> None:
    dev = dev.model_copy(update={"route53_zone_id": None})  # moto in-process makes its own zone ids
    create_existing(dev, aws, progress=lambda line: None)
    base = naming.final_snapshot_identifier(naming.stack_name(dev))
    teardown(aws, dev, f"{base}-20260501093000")
    assert final_snapshot_problems(dev, aws) == []


def test_the_fixed_name_of_before_cannot_be_torn_down_twice(aws, dev: Environment) -> None:
    """What the rehearsal would have caught: the earlier snapshot holds the fixed name."""
    dev = dev.model_copy(update={"route53_zone_id": None})
    create_existing(dev, aws, progress=lambda line: None)
    with pytest.raises(aws("rds").exceptions.DBSnapshotAlreadyExistsFault):
        teardown(aws, dev, naming.final_snapshot_identifier(naming.stack_name(dev)))
    base = naming.final_snapshot_identifier(naming.stack_name(dev))
    assert final_snapshot_problems(dev, aws) == [f"final snapshots {base}-<creation time>: none, expected one"]


def test_a_zone_id_other_than_the_catalogs_fails(aws, dev: Environment) -> None:
    with pytest.raises(Failed, match=rf"hosted zone {dev.domain}: the emulator made /hostedzone/\w+, the catalog"):
        create_existing(dev, aws, progress=lambda line: None)
