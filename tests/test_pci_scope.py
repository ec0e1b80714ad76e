"""`pci_scope` means something: a PCI-scoped service runs on the dedicated, tainted on-demand PCI nodes and
nowhere else, nothing else runs there, its only way to the internet is its egress proxy (which allows its
declared hosts by name), and the catalog refuses what the platform cannot give it. Parametrized over
the catalog's environments and PCI-scoped services; expectations come from the catalog."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from infra_support import resources

import main
from catalog import Catalog, Environment, load_catalog, naming
from k8s_charts import build_environment, manifests_by_folder
from k8s_charts.egress_proxy import PROXY_PORT, allowed_hosts

ROOT = Path(__file__).resolve().parent.parent
CATALOG = load_catalog(ROOT / "platform.yaml")
ENVS = list(CATALOG.environments)
PCI = [(env, name) for env, environment in CATALOG.environments.items()
       for name, service in environment.services.items() if service.pci_scope]


@pytest.fixture(scope="module")
def objects(platform_objects) -> dict[str, list[dict[str, Any]]]:
    """Every object of every environment, as synth renders it."""
    return platform_objects


def pod_specs(objects: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(obj["metadata"]["namespace"], obj["metadata"]["name"]): obj["spec"]["template"]["spec"]
            for obj in objects if obj["kind"] == "Deployment"}


def find(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    (found,) = [obj for obj in objects if obj["kind"] == kind and obj["metadata"]["name"] == name]
    return found


def test_the_catalog_has_a_pci_scoped_service() -> None:
    assert PCI, "the brief's billing service is PCI-scoped"


@pytest.mark.parametrize("env_name", ENVS)
def test_only_pci_pods_tolerate_and_select_the_pci_nodes(objects, catalog: Catalog, env_name: str) -> None:
    env = catalog.environments[env_name]
    scoped = {naming.egress_proxy_name(s) for s in env.services.values() if s.pci_scope and s.depends_on.external}
    scoped |= {s.name for s in env.services.values() if s.pci_scope}
    taint = naming.PCI_TAINT
    for (_, name), spec in pod_specs(objects[env_name]).items():
        tolerates = any(t["key"] == taint.key for t in spec.get("tolerations", []))
        selects = spec.get("nodeSelector", {}).get(naming.NODE_POOL_LABEL) == naming.PCI_NODE_POOL
        assert tolerates == selects == (name in scoped), name


@pytest.mark.parametrize(("env_name", "service_name"), PCI)
def test_a_pci_service_reaches_the_internet_only_through_its_proxy(objects, catalog: Catalog, env_name: str,
                                                                   service_name: str) -> None:
    env = catalog.environments[env_name]
    service = env.services[service_name]
    rendered = objects[env_name]
    egress = find(rendered, "NetworkPolicy", naming.network_policy_name(service, "egress"))["spec"]["egress"]
    assert not [rule for rule in egress for peer in rule["to"] if "0.0.0.0/0" in str(peer.get("ipBlock"))]
    proxy = naming.egress_proxy_name(service)
    to_proxy = [rule for rule in egress if any(peer.get("podSelector", {}).get("matchLabels", {})
                                               .get("app.kubernetes.io/name") == proxy for peer in rule["to"])]
    assert [rule["ports"] for rule in to_proxy] == [[{"protocol": "TCP", "port": PROXY_PORT}]]
    config = find(rendered, "ConfigMap", naming.config_map_name(service))["data"]
    assert config["HTTPS_PROXY"] == f"http://{proxy}.{service.namespace}.svc.cluster.local:{PROXY_PORT}"


@pytest.mark.parametrize(("env_name", "service_name"), PCI)
def test_the_proxy_allows_exactly_the_declared_hosts(objects, catalog: Catalog, env_name: str,
                                                     service_name: str) -> None:
    env = catalog.environments[env_name]
    service = env.services[service_name]
    proxy = naming.egress_proxy_name(service)
    rendered = objects[env_name]
    envoy = yaml.safe_load(find(rendered, "ConfigMap", proxy)["data"]["envoy.yaml"])
    (listener,) = envoy["static_resources"]["listeners"]
    (manager,) = listener["filter_chains"][0]["filters"]
    allowed, denied = manager["typed_config"]["route_config"]["virtual_hosts"]
    assert allowed["domains"] == [f"{host}:443" for host in allowed_hosts(env, service)]
    assert set(service.depends_on.external) <= {domain.removesuffix(":443") for domain in allowed["domains"]}
    assert denied["domains"] == ["*"]
    assert {route["direct_response"]["status"] for route in denied["routes"]} == {403}
    ingress = find(rendered, "NetworkPolicy", f"{proxy}-ingress")["spec"]["ingress"]
    assert [peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
            for rule in ingress for peer in rule["from"]] == [service.name]


@pytest.mark.parametrize("env_name", ENVS)
def test_the_pci_node_group_is_tainted_and_on_demand(infra, catalog: Catalog, env_name: str) -> None:
    env = catalog.environments[env_name]
    groups = resources(infra.json(naming.stack_name(env)), "aws_eks_node_group")
    pci = [group for group in groups.values() if group["node_group_name"] == naming.PCI_NODE_POOL]
    if env.node_groups.pci is None:
        assert not pci
        return
    (group,) = pci
    assert group["capacity_type"] == "ON_DEMAND"
    assert group["labels"] == {naming.NODE_POOL_LABEL: naming.PCI_NODE_POOL}
    assert group["taint"] == [{"key": naming.PCI_TAINT.key, "value": naming.PCI_TAINT.value,
                               "effect": "NO_SCHEDULE"}]
    assert group["scaling_config"]["min_size"] == env.node_groups.pci.min


def refused(tmp_path: Path, capsys: pytest.CaptureFixture[str], edit) -> list[str]:
    data = yaml.safe_load((ROOT / "platform.yaml").read_text())
    edit(data)
    path = tmp_path / "platform.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    capsys.readouterr()
    assert main.main(["synth", "--only", "kubernetes", "--catalog", str(path), "--out", str(tmp_path / "out")]) == 2
    assert not (tmp_path / "out").exists()
    return capsys.readouterr().err.splitlines()


def scoped_name() -> str:
    return PCI[0][1]


@pytest.mark.parametrize(("case", "edit", "expected"), [
    ("no pci pool", lambda data: [env["node_groups"].pop("pci") for env in data["environments"].values()],
     "node_groups.pci: " + "{service} is PCI-scoped: give the cardholder-data environment a pci node group"),
    ("shared Redis", lambda data: data["services"][scoped_name()]["depends_on"].update(redis=True),
     "services.{service}.depends_on.redis: a PCI-scoped service may not share the Redis keyspace"),
    ("GPU", lambda data: data["services"][scoped_name()].update(gpu={"enabled": True, "count": 1}),
     "services.{service}.gpu.enabled: a PCI-scoped service runs on the pci node group only"),
])
def test_the_catalog_refuses_what_pci_scope_cannot_have(tmp_path: Path, capsys, case: str, edit,
                                                        expected: str) -> None:
    errors = refused(tmp_path, capsys, edit)
    assert errors and all(expected.format(service=scoped_name()) in line for line in errors), errors


def test_environments_without_pci_services_need_no_pci_pool(catalog: Catalog) -> None:
    env: Environment = next(iter(catalog.environments.values()))
    plain = {name: service.model_copy(update={"pci_scope": False}) for name, service in env.services.items()}
    groups = env.node_groups.model_copy(update={"pci": None})
    bare = env.model_copy(update={"services": plain, "node_groups": groups})
    chart_objects = [obj for folder in manifests_by_folder(build_environment(catalog, bare)).values()
                     for obj in folder]
    assert not any(naming.PCI_TAINT.key in str(spec) for spec in pod_specs(chart_objects).values())
    assert not any(obj["kind"] == "Deployment" and obj["metadata"]["name"].endswith("-egress-proxy")
                   for obj in chart_objects)
