"""The generated pages (docs/generated/<env>/: services.md, architecture.md, aws.md) say what the catalog and
the stacks say: every service with its namespace, port and image; the dependency graph is `depends_on`;
the diagrams are Mermaid a renderer accepts; aws.md shows only values the synthesized stacks hold and lists
every resource of the kinds it lists. Parametrized over the catalog's environments and services."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from catalog_params import CATALOG, ENV_SERVICES, ENVIRONMENTS
from infra_support import resources
from mermaid_support import Unavailable, blocks, parse, structure_problems

from catalog import naming
from documentation import HEADER, PAGES, documentation_files
from documentation.architecture import EDGE_ADDON
from documentation.mermaid import ID, node_id
from documentation.services import POSTGRES, REDIS
from k8s_charts.addons import ADDONS
from k8s_charts.service_secrets import connections
from preview.terraform import strip_metadata

# The resource kinds aws.md lists in full, by the attribute it shows.
LISTED = {
    "aws_db_instance": "identifier", "aws_ecr_repository": "name", "aws_eks_node_group": "node_group_name",
    "aws_eks_cluster": "name", "aws_kms_alias": "name", "aws_s3_bucket": "bucket", "aws_iam_role": "name",
    "aws_elasticache_replication_group": "replication_group_id", "aws_elasticache_user": "user_id",
    "aws_wafv2_web_acl": "name", "aws_dynamodb_table": "name", "aws_lb": "name", "aws_lb_target_group": "name",
    "aws_security_group": "name", "aws_secretsmanager_secret": "name", "aws_subnet": "cidr_block",
    "aws_vpc": "cidr_block",
}


@pytest.fixture(scope="module")
def pages() -> dict[str, dict[str, str]]:
    """Every page of every environment, rendered once: pages[env][page]."""
    files = documentation_files(CATALOG, ENVIRONMENTS)
    return {env: {page: files[f"{env}/{page}"].decode() for page in PAGES} for env in ENVIRONMENTS}


def table_rows(markdown: str) -> Iterator[dict[str, str]]:
    """Every row of every pipe table, as {header: cell}."""
    headers: list[str] = []
    for line in markdown.splitlines():
        if not line.startswith("|"):
            headers = []
            continue
        cells = [cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", line)[1:-1]]
        if not headers:
            headers = cells
        elif set(cells) != {"---"}:
            yield dict(zip(headers, cells, strict=True))


def row_of(markdown: str, first_cell: str) -> dict[str, str]:
    found = [row for row in table_rows(markdown) if next(iter(row.values())) == first_cell]
    assert len(found) == 1, f"{len(found)} rows start with {first_cell}"
    return found[0]


def spans(markdown: str) -> set[str]:
    return set(re.findall(r"`([^`\n]+)`", markdown))


# --- services.md ---


@pytest.mark.parametrize(("env_name", "service_name"), ENV_SERVICES)
def test_every_service_is_listed_with_what_it_runs(pages, env_name: str, service_name: str) -> None:
    env = CATALOG.environments[env_name]
    service = env.services[service_name]
    row = row_of(pages[env_name]["services.md"], f"`{service_name}`")
    assert row["Namespace"] == f"`{service.namespace}`"
    assert row["Port"] == str(service.port)
    assert row["Image"] == f"`{naming.image_reference(env, service)}`"
    assert row["Replicas (HPA)"].startswith(f"{service.autoscaling.min}-{service.autoscaling.max},")
    assert row["Requests"] == f"{service.resources.requests.cpu} CPU, {service.resources.requests.memory}"
    assert row["Limits"] == f"{service.resources.limits.cpu} CPU, {service.resources.limits.memory}"
    assert (row["Public"], row["PCI scope"]) == (("yes" if service.public else "no"),
                                                 ("yes" if service.pci_scope else "no"))
    needs = service.depends_on
    for name in (*needs.services, *needs.external):
        assert f"`{name}`" in row["Depends on"]
    assert (POSTGRES in row["Depends on"], REDIS in row["Depends on"]) == (needs.postgres, needs.redis)
    read = spans(row["Secrets"])
    assert {*service.vault_secrets, *(naming.aws_secret_name(env, c) for c in connections(service))} <= read
    assert (naming.vault_secret_path(env, service.name) in read) == bool(service.vault_secrets)


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_services_page_has_one_row_per_service(pages, env_name: str) -> None:
    rows = [row["Service"] for row in table_rows(pages[env_name]["services.md"])]
    assert rows == [f"`{name}`" for name in sorted(CATALOG.environments[env_name].services)]


# --- architecture.md ---


def diagram_nodes(text: str) -> dict[str, str]:
    """Node id -> label."""
    return dict(re.findall(r'^\s*([A-Za-z]\w*)[\[({]+"([^"]*)"[\])}]+$', text, flags=re.MULTILINE))


def diagram_edges(text: str) -> set[tuple[str, str]]:
    return set(re.findall(r"^\s*(\w+) -\.?->(?:\|[^|]*\|)? (\w+)$", text, flags=re.MULTILINE))


def enclosing(text: str) -> dict[str, list[str]]:
    """Node or subgraph id -> the subgraphs it sits in, innermost last."""
    stack: list[str] = []
    found = {}
    for line in text.splitlines():
        line = line.strip()
        if line == "end":
            stack.pop()
        elif opened := re.match(r"^subgraph (\w+)", line):
            found[opened[1]] = list(stack)
            stack.append(opened[1])
        elif declared := re.match(r'^(\w+)[\[({]+"', line):
            found[declared[1]] = list(stack)
    return found


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_dependency_graph_is_the_catalogs_depends_on(pages, env_name: str) -> None:
    _, dependencies = blocks(pages[env_name]["architecture.md"])
    labels = diagram_nodes(dependencies)
    drawn = {(labels[source], labels[target]) for source, target in diagram_edges(dependencies)}
    expected = set()
    for service in CATALOG.environments[env_name].services.values():
        needs = service.depends_on
        stores = [store for store, used in ((POSTGRES, needs.postgres), (REDIS, needs.redis)) if used]
        expected |= {(service.name, target) for target in (*needs.services, *stores, *needs.external)}
    assert drawn == expected


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_architecture_puts_services_and_addons_in_their_namespaces(pages, env_name: str) -> None:
    env = CATALOG.environments[env_name]
    overview = blocks(pages[env_name]["architecture.md"])[0]
    places, edges = enclosing(overview), diagram_edges(overview)
    inside_cluster = ["aws_account", "aws_vpc", "aws_eks"]
    for service in env.services.values():
        assert places[node_id("svc", service.name)] == [*inside_cluster, node_id("ns", service.namespace)]
        reached = (node_id("addon", EDGE_ADDON), node_id("svc", service.name)) in edges
        assert reached == service.public
    for addon in ADDONS.values():
        assert places[node_id("addon", addon.name)] == [*inside_cluster, node_id("ns", addon.namespace)]
    assert {("internet", "aws_dns"), ("aws_dns", "aws_alb"), ("aws_waf", "aws_alb"),
            ("aws_alb", node_id("addon", EDGE_ADDON))} <= edges


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_every_mermaid_block_is_well_formed(pages, env_name: str) -> None:
    assert len(blocks(pages[env_name]["architecture.md"])) == 2
    problems = {f"{page}#{index}": structure_problems(text) for page, markdown in pages[env_name].items()
                for index, text in enumerate(blocks(markdown))}
    assert {where: found for where, found in problems.items() if found} == {}


def test_the_structure_check_finds_broken_diagrams(pages) -> None:
    text = blocks(pages[ENVIRONMENTS[0]]["architecture.md"])[0]
    broken = [text.replace("\n    end\n", "\n", 1), text + "  end\n", text + "  svc_a --> nowhere\n",
              text.replace('"]', "]", 1), text + '  end["x"]\n', "graph LR\n  a --> b\n"]
    assert all(structure_problems(variant) for variant in broken)


def test_mermaid_parses_every_diagram(pages) -> None:
    """Mermaid's own parser (tests/mermaid_support.py), over every diagram and one broken on purpose."""
    diagrams = {f"{env}/{page}#{index}": text for env, rendered in pages.items() for page, markdown in rendered.items()
                for index, text in enumerate(blocks(markdown))}
    try:
        results = parse([*diagrams.values(), "flowchart LR\n  subgraph a\n    b --> \n"])
    except Unavailable as reason:
        pytest.skip(f"Mermaid's parser is not available: {reason}")
    assert results[-1] is not None, "the parser accepted a broken diagram"
    assert dict(zip(diagrams, results[:-1], strict=True)) == dict.fromkeys(diagrams)


def test_node_ids_are_safe_and_one_to_one() -> None:
    names = ["a-b", "a.b", "a--b", "a-b.c", "a.b-c", "a-d-b", "end", "x-ray", "o.example.com", "4xx"]
    ids = [node_id("ext", name) for name in names]
    assert len(set(ids)) == len(names)
    assert all(ID.match(node) for node in ids)
    with pytest.raises(ValueError):
        node_id("ext", 'a"b')


# --- aws.md ---


def leaves(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for value in node.values():
            yield from leaves(value)
    elif isinstance(node, list):
        for value in node:
            yield from leaves(value)
    elif isinstance(node, str):
        yield node
        if node.startswith("${"):  # a literal inside a Terraform expression, e.g. join("-", ["<name>", ...])
            yield from re.findall(r'"([^"]*)"', node)


def stacks_of(env_name: str) -> list[str]:
    env = CATALOG.environments[env_name]
    return [naming.stack_name(env), naming.state_stack_name(env)]


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_aws_page_shows_only_values_the_stacks_hold(infra, pages, env_name: str) -> None:
    """Every name and figure in a code span is a value in the synthesized Terraform of the environment."""
    held = set(stacks_of(env_name))
    for stack in stacks_of(env_name):
        held |= set(leaves(strip_metadata(infra.json(stack))))
    shown = spans(pages[env_name]["aws.md"].removeprefix(HEADER))
    assert len(shown) > len(LISTED)
    assert shown - held == set()


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_aws_page_lists_every_resource_of_the_kinds_it_lists(infra, pages, env_name: str) -> None:
    """Each database, repository, node group, key, bucket, role... the stacks create is on the page."""
    shown = spans(pages[env_name]["aws.md"])
    made = {(kind, resource[attribute]) for stack in stacks_of(env_name) for kind, attribute in LISTED.items()
            for resource in resources(infra.json(stack), kind).values()}
    assert {kind for kind, _ in made} == set(LISTED)
    assert {(kind, name) for kind, name in made if name not in shown} == set()


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_aws_page_figures_are_the_stacks(infra, pages, env_name: str) -> None:
    page, stack = pages[env_name]["aws.md"], infra.json(stacks_of(env_name)[0])
    for group in resources(stack, "aws_eks_node_group").values():
        row, scaling = row_of(page, f"`{group['node_group_name']}`"), group["scaling_config"]
        assert spans(row["Instance types"]) == set(group["instance_types"])
        assert (row["Min"], row["Desired"], row["Max"]) == tuple(
            str(scaling[key]) for key in ("min_size", "desired_size", "max_size"))
    (database,) = resources(stack, "aws_db_instance").values()
    settings = {row["Setting"]: row["Value"] for row in table_rows(page) if "Setting" in row}
    assert settings["Instance class"] == f"`{database['instance_class']}`"
    assert settings["Storage"] == f"{database['allocated_storage']} GB"
    assert settings["Multi-AZ"] == ("yes" if database["multi_az"] else "no")
    assert settings["Backup retention"].split()[0] == str(database["backup_retention_period"])
    (cache,) = resources(stack, "aws_elasticache_replication_group").values()
    assert settings["Node type"] == f"`{cache['node_type']}`"
    assert settings["Nodes"].split()[0] == str(cache["num_cache_clusters"])


# --- every page ---


def test_pages_are_deterministic() -> None:
    """Two renders, the environments in either order, give the same bytes."""
    first = documentation_files(CATALOG, ENVIRONMENTS)
    assert documentation_files(CATALOG, ENVIRONMENTS[::-1]) == first
    assert set(first) == {f"{env}/{page}" for env in ENVIRONMENTS for page in PAGES}
