"""Catalog rules added for the AWS side: each rejects a bad catalog with a one-line CatalogError."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from catalog_params import ENVIRONMENTS

from catalog import Catalog, CatalogError, load_catalog, naming, rules

ROOT = Path(__file__).resolve().parent.parent
GOOD = yaml.load((ROOT / "platform.yaml").read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)


def rejected(tmp_path: Path, edit: Callable[[dict[str, Any]], None]) -> list[str]:
    data = copy.deepcopy(GOOD)
    edit(data)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.dump(data, Dumper=yaml.CSafeDumper, sort_keys=False), encoding="utf-8")
    with pytest.raises(CatalogError) as error:
        load_catalog(path)
    return [str(problem) for problem in error.value.problems]


def env_set(env: str, *path_and_value: Any) -> Callable[[dict[str, Any]], None]:
    *path, value = path_and_value

    def edit(data: dict[str, Any]) -> None:
        node = data["environments"][env]
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return edit


def both(*edits: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    def edit(data: dict[str, Any]) -> None:
        for one in edits:
            one(data)

    return edit


CASES = {
    "public VPC space": (env_set("dev", "vpc_cidr", "100.64.0.0/16"),
                         "environments.dev.vpc_cidr: 100.64.0.0/16 is not private address space (RFC 1918)"),
    "public endpoint without CIDRs": (env_set("dev", "cluster_public_endpoint", True),
                                      "environments.dev.cluster_public_access_cidrs: a public cluster endpoint "
                                      "needs the source ranges"),
    "CIDRs without public endpoint": (env_set("dev", "cluster_public_access_cidrs", ["198.51.100.0/24"]),
                                      "environments.dev.cluster_public_access_cidrs: set, but "
                                      "cluster_public_endpoint is false"),
    "world-open endpoint": (both(env_set("dev", "cluster_public_endpoint", True),
                                 env_set("dev", "cluster_public_access_cidrs", ["0.0.0.0/0"])),
                            "environments.dev.cluster_public_access_cidrs.0: 0.0.0.0/0 opens the cluster API"),
    "malformed public CIDR": (both(env_set("dev", "cluster_public_endpoint", True),
                                   env_set("dev", "cluster_public_access_cidrs", ["198.51.100.7/24"])),
                              "environments.dev.cluster_public_access_cidrs.0: '198.51.100.7/24' is not a valid"),
    "empty general pool": (env_set("dev", "node_groups", "general", {"instance_types": ["m6i.large"], "min": 0,
                                                                      "max": 2, "desired": 0}),
                           "environments.dev.node_groups.general.min: needs at least one node"),
    "undiversified spot": (env_set("prod", "node_groups", "spot", "instance_types", ["m6i.2xlarge"]),
                           "environments.prod.node_groups.spot.instance_types: spot capacity needs at least two"),
    "ARM type on x86 pool": (env_set("staging", "node_groups", "general", "instance_types", ["m6g.xlarge"]),
                             "environments.staging.node_groups.general.instance_types.0: 'm6g.xlarge' is an ARM"),
    "GPU pool without GPU": (env_set("prod", "node_groups", "gpu", "instance_types", ["m6i.2xlarge"]),
                             "environments.prod.node_groups.gpu.instance_types.0: 'm6i.2xlarge' has no NVIDIA GPU"),
    "no Performance Insights": (env_set("dev", "postgres", "instance_class", "db.t4g.micro"),
                                "environments.dev.postgres.instance_class: db.t4g.micro does not support "
                                "Performance Insights"),
    "name too long for AWS": (lambda data: data["services"].__setitem__(
        "notification-service-with-a-very-long-name",
        {**copy.deepcopy(data["services"]["notification-service"]), "port": 4090}),
                              "characters, over the limit of 40"),
    "unprotected production load balancer": (env_set("prod", "edge", "deletion_protection", False),
                                             "environments.prod.edge.deletion_protection: a production load "
                                             "balancer needs deletion protection"),
    "malformed zone id": (env_set("prod", "route53_zone_id", "zone-1"),
                          "environments.prod.route53_zone_id: String should match pattern"),
}


@pytest.mark.parametrize("case", CASES)
def test_aws_rule(case: str, tmp_path: Path) -> None:
    edit, expected = CASES[case]
    problems = rejected(tmp_path, edit)
    assert any(expected in problem for problem in problems), problems
    assert all("\n" not in problem for problem in problems)


def test_the_real_catalog_passes_every_rule() -> None:
    load_catalog(ROOT / "platform.yaml")


NAME_ATTRIBUTES = {
    "aws_iam_role": ("name",), "aws_s3_bucket": ("bucket",), "aws_kms_alias": ("name",),
    "aws_eks_cluster": ("name",), "aws_launch_template": ("name",), "aws_cloudwatch_log_group": ("name",),
    "aws_security_group": ("name",), "aws_db_instance": ("identifier",),
    "aws_db_subnet_group": ("name",), "aws_db_parameter_group": ("name",),
    "aws_elasticache_replication_group": ("replication_group_id",), "aws_elasticache_user": ("user_id",),
    "aws_elasticache_user_group": ("user_group_id",), "aws_elasticache_subnet_group": ("name",),
    "aws_wafv2_web_acl": ("name",), "aws_secretsmanager_secret": ("name",), "aws_ecr_repository": ("name",),
    "aws_dynamodb_table": ("name",), "aws_lb": ("name",), "aws_lb_target_group": ("name",),
    "aws_backup_vault": ("name",), "aws_backup_plan": ("name",), "aws_backup_selection": ("name",),
}


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_rules_check_every_name_the_stacks_make(catalog: Catalog, infra, env_name: str) -> None:
    """A name the rules never derive could break an AWS rule unnoticed until synth raises InvalidName."""
    env = catalog.environments[env_name]
    checked = {derive(*args) for _, derive, args in rules.names.derived_aws_names(env)}
    made = set()
    for stack_name in (naming.stack_name(env), naming.state_stack_name(env)):
        made.add(stack_name)
        for kind, attributes in NAME_ATTRIBUTES.items():
            for resource in infra.json(stack_name).get("resource", {}).get(kind, {}).values():
                made |= {resource[attribute] for attribute in attributes}
    assert len(made) > len(NAME_ATTRIBUTES)
    assert made - checked == set()
