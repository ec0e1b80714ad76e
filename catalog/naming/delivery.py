"""Names of the delivery path: the GitHub repository that builds a service's image, and the role its
workflows assume through GitHub Actions OIDC to push that image to the service's ECR repository, in each
environment's account (infra_stacks.publishers; README "Image bump and promotion")."""

from __future__ import annotations

from catalog.models import Environment, Service
from catalog.naming.rules import IAM_ROLE, derives

__all__ = ["GITHUB_OIDC_HOST", "image_publisher_role_name", "source_repository"]

# The issuer of GitHub Actions' OIDC tokens; the account's IAM identity provider for it is made once per
# account, outside the stacks (two environments may share an account).
GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"


def source_repository(service: Service) -> str:
    """`owner/name` of the GitHub repository whose workflows build the service's image: its image path."""
    return service.image


@derives(IAM_ROLE)
def image_publisher_role_name(env: Environment, service: Service) -> str:
    return f"{env.project}-{env.name}-publish-{service.name}"
