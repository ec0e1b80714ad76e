"""Each Terraform construct on its own inputs (cdk8s-plus style): no catalog, no environment, only the few
typed values the construct takes, and assertions on the resources it makes.

Also the rule that keeps constructs that way: every construct in infra_stacks takes keyword-only inputs,
never the Environment, and documents each of them (only the stacks, the roots, read the Environment).
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import re
from collections.abc import Callable
from typing import Any

import pytest
from infra_support import resources

from catalog import naming
from catalog.models import Redis

ACCOUNT_ID, REGION = "111122223333", "eu-central-1"
ZONES = ("eu-central-1a", "eu-central-1b", "eu-central-1c")
PLAN = naming.SubnetPlan(public=("10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"),
                         private=("10.0.16.0/20", "10.0.32.0/20", "10.0.48.0/20"),
                         data=("10.0.3.0/24", "10.0.4.0/24", "10.0.5.0/24"))
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/test"


@pytest.fixture(scope="module", autouse=True)
def _bindings() -> None:
    """Load the AWS bindings through the fast path, as main.py does (tests/infra_support.py)."""
    from speedups import provider as fast_provider

    fast_provider.enable()


@pytest.fixture(scope="module")
def account():
    from infra_stacks.policy import AwsAccount

    return AwsAccount(account_id=ACCOUNT_ID, region=REGION)


def synth(build: Callable[[Any], object]) -> dict[str, Any]:
    """The Terraform JSON of a stack holding only what `build(stack)` adds."""
    from cdktf import App, TerraformStack, Testing

    stack = TerraformStack(App(), "test")
    build(stack)
    return json.loads(Testing.synth(stack))


def ref(kind: str, key: str, attribute: str = "id") -> str:
    return f"${{{kind}.{key}.{attribute}}}"


def only(data: dict[str, Any], kind: str) -> dict[str, Any]:
    found = list(resources(data, kind).values())
    assert len(found) == 1, f"expected one {kind}, found {len(found)}"
    return found[0]


# --- CustomerKey ----------------------------------------------------------------------------------


@pytest.mark.parametrize("with_logs_grant", [False, True])
def test_a_key_is_administered_by_its_account_and_grants_only_what_it_is_given(account, with_logs_grant) -> None:
    from infra_stacks.kms import CustomerKey, logs_statement

    grants = [logs_statement(account)] if with_logs_grant else []
    data = synth(lambda stack: CustomerKey(stack, "key", account=account, alias="alias/demo-logs",
                                           description="demo: logs", grants=grants))
    key = only(data, "aws_kms_key")
    statements = json.loads(key["policy"])["Statement"]
    assert [s["Sid"] for s in statements] == ["AccountAdministersKey", *(["CloudWatchLogsEncrypt"] * with_logs_grant)]
    assert statements[0]["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}
    if with_logs_grant:
        assert statements[1]["Principal"] == {"Service": f"logs.{REGION}.amazonaws.com"}
        assert statements[1]["Condition"]["ArnLike"] == {
            "kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:*"}
    assert key["enable_key_rotation"] is True
    assert key["deletion_window_in_days"] == 30
    assert only(data, "aws_kms_alias")["name"] == "alias/demo-logs"


# --- Network --------------------------------------------------------------------------------------


@pytest.mark.parametrize("nat_per_zone", [True, False])
def test_the_network_follows_its_plan_with_the_nat_gateways_asked_for(account, nat_per_zone: bool) -> None:
    from infra_stacks.network import INTERFACE_ENDPOINTS, Network

    data = synth(lambda stack: Network(stack, "network", account=account, name="demo", cidr="10.0.0.0/16",
                                       zones=ZONES, plan=PLAN, nat_per_zone=nat_per_zone, cluster_name="demo-eks",
                                       log_key_arn=KEY_ARN))
    subnets = {s["tags"]["Name"]: (s["cidr_block"], s["availability_zone"])
               for s in resources(data, "aws_subnet").values()}
    assert subnets == {f"demo-{tier}-{zone}": (block, zone)
                       for tier, blocks in PLAN._asdict().items() for zone, block in zip(ZONES, blocks, strict=True)}

    nats = resources(data, "aws_nat_gateway")
    assert len(nats) == (len(ZONES) if nat_per_zone else 1)
    egress = [r for r in resources(data, "aws_route").values() if "nat_gateway_id" in r]
    assert len(egress) == len(ZONES)  # every private subnet's table
    assert {r["nat_gateway_id"] for r in egress} == {ref("aws_nat_gateway", key) for key in nats}

    tables = {t["tags"]["Name"]: key for key, t in resources(data, "aws_route_table").items()}
    routed = {r["route_table_id"] for r in resources(data, "aws_route").values()}
    assert ref("aws_route_table", tables["demo-data"]) not in routed  # data subnets never reach the internet

    role = only(data, "aws_iam_role")
    assert role["name"] == naming.flow_log_role_name("demo")
    assert json.loads(role["assume_role_policy"])["Statement"][0]["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT_ID}}
    endpoints = {e["service_name"] for e in resources(data, "aws_vpc_endpoint").values()}
    assert endpoints == {f"com.amazonaws.{REGION}.{service}" for service in ("s3", *INTERFACE_ENDPOINTS)}


# --- RedisCache -----------------------------------------------------------------------------------


@pytest.mark.parametrize("nodes", [1, 2])
def test_redis_users_are_the_given_ones_and_failover_follows_the_node_count(nodes: int) -> None:
    from infra_stacks.redis import RedisCache

    users = {"billing-service": "demo-billing", "auth-service": "demo-auth"}
    settings = Redis(node_type="cache.t4g.small", num_cache_clusters=nodes, snapshot_retention_days=1)
    data = synth(lambda stack: RedisCache(
        stack, "redis", name="demo", settings=settings, users=users, secret_name="demo/redis/connection",
        vpc_id="vpc-1", subnet_ids=["subnet-1"], client_security_group_id="sg-cluster", storage_key_arn=KEY_ARN,
        secrets_key_arn=KEY_ARN, log_key_arn=KEY_ARN))

    made = {u["user_id"]: u for u in resources(data, "aws_elasticache_user").values()}
    default_user = naming.redis_default_user("demo")
    assert set(made) == {default_user, *users.values()}
    assert made[default_user]["access_string"] == "off -@all"
    for user in users.values():
        assert made[user]["user_name"] == user  # IAM authentication needs id == name
        assert made[user]["authentication_mode"] == {"type": "iam"}
    group = only(data, "aws_elasticache_replication_group")
    assert group["num_cache_clusters"] == nodes
    assert group["automatic_failover_enabled"] is group["multi_az_enabled"] is (nodes > 1)
    assert only(data, "aws_secretsmanager_secret")["name"] == "demo/redis/connection"


# --- every construct: narrow, keyword-only, documented --------------------------------------------


def constructs() -> dict[str, type]:
    """Every Construct class defined in infra_stacks, except the stacks (the roots)."""
    from cdktf import TerraformStack
    from constructs import Construct

    import infra_stacks

    found = {}
    for info in pkgutil.iter_modules(infra_stacks.__path__):
        module = importlib.import_module(f"infra_stacks.{info.name}")
        for name, value in vars(module).items():
            if (inspect.isclass(value) and value.__module__ == module.__name__ and issubclass(value, Construct)
                    and not issubclass(value, TerraformStack)):
                found[name] = value
    return found


def test_every_construct_is_found() -> None:
    assert {"Cluster", "Network", "CustomerKey", "TelemetryStorage", "CertManagerDns", "PostgresDatabase",
            "RedisCache", "ConnectionSecret", "WebAcl", "Edge", "SecureBucket", "IrsaRole", "Registry"} <= set(
        constructs())


def test_no_construct_takes_the_environment() -> None:
    """Environment differences reach a construct as parameters set by its stack, never as the Environment."""
    for name, construct in constructs().items():
        for parameter in inspect.signature(construct.__init__).parameters.values():
            assert parameter.name != "env", f"{name} takes env"
            assert "Environment" not in str(parameter.annotation), f"{name}.{parameter.name} is an Environment"


def test_construct_inputs_are_keyword_only_and_documented() -> None:
    for name, construct in constructs().items():
        parameters = list(inspect.signature(construct.__init__).parameters.values())
        assert [p.name for p in parameters[:3]] == ["self", "scope", "construct_id"], name
        inputs = parameters[3:]
        assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in inputs), f"{name}: keyword-only inputs"
        args = (construct.__doc__ or "").partition("\n    Args:\n")[2]
        undocumented = [p.name for p in inputs if not re.search(rf"^ {{8}}{p.name}: \S", args, re.MULTILINE)]
        assert not undocumented, f"{name} does not document {undocumented} under Args:"
