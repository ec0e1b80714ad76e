"""Capacity (catalog.capacity, catalog.rules.capacity, documentation.capacity): every environment's pods fit its
node groups; too few nodes, more GPUs than the gpu pool has, a pod larger than any node and an instance type the
table lacks are each refused with one line and exit 2; thin headroom is a warning; each namespace's quota admits
its services' peak.

Expectations come from the catalog and the instance table (catalog/instance_types.py), never typed figures.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from catalog_params import CATALOG, ENVIRONMENTS, PRODUCTION_ENVIRONMENTS
from test_catalog_errors import GOOD, mutate, run_bad

import main
from catalog import CatalogError, Environment, load_catalog
from catalog.capacity import SIZES, plan
from catalog.footprint import EGRESS_PROXY_REPLICAS, ISTIO_PROXY, ROLLOUT_SURGE_PERCENT
from catalog.instance_types import INSTANCE_TYPES
from catalog.platform_pods import ADDON_COMPONENTS, LOKI_CACHE_MB, NODE_DAEMONS
from catalog.rules import low_headroom
from catalog.rules.capacity import HEADROOM_PERCENT, capacity
from catalog.yaml_source import parse
from documentation import documentation_files
from documentation.capacity import QuotaRow, quota_rows
from k8s_charts.addons import ADDONS

PROD = PRODUCTION_ENVIRONMENTS[0]
MIB = 1024**2


def rollout(replicas: int) -> int:
    """Pods of a Deployment during a rollout at `replicas` (a percentage surge rounds up)."""
    return replicas + math.ceil(replicas * ROLLOUT_SURGE_PERCENT / 100)


def smallest(kinds: tuple[str, ...], attribute: str) -> int:
    return min(getattr(INSTANCE_TYPES[kind], attribute) for kind in kinds)


def general_services(env: Environment) -> list:
    return [s for s in env.services.values() if not s.pci_scope and not s.gpu.enabled]


def line_of(text: str, *path: str) -> int | None:
    located, _ = parse(text)
    return located.line_of(path)


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_the_real_catalog_fits(env_name: str) -> None:
    env = CATALOG.environments[env_name]
    assert list(capacity(env)) == []
    placements = {placement.name: placement for placement in plan(env).placements}
    for placement in placements.values():
        for size in SIZES:
            assert all(need <= have for need, have in zip(placement.demand(size), placement.supply(size), strict=True))
    # Not vacuous: every service off the tainted pools is counted there at its peak, and the pools hold what
    # their sizes and smallest instance types say.
    sidecar = ISTIO_PROXY.requests_cpu if env.istio_injection else 0
    general = placements["general"]
    assert general.services["max"].cpu_millis == sum(
        rollout(s.autoscaling.max) * (s.resources.requests.cpu_millis + sidecar) for s in general_services(env))
    groups = env.node_groups
    assert general.supply("max").cpu_millis == sum(
        getattr(groups, pool).max * smallest(getattr(groups, pool).instance_types, "allocatable_cpu_millis")
        for pool in ("general", "spot"))
    assert general.platform.pods > 0 and general.per_node.pods == len(NODE_DAEMONS)


def test_the_instance_table_covers_every_type_the_catalog_uses() -> None:
    used = {kind for env in CATALOG.environments.values() for _, group in env.node_groups if group
            for kind in group.instance_types}
    assert used and used <= set(INSTANCE_TYPES)


def test_the_instance_table_follows_the_eks_ami() -> None:
    """kube-reserved as the EKS AMI's own tests state it: m5.large reserves 70m and 574Mi (29 pods),
    m5.4xlarge 110m and 2829Mi (234 pods); 7.5% of memory and 100Mi of eviction threshold on top."""
    for kind, pods, cpu, memory in (("m5.large", 29, 70, 574), ("m5.4xlarge", 234, 110, 2829)):
        node = INSTANCE_TYPES[kind]
        assert node.max_pods == pods
        assert node.allocatable_cpu_millis == node.vcpus * 1000 - cpu
        assert node.allocatable_memory_bytes == (node.memory_gib * 1024 * 925 // 1000 - memory - 100) * MIB


def test_an_instance_type_missing_from_the_table_is_a_catalog_error(tmp_path: Path, capsys) -> None:
    kind = "m6i.32xlarge"
    assert kind not in INSTANCE_TYPES
    groups = ("environments", PROD, "node_groups", "general")
    text = mutate(lambda data: data["environments"][PROD]["node_groups"]["general"].__setitem__(
        "instance_types", [kind]))
    errors = run_bad(tmp_path, capsys, text)
    assert f"bad.yaml:{line_of(text, *groups, 'instance_types', '0')}: {'.'.join(groups)}.instance_types.0: " \
           f"{kind!r} is not in the instance table (catalog/instance_types.py)" in "\n".join(errors)


def test_too_few_nodes_for_the_peak_is_refused(tmp_path: Path, capsys) -> None:
    """The untainted pools cut to their minimum (spot to one node): the peak no longer fits, and the one line
    names the environment, the resource and the shortfall."""
    def shrink(data: dict[str, Any]) -> None:
        for pool in ("general", "spot"):
            group = data["environments"][PROD]["node_groups"][pool]
            group["max"], group["desired"] = max(group["min"], 1), group["min"]

    text = mutate(shrink)
    errors = run_bad(tmp_path, capsys, text)
    groups = yaml.safe_load(text)["environments"][PROD]["node_groups"]
    holds = sum(groups[pool]["max"] * smallest(tuple(groups[pool]["instance_types"]), "allocatable_cpu_millis")
                for pool in ("general", "spot")) / 1000
    pattern = re.compile(rf"^bad\.yaml:(\d+): environments\.{PROD}\.node_groups\.general\.max: peak needs "
                         r"([\d.]+) CPU, the general and spot pools hold ([\d.]+) at max size \(short ([\d.]+)\)$")
    [found] = [match for line in errors if (match := pattern.match(line))]
    line, needs, held, short = int(found[1]), float(found[2]), float(found[3]), float(found[4])
    assert line == line_of(text, "environments", PROD, "node_groups", "general", "max")
    assert held == math.floor(holds * 10) / 10 and needs > held
    assert short == pytest.approx(needs - held)


def test_more_gpus_than_the_gpu_pool_has_is_refused(tmp_path: Path, capsys) -> None:
    """A service moved onto the gpu pool: its pods' GPUs at the peak against the pool's nodes at max size."""
    env = CATALOG.environments[PROD]
    service = max(general_services(env), key=lambda s: s.autoscaling.max)
    pool = env.node_groups.gpu
    per_node = smallest(pool.instance_types, "gpus")
    needed, held = rollout(service.autoscaling.max), pool.max * per_node
    assert needed > held, "the catalog's gpu pool holds even the largest service: pick a harder case"
    text = mutate(lambda data: data["services"][service.name].__setitem__("gpu", {"enabled": True, "count": 1}))
    errors = run_bad(tmp_path, capsys, text)
    at = f"environments.{PROD}.node_groups.gpu"
    assert f"bad.yaml:{line_of(text, *at.split('.'), 'max')}: {at}.max: peak needs {needed} GPUs, the gpu pool " \
           f"holds {held} at max size (short {needed - held})" in errors
    floor = rollout(service.autoscaling.min)
    if not pool.desired:
        assert any(f"{at}.desired: the HPA minimum needs {floor} pods (" in line and f", {floor} GPUs) on the gpu "
                   "pool, which has no node at desired size" in line for line in errors), errors
    elif floor > pool.desired * per_node:
        assert any(line.endswith(f"{at}.desired: the HPA minimum needs {floor} GPUs, the gpu pool holds "
                                 f"{pool.desired * per_node} at desired size (short {floor - pool.desired * per_node})")
                   for line in errors), errors


def test_a_pod_larger_than_any_node_is_refused(tmp_path: Path, capsys) -> None:
    env = CATALOG.environments[PROD]
    service = general_services(env)[0]
    groups = env.node_groups
    largest = max(smallest(getattr(groups, pool).instance_types, "allocatable_memory_bytes")
                  for pool in ("general", "spot"))
    memory = f"{largest // 1024**3 + 1}Gi"
    text = mutate(lambda data: data["services"][service.name].__setitem__(
        "resources", {"requests": {"cpu": "1", "memory": memory}, "limits": {"cpu": "1", "memory": memory}}))
    errors = run_bad(tmp_path, capsys, text)
    assert any(f"environments.{PROD}.node_groups.general.instance_types: each {service.name} pod asks 1.0 CPU, "
               f"{largest // 1024**3 + 1}.0 GiB memory; no node of the general and spot pools holds it" in line
               for line in errors), errors


def _tighten(data: dict[str, Any]) -> None:
    """Cut the spot pool to one node, then grow the general pool from its minimum to the first size that holds
    the production peak: there it holds it with less than the warning's headroom."""
    groups = data["environments"][PROD]["node_groups"]
    groups["spot"]["max"], groups["spot"]["desired"] = max(groups["spot"]["min"], 1), groups["spot"]["min"]
    general = groups["general"]
    general["desired"] = general["min"]
    for size in range(general["min"], general["max"] + 1):
        general["max"] = size
        try:
            tight = load_catalog(Path("tight.yaml"), text=yaml.safe_dump(data, sort_keys=False))
        except CatalogError:
            continue
        if low_headroom(tight, [PROD]):
            return
    pytest.fail("no general pool size leaves the production peak less than the warning's headroom")


def test_low_headroom_is_a_warning_not_a_failure(tmp_path: Path, capsys) -> None:
    data = yaml.safe_load(GOOD)
    _tighten(data)
    catalog = tmp_path / "tight.yaml"
    catalog.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    code = main.main(["synth", "--only", "docs", "--env", PROD, "--catalog", str(catalog),
                      "--docs-out", str(tmp_path / "docs")])
    warnings = [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning: ")]
    assert code == 0 and (tmp_path / "docs" / PROD / "capacity.md").is_file()
    pattern = re.compile(rf"^warning: {re.escape(str(catalog))}: environments\.{PROD}\.node_groups\.general\.max: "
                         r"headroom for peak on the general and spot pools at max size: (.+) \(below "
                         rf"{HEADROOM_PERCENT}%\)$")
    [found] = [match for line in warnings if (match := pattern.match(line))]
    assert all(0 <= int(part.split()[-1].rstrip("%")) < HEADROOM_PERCENT for part in found[1].split(", "))


def test_under_the_cdktf_cli_a_warning_is_not_an_error(tmp_path: Path, capsys, monkeypatch) -> None:
    """cdktf labels every line on stderr `[ERROR]`: there the warning goes where progress goes."""
    data = yaml.safe_load(GOOD)
    _tighten(data)
    catalog = tmp_path / "tight.yaml"
    catalog.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    monkeypatch.setenv("CDKTF_OUTDIR", str(tmp_path / "cdktf.out"))
    assert main.main(["synth", "--only", "docs", "--env", PROD, "--catalog", str(catalog),
                      "--docs-out", str(tmp_path / "docs")]) == 0
    out, err = capsys.readouterr()
    assert err == "" and any(line.startswith("warning: ") for line in out.splitlines())


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_every_namespace_quota_admits_its_peak(env_name: str) -> None:
    env = CATALOG.environments[env_name]
    rows = quota_rows(env)
    assert {row.namespace for row in rows} == {s.namespace for s in env.services.values()}
    for row in rows:
        assert row.short == [], row
        here = [s for s in env.services.values() if s.namespace == row.namespace]
        proxies = [s for s in here if s.pci_scope and s.depends_on.external]
        assert row.peak.pods == sum(rollout(s.autoscaling.max) for s in here) + len(proxies) * rollout(
            EGRESS_PROXY_REPLICAS[1])
    # The check can fail: a quota one pod short of the peak is reported.
    row = rows[0]
    short = QuotaRow(row.namespace, (*row.quota[:2], row.peak.pods - 1, *row.quota[3:]), row.peak)
    assert short.short == ["pods"]


def _resources_in(values: Any) -> list[Any]:
    """Every map under a `resources` key of Helm values."""
    if isinstance(values, dict):
        return [value for key, value in values.items() if key == "resources"] + [
            found for value in values.values() for found in _resources_in(value)]
    return [found for value in values for found in _resources_in(value)] if isinstance(values, list) else []


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_what_is_counted_is_what_is_installed(env_name: str) -> None:
    """Every add-on with pods is counted, and every container the count names is in that add-on's values (the
    Loki caches through the memory the chart sizes them from)."""
    env = CATALOG.environments[env_name]
    assert set(ADDON_COMPONENTS) == {name for name, addon in ADDONS.items() if addon.values is not None}
    for name, components in ADDON_COMPONENTS.items():
        values = ADDONS[name].values(env)
        installed = _resources_in(values)
        for component_name, component in components.items():
            if component_name in LOKI_CACHE_MB:
                assert values[component_name]["allocatedMemory"] == LOKI_CACHE_MB[component_name]
                continue
            for container in component.containers:
                assert container in installed, (name, component_name, container)
    daemons = {daemon.name: daemon for daemon in NODE_DAEMONS}
    assert daemons["node-exporter"].containers[0] in _resources_in(ADDONS["kube-prometheus-stack"].values(env))
    assert daemons["loki-canary"].containers[0] in _resources_in(ADDONS["loki"].values(env))
    # Alloy and its config reloader, both ways (its RBAC rules' `resources` are lists).
    containers = [found for found in _resources_in(ADDONS["alloy"].values(env)) if isinstance(found, dict)]
    assert containers == list(daemons["alloy"].containers)


def test_the_page_shows_every_pool_and_namespace() -> None:
    files = documentation_files(CATALOG, ENVIRONMENTS)
    for env in CATALOG.environments.values():
        page = files[f"{env.name}/capacity.md"].decode()
        for name, group in env.node_groups:
            if group:
                assert f"- {name} ({', '.join(group.instance_types)}; min {group.min}, desired {group.desired}, " \
                       f"max {group.max})" in page
        for row in quota_rows(env):
            assert re.search(rf"^\| {row.namespace} \|.*\| yes \|$", page, re.MULTILINE)
        assert page.count("**headroom at the HPA maximum, max size**") == len(
            [p for p in plan(env).placements if p.pools])
