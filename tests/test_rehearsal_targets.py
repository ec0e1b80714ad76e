"""rehearsal.targets: which resources the rehearsal applies, derived from a stack's JSON and the gaps."""

from __future__ import annotations

from pathlib import Path

from catalog import Catalog, naming
from rehearsal.gaps import Gap, Gaps, load_gaps
from rehearsal.targets import references, resource_addresses, select


def gap(what: str, effect: str) -> Gap:
    kind, _, attribute = what.partition(".")
    return Gap(kind, attribute or None, effect, "moto 5.2.5", "why", 1)


# The shapes cdktf writes: `${...}` references (also inside functions and via locals), depends_on
# without `${}`, and `//` metadata that mentions construct paths but is no reference.
STACK = {
    "locals": {"issuer_host": '${replace(aws_eks_cluster.this.identity[0].oidc[0].issuer, "https://", "")}'},
    "resource": {
        "aws_eks_cluster": {"this": {"name": "c", "//": {"metadata": {"path": "aws_eks_addon.cni"}}}},
        "aws_eks_addon": {"cni": {"cluster_name": "${aws_eks_cluster.this.name}"}},
        "aws_security_group": {"db": {"name": "db"}},
        "aws_vpc_security_group_ingress_rule": {
            "from_cluster": {
                "security_group_id": "${aws_security_group.db.id}",
                "referenced_security_group_id": "${aws_eks_cluster.this.vpc_config[0].cluster_security_group_id}",
            },
        },
        "aws_iam_role": {"irsa": {"assume_role_policy": '{"sub": "${local.issuer_host}:sub"}'}},
        "aws_iam_role_policy": {"after_addon": {"role": "${aws_iam_role.irsa.id}",
                                                "depends_on": ["aws_eks_addon.cni"]}},
        "aws_s3_bucket": {"logs": {"bucket": "logs-${aws_eks_cluster.this.name}"}},
    },
}


def test_references_resolve_attribute_paths_without_indexes() -> None:
    found = set(references(STACK["resource"]["aws_vpc_security_group_ingress_rule"]["from_cluster"]))
    assert found == {("aws_security_group", "db", "id"),
                     ("aws_eks_cluster", "this", "vpc_config.cluster_security_group_id")}


def test_metadata_is_not_a_reference() -> None:
    assert list(references(STACK["resource"]["aws_eks_cluster"]["this"])) == []


def test_nothing_is_left_out_without_gaps() -> None:
    selection = select(STACK, Gaps(()))
    assert selection.excluded == {}
    assert selection.targets == tuple(resource_addresses(STACK))


def test_unsupported_type_leaves_out_its_resources_and_their_dependents() -> None:
    selection = select(STACK, Gaps((gap("aws_eks_addon", "unsupported"),)))
    assert set(selection.excluded) == {"aws_eks_addon.cni", "aws_iam_role_policy.after_addon"}
    assert selection.excluded["aws_iam_role_policy.after_addon"] == "depends on aws_eks_addon.cni"
    assert "aws_iam_role.irsa" in selection.targets


def test_unset_attribute_leaves_out_only_its_readers() -> None:
    selection = select(STACK, Gaps((gap("aws_eks_cluster.vpc_config.cluster_security_group_id", "unset"),)))
    assert list(selection.excluded) == ["aws_vpc_security_group_ingress_rule.from_cluster"]
    assert "reads aws_eks_cluster.vpc_config.cluster_security_group_id" in selection.excluded[
        "aws_vpc_security_group_ingress_rule.from_cluster"]


def test_references_through_locals_count() -> None:
    selection = select(STACK, Gaps((gap("aws_eks_cluster", "unsupported"),)))
    assert set(selection.excluded) == set(resource_addresses(STACK)) - {"aws_security_group.db"}


def test_read_back_gaps_leave_nothing_out() -> None:
    assert select(STACK, Gaps((gap("aws_eks_cluster.access_config", "read-back"),))).excluded == {}


def test_targets_are_closed_under_dependencies_on_the_real_stacks(infra, catalog: Catalog) -> None:
    """Terraform adds a target's dependencies itself: none of them may be a resource left out."""
    gaps = load_gaps()
    for env in catalog.environments.values():
        stack = infra.json(naming.stack_name(env))
        selection = select(stack, gaps)
        targets = set(selection.targets)
        assert targets | set(selection.excluded) == set(resource_addresses(stack))
        for address in selection.targets:
            kind, name = address.split(".", 1)
            config = stack["resource"][kind][name]
            needed = {f"{t}.{n}" for t, n, _ in references(config)} | set(config.get("depends_on", []))
            assert not needed & set(selection.excluded), address


def test_every_gap_names_something_the_stacks_have(infra, catalog: Catalog) -> None:
    """A gap no stack has is stale: delete its line."""
    types = {kind for env in catalog.environments.values()
             for name in (naming.stack_name(env), naming.state_stack_name(env))
             for kind in infra.json(name).get("resource", {})}
    stale = [f"{Path('rehearsal/emulator-gaps.yaml')}:{g.line}: {g.what}" for g in load_gaps().entries
             if g.resource_type not in types]
    assert not stale
