"""rehearsal.terraform: Terraform's machine-readable output turned into `<address>: <error>` lines."""

from __future__ import annotations

from rehearsal.terraform import error_lines


def diagnostic(summary: str, detail: str = "", address: str | None = None, severity: str = "error") -> dict:
    body = {"severity": severity, "summary": summary, "detail": detail}
    if address:
        body["address"] = address
    return {"@level": severity, "type": "diagnostic", "diagnostic": body}


def errored(address: str) -> dict:
    return {"type": "apply_errored", "hook": {"resource": {"addr": address}, "action": "create"}}


def test_a_diagnostic_with_an_address_names_it_on_one_line() -> None:
    messages = [diagnostic("creating EKS Add-On (payledger-dev:vpc-cni)",
                           "operation error EKS: CreateAddon,\n  https response error StatusCode: 500",
                           address="aws_eks_addon.cluster_vpc_cni")]
    assert error_lines(messages, "payledger-dev") == [
        "aws_eks_addon.cluster_vpc_cni: creating EKS Add-On (payledger-dev:vpc-cni): "
        "operation error EKS: CreateAddon, https response error StatusCode: 500"]


def test_diagnostics_without_address_take_the_errored_resources_in_order() -> None:
    messages = [errored("aws_kms_key.a"), errored("aws_elasticache_subnet_group.redis"),
                diagnostic("deleting KMS key", address="aws_kms_key.a"),
                diagnostic("deleting ElastiCache Subnet Group (payledger-dev-redis)")]
    assert error_lines(messages, "payledger-dev") == [
        "aws_kms_key.a: deleting KMS key",
        "aws_elasticache_subnet_group.redis: deleting ElastiCache Subnet Group (payledger-dev-redis)"]


def test_warnings_and_the_halt_notice_are_not_errors_and_the_stack_is_the_fallback() -> None:
    messages = [diagnostic("Resource targeting is in effect", severity="warning"),
                diagnostic("execution halted"), diagnostic("Invalid provider configuration")]
    assert error_lines(messages, "payledger-dev") == ["payledger-dev: Invalid provider configuration"]
