"""Add-on chart sources and availability (k8s_charts.addons.base): charts from the repositories their
maintainers publish them in, and with more than one replica a disruption budget and a zone spread for
every component."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from catalog_params import ENVIRONMENTS

from catalog.platform_pods import ADDON_COMPONENTS
from k8s_charts.addons import ADDONS, base

# Where the charts that moved are published now (ARCHITECTURE.md, "Chart sources"), and the old home
# Grafana left them in (enterprise-only or deprecated there).
GRAFANA_COMMUNITY = "https://grafana-community.github.io/helm-charts"
MOVED = {"loki": GRAFANA_COMMUNITY, "tempo": GRAFANA_COMMUNITY, "argo-cd": "https://argoproj.github.io/argo-helm"}
LEFT = "https://grafana.github.io/helm-charts"
# Grafana's own charts, which it still publishes there.
STAYED = {"alloy"}
REPLICA_KEYS = ("replicas", "replicaCount")
# Replicated components whose budget the platform emits itself instead of through the chart's values.
OWN_BUDGETS = {("nginx-gateway-fabric", "nginx"): "k8s_charts/edge.py (the data plane's PodDisruptionBudget)",
               ("nginx-gateway-fabric", "nginxGateway"): "k8s_charts/edge.py (the control plane's)"}


def components(values: Any, parent: dict[str, Any] | None = None,
               path: tuple[str, ...] = ()) -> Iterator[tuple[str, int, dict[str, Any], dict[str, Any]]]:
    """Every map of the values that sets a replica count: (path, count, the map, the map above it)."""
    if not isinstance(values, dict):
        return
    for key in REPLICA_KEYS:
        if isinstance(values.get(key), int):
            yield ".".join(path) or "(root)", values[key], values, parent or {}
    for key, value in values.items():
        yield from components(value, values, (*path, key))


@pytest.mark.parametrize("name", sorted(ADDONS))
def test_chart_comes_from_the_repository_its_maintainers_publish(name: str) -> None:
    addon = ADDONS[name]
    assert addon.repo_url == MOVED.get(addon.chart, addon.repo_url)
    assert addon.repo_url != LEFT or addon.chart in STAYED


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
@pytest.mark.parametrize("name", sorted(ADDONS))
def test_every_replicated_component_has_a_budget_and_a_zone_spread(catalog, env_name: str, name: str) -> None:
    if ADDONS[name].values is None:
        pytest.skip(f"{name} is a folder of manifests, not a chart with values")
    values = ADDONS[name].values(catalog.environments[env_name])
    shared_spread = values.get("global", {}).get("topologySpreadConstraints", [])
    for path, count, component, parent in components(values):
        # The budget sits beside the count, or one level up where an operator's spec holds the count.
        budget = component.get("podDisruptionBudget") or component.get("pdb") or parent.get("podDisruptionBudget")
        if count <= 1:
            # A budget on a single pod protects nothing.
            assert not (budget or {}).get("enabled"), f"{name} {path}: a budget on one replica"
            continue
        if (name, path) in OWN_BUDGETS:
            continue
        # A chart renders the budget when told to (`enabled`) or, without that switch, whenever it is set.
        assert budget and budget.get("enabled", True) is True, f"{name} {path}: {count} replicas without a budget"
        one_at_a_time = budget.get("maxUnavailable") == base.MAX_UNAVAILABLE or (
            budget.get("minAvailable") == count - base.MAX_UNAVAILABLE)
        assert one_at_a_time, f"{name} {path}: the budget must let exactly one pod go at a time"
        spread = component.get("topologySpreadConstraints") or shared_spread
        assert spread and base.zone_spread()[0].items() <= spread[0].items(), f"{name} {path}: not spread across zones"


def test_every_addon_but_the_single_binaries_replicates(catalog) -> None:
    """The walk above is not vacuous: where add-ons run more than one replica, each of them has a replicated
    component, except Tempo, whose single binary runs one (k8s_charts.addons.tempo), and the add-ons that are
    only DaemonSets (one pod per node: Alloy), which catalog.platform_pods counts per node, not by replicas."""
    for env in catalog.environments.values():
        if env.addon_replicas == 1:
            continue
        for name, addon in ADDONS.items():
            if addon.values is None:
                continue
            replicated = [path for path, count, _, _ in components(addon.values(env)) if count > 1]
            expected = name != "tempo" and bool(ADDON_COMPONENTS[name])
            assert bool(replicated) is expected, (env.name, name, replicated)
