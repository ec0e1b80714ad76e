"""rehearsal.proof: which of verify's checks the rehearsal skips, and why."""

from __future__ import annotations

from operations import verify_aws
from rehearsal.proof import VERIFY_NEEDS, verify_skips


def test_every_aws_check_of_verify_is_mapped_to_what_it_inspects() -> None:
    """None is skipped for good: the WAF association is Terraform's now, and the emulator answers
    GetWebACLForResource."""
    assert set(VERIFY_NEEDS) == set(verify_aws.CHECKS)


def test_a_check_is_skipped_when_a_resource_it_inspects_was_left_out() -> None:
    excluded = {"aws_elasticache_replication_group.redis": "depends on aws_elasticache_user_group.users",
                "aws_eks_addon.coredns": "aws_eks_addon: no add-on API"}
    assert verify_skips(excluded) == {
        "redis": "aws_elasticache_replication_group.redis depends on aws_elasticache_user_group.users",
    }


def test_an_edge_left_out_skips_the_edge_checks() -> None:
    excluded = {"aws_wafv2_web_acl_association.edge_waf": "depends on aws_lb.edge_this"}
    assert set(verify_skips(excluded)) == {"waf-association", "edge"}
