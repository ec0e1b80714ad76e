"""rehearsal.proof: which of verify's checks the rehearsal skips, and why."""

from __future__ import annotations

from operations import verify_aws
from rehearsal.proof import ALWAYS_SKIPPED, VERIFY_NEEDS, verify_skips


def test_every_aws_check_of_verify_is_mapped_to_what_it_inspects() -> None:
    assert set(VERIFY_NEEDS) | set(ALWAYS_SKIPPED) == set(verify_aws.CHECKS)
    assert not set(VERIFY_NEEDS) & set(ALWAYS_SKIPPED)


def test_a_check_is_skipped_when_a_resource_it_inspects_was_left_out() -> None:
    excluded = {"aws_elasticache_replication_group.redis": "depends on aws_elasticache_user_group.users",
                "aws_eks_addon.coredns": "aws_eks_addon: no add-on API"}
    assert verify_skips(excluded) == {
        **ALWAYS_SKIPPED,
        "redis": "aws_elasticache_replication_group.redis depends on aws_elasticache_user_group.users",
    }
