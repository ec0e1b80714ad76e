"""The contract every add-on module fills in, and the ordering derived from it.

Each add-on module declares its chart, namespace, the add-ons it needs (usually because they own CRDs it
creates objects of) and its Helm values as a function of the environment. `catalog.graph.depths` turns
the declared dependencies into Argo CD sync waves, so nobody numbers waves by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from catalog import Environment, naming

__all__ = ["Addon", "irsa_service_account"]


@dataclass(frozen=True, kw_only=True)
class Addon:
    """One Helm release. `server_side_apply` is for charts whose CRDs exceed the client-side apply limit."""

    name: str
    repo_url: str
    chart: str
    version: str
    namespace: str
    depends_on: tuple[str, ...]
    values: Callable[[Environment], dict[str, Any]] = field(repr=False)
    server_side_apply: bool = False


def irsa_service_account(env: Environment, addon: str) -> dict[str, Any]:
    """Helm `serviceAccount` values: the account Terraform's IRSA role trusts, annotated with that role.

    Name and role come from catalog.naming, the same place the Terraform side reads them from.
    """
    return {
        "create": True,
        "name": naming.ADDON_SERVICE_ACCOUNTS[addon].name,
        "annotations": {"eks.amazonaws.com/role-arn": naming.role_arn(env, naming.addon_role_name(env, addon))},
    }
