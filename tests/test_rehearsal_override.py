"""rehearsal.override: what the rehearsal writes into its working copy of a stack, derived from the JSON."""

from __future__ import annotations

import pytest

from rehearsal.gaps import Gap, Gaps
from rehearsal.override import DELETION_PROTECTION, UnknownService, apply_override, replan_override, services

URL = "http://127.0.0.1:4566"
STACK = {
    "resource": {
        "aws_db_instance": {"db": {"deletion_protection": True}, "scratch": {"deletion_protection": False}},
        "aws_dynamodb_table": {"locks": {"deletion_protection_enabled": True}},
        "aws_route53_zone": {"zone": {"name": "example.com"}},
        "aws_route_table": {"private": {"vpc_id": "vpc"}},
        "aws_eks_node_group": {"general": {"lifecycle": {"ignore_changes": ["scaling_config[0].desired_size"]}}},
    },
}


def test_every_service_of_the_stack_gets_an_endpoint_and_sts_too() -> None:
    assert services(STACK) == ["dynamodb", "ec2", "eks", "rds", "route53", "sts"]  # aws_route_table is EC2


def test_an_unmapped_resource_type_is_refused_before_anything_reaches_aws() -> None:
    with pytest.raises(UnknownService, match="aws_sqs_queue: no emulator endpoint known"):
        services({"resource": {"aws_sqs_queue": {"q": {}}}})


def test_apply_override_points_the_provider_at_the_emulator_and_keeps_state_local() -> None:
    override = apply_override(STACK, URL)
    (provider,) = override["provider"]["aws"]
    assert set(provider["endpoints"][0].values()) == {URL}
    assert provider["s3_use_path_style"] is True
    assert "allowed_account_ids" not in provider  # the emulator answers as the catalog's account
    assert override["terraform"] == {"backend": {"local": {"path": "terraform.tfstate"}}}


def test_every_aliased_provider_of_the_stack_is_pointed_at_the_emulator_too() -> None:
    regions = {"provider": {"aws": [{"region": "eu-west-1"}, {"alias": "eu-central-1", "region": "eu-central-1"}]}}
    main, copy = apply_override({**STACK, **regions}, URL)["provider"]["aws"]
    assert "alias" not in main and copy["alias"] == "eu-central-1"
    assert copy["endpoints"] == main["endpoints"]


def test_deletion_protection_is_turned_off_only_where_it_is_on() -> None:
    assert apply_override(STACK, URL)["resource"] == {
        "aws_db_instance": {"db": {"deletion_protection": False}},
        "aws_dynamodb_table": {"locks": {"deletion_protection_enabled": False}},
    }
    assert "deletion_protection" in DELETION_PROTECTION


def test_replan_override_adds_read_back_attributes_to_what_a_resource_already_ignores() -> None:
    gaps = Gaps((Gap("aws_eks_node_group", "remote_access", "read-back", "moto 5.2.5", "r", 1),
                 Gap("aws_eks_node_group", "update_config.max_unavailable", "read-back", "moto 5.2.5", "r", 2),
                 Gap("aws_eks_addon", None, "unsupported", "moto 5.2.5", "r", 3)))
    assert replan_override(STACK, gaps) == {"resource": {"aws_eks_node_group": {"general": {"lifecycle": {
        "ignore_changes": ["scaling_config[0].desired_size", "remote_access", "update_config[0].max_unavailable"],
    }}}}}


def test_no_read_back_gaps_no_replan_override() -> None:
    assert replan_override(STACK, Gaps(())) == {}


def test_every_resource_type_of_the_real_stacks_has_an_emulator_endpoint(infra, catalog) -> None:
    from catalog import naming

    for env in catalog.environments.values():
        for name in (naming.stack_name(env), naming.state_stack_name(env)):
            assert "sts" in services(infra.json(name))  # raises UnknownService for an unmapped type
    edge = services({"resource": {"aws_lb_listener": {}, "aws_acm_certificate_validation": {}}})
    assert edge == ["acm", "elbv2", "sts"]
