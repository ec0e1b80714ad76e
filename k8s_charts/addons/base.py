"""The contract every add-on module fills in, and the ordering derived from it.

Each add-on module declares its chart, namespace, the add-ons it needs (usually because they own CRDs it
creates objects of) and its Helm values as a function of the environment. `catalog.graph.depths` turns
the declared dependencies into Argo CD sync waves, so nobody numbers waves by hand.

Availability is one rule for every add-on: with env.addon_replicas > 1 each component that can run
active-active or with a leader-elected standby runs that many replicas, spread across zones
(`zone_spread`), under a disruption budget that lets one pod go at a time (`MAX_UNAVAILABLE`); a
component that cannot (a single binary, a sharded controller, a cache) runs one replica, and its
module says why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from catalog import Environment, naming

__all__ = ["MAX_UNAVAILABLE", "Addon", "highly_available", "irsa_service_account", "zone_spread"]

# Voluntary disruptions (node drains, cluster upgrades) take one pod of a component at a time.
MAX_UNAVAILABLE = 1
ZONE_KEY = "topology.kubernetes.io/zone"


@dataclass(frozen=True, kw_only=True)
class Addon:
    """One Helm release. `server_side_apply` is for charts whose CRDs exceed the client-side apply limit.

    `bootstrap` marks the add-on installed by hand once before Argo CD can sync anything (Argo CD itself,
    with the values file synth writes to bootstrap/): every other Application waits for it, and deleting
    its Application must not cascade into the running Argo CD.
    """

    name: str
    repo_url: str
    chart: str
    version: str
    namespace: str
    depends_on: tuple[str, ...]
    values: Callable[[Environment], dict[str, Any]] = field(repr=False)
    server_side_apply: bool = False
    bootstrap: bool = False


def highly_available(env: Environment) -> bool:
    """Whether the environment runs its add-ons' components on more than one replica."""
    return env.addon_replicas > 1


def zone_spread(match_labels: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """`topologySpreadConstraints` that keep a component's replicas at most one apart across zones.

    DoNotSchedule, so a zone never holds two replicas while another holds none; `nodeTaintsPolicy: Honor`
    leaves out nodes the pod cannot run on, so the NotReady/unreachable nodes of a lost zone do not count
    as a domain and its replicas can be rescheduled into the remaining zones. Charts that fill in the
    component's own selector when it is missing get none (`match_labels` None).
    """
    constraint: dict[str, Any] = {"maxSkew": 1, "topologyKey": ZONE_KEY, "whenUnsatisfiable": "DoNotSchedule",
                                  "nodeTaintsPolicy": "Honor"}
    if match_labels:
        constraint["labelSelector"] = {"matchLabels": match_labels}
    return [constraint]


def irsa_service_account(env: Environment, addon: str) -> dict[str, Any]:
    """Helm `serviceAccount` values: the account Terraform's IRSA role trusts, annotated with that role.

    Name and role come from catalog.naming, the same place the Terraform side reads them from.
    """
    return {
        "create": True,
        "name": naming.ADDON_SERVICE_ACCOUNTS[addon].name,
        "annotations": {"eks.amazonaws.com/role-arn": naming.role_arn(env, naming.addon_role_name(env, addon))},
    }
