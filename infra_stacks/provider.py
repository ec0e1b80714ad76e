"""The AWS providers of a stack, pinned to the environment's account: its region's, and one per other region."""

from __future__ import annotations

from cdktf import TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderDefaultTags

from catalog.models import Environment

__all__ = ["PROVIDER_CONSTRAINT", "aws_provider"]

# The bindings pin exactly 5.99.1; any 5.x from 5.99 on has the schema they were generated from.
PROVIDER_CONSTRAINT = "~> 5.99"


def aws_provider(stack: TerraformStack, env: Environment, *, region: str | None = None) -> AwsProvider:
    """The provider of the environment's region, or with `region` an aliased one (named after the region)
    for the few resources that live elsewhere (the backup copy vault and its key).

    `allowed_account_ids` stops a stack from ever applying with another environment's credentials."""
    provider = AwsProvider(
        stack, "aws" if region is None else f"aws_{region}",
        alias=region,
        region=region or env.region,
        allowed_account_ids=[env.account_id],
        default_tags=[AwsProviderDefaultTags(tags={
            "Project": env.project, "Environment": env.name, "ManagedBy": "cdktf"})],
    )
    stack.add_override("terraform.required_providers.aws.version", PROVIDER_CONSTRAINT)
    return provider
