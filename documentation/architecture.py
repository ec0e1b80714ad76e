"""architecture.md: how an environment fits together, and who calls whom, as two Mermaid flowcharts.

Everything drawn comes from the catalog (services, namespaces, data stores, sizes) and from the add-on
registry (k8s_charts.addons: each add-on's namespace, version and declared network flows), so a new
service or add-on appears without an edit here.
"""

from __future__ import annotations

from collections.abc import Iterable

from catalog import Catalog, Environment, Service, naming
from catalog.rules.names import BUCKETS
from documentation import aws
from documentation.mermaid import Flowchart, node_id
from documentation.services import POSTGRES, REDIS
from k8s_charts.addons import ADDONS, Addon, nginx_gateway_fabric

__all__ = ["EDGE_ADDON", "dependency_graph", "overview", "page"]

# The add-on whose data plane the load balancer forwards to, and that routes to the public services.
EDGE_ADDON = nginx_gateway_fabric.ADDON.name
STORES = {"postgres": POSTGRES, "redis": REDIS}
PUBLIC_STYLE = "stroke:#1f6feb,stroke-width:3px"
PCI_STYLE = "fill:#fde2e2,stroke:#c0392b"


def _services(env: Environment) -> list[Service]:
    return sorted(env.services.values(), key=lambda service: service.name)


def _stores_used(services: Iterable[Service]) -> list[str]:
    """The data stores (STORES keys) any of `services` depends on."""
    listed = list(services)
    return [store for store in STORES if any(getattr(s.depends_on, store) for s in listed)]


def _namespaces(catalog: Catalog, env: Environment) -> dict[str, tuple[list[Service], list[Addon]]]:
    """The namespaces that hold something, the catalog's first, each with its services and add-ons."""
    names = dict.fromkeys([*catalog.namespaces, *(addon.namespace for addon in ADDONS.values())])
    held = {name: ([s for s in _services(env) if s.namespace == name],
                   [addon for addon in ADDONS.values() if addon.namespace == name]) for name in names}
    return {name: (services, addons) for name, (services, addons) in held.items() if services or addons}


def _styles(chart: Flowchart, env: Environment) -> None:
    chart.style("public", PUBLIC_STYLE, (node_id("svc", s.name) for s in _services(env) if s.public))
    chart.style("pci", PCI_STYLE, (node_id("svc", s.name) for s in _services(env) if s.pci_scope))


def _cluster(chart: Flowchart, catalog: Catalog, env: Environment) -> dict[str, str]:
    """The EKS cluster with one subgraph per namespace; returns the subgraph of each workload namespace."""
    workloads = {}
    with chart.subgraph("aws_eks", f"EKS {naming.eks_cluster_name(env)} · Kubernetes {env.kubernetes_version}"):
        for namespace, (services, addons) in _namespaces(catalog, env).items():
            with chart.subgraph(node_id("ns", namespace), f"namespace {namespace}") as graph:
                for addon in addons:
                    chart.node(node_id("addon", addon.name), f"{addon.name} {addon.version}", "rounded")
                for service in services:
                    chart.node(node_id("svc", service.name), f"{service.name} :{service.port}")
            if services:
                workloads[namespace] = graph
    return workloads


def _aws(chart: Flowchart, catalog: Catalog, env: Environment) -> dict[str, str]:
    """The account: edge, registry, keys, buckets and the VPC with the cluster and data stores."""
    stack = naming.stack_name(env)
    with chart.subgraph("aws_account", f"AWS account {env.account_id} · {env.region}"):
        chart.node("aws_dns", f"Route53 {naming.public_host(env)}")
        chart.node("aws_waf", f"WAF web ACL {naming.waf_acl_name(stack)}")
        chart.node("aws_alb", f"ALB {naming.load_balancer_name(stack)}")
        chart.node("aws_ecr", f"ECR · {len(env.services)} repositories")
        chart.node("aws_kms", f"KMS · {len(aws.kms_aliases(env))} customer keys, rotated yearly")
        for addon in ADDONS:
            if addon in BUCKETS:  # an add-on with a bucket of its own: named after it (infra_stacks.monitoring)
                chart.node(node_id("bucket", addon), f"S3 {naming.bucket_name(env, addon)}", "database")
        zones = ", ".join(env.availability_zones)
        with chart.subgraph("aws_vpc", f"VPC {naming.vpc_name(stack)} · {env.vpc_cidr} · {zones}"):
            workloads = _cluster(chart, catalog, env)
            stores = {"postgres": f"RDS {POSTGRES} {naming.postgres_identifier(stack)}",
                      "redis": f"ElastiCache {REDIS} {naming.redis_group_id(stack)}"}
            for store in _stores_used(env.services.values()):
                chart.node(node_id("store", store), stores[store], "database")
    return workloads


def _edge_flows(chart: Flowchart, env: Environment) -> None:
    """Internet -> Route53 -> ALB (with the WAF) -> the NGINX data plane -> each public service."""
    chart.edge("internet", "aws_dns")
    chart.edge("aws_dns", "aws_alb")
    chart.edge("aws_waf", "aws_alb", "filters", dotted=True)
    chart.edge("aws_alb", node_id("addon", EDGE_ADDON), "HTTPS")
    for service in _services(env):
        if service.public:
            chart.edge(node_id("addon", EDGE_ADDON), node_id("svc", service.name), "HTTPRoute")


def _store_flows(chart: Flowchart, env: Environment, workloads: dict[str, str]) -> None:
    """Each workload namespace to the data stores its services use; the keys that encrypt them."""
    for namespace, graph in workloads.items():
        for store in _stores_used(s for s in env.services.values() if s.namespace == namespace):
            chart.edge(graph, node_id("store", store))
    for store in _stores_used(env.services.values()):
        chart.edge("aws_kms", node_id("store", store), "encrypts", dotted=True)


def _addon_flows(chart: Flowchart, addon: Addon, workloads: dict[str, str]) -> None:
    """What the add-on declares: Argo CD syncs from git and deploys, Prometheus scrapes, Tempo receives."""
    source = node_id("addon", addon.name)
    if addon.bootstrap:
        chart.edge("git", source, "syncs")
    for graph in workloads.values():
        if addon.bootstrap:
            chart.edge(source, graph, "deploys", dotted=True)
        if addon.network.scrapes_cluster:
            chart.edge(source, graph, "scrapes", dotted=True)
        if addon.network.workload_ports:
            chart.edge(graph, source, "telemetry", dotted=True)
    if addon.name in BUCKETS:
        chart.edge(source, node_id("bucket", addon.name))


def overview(catalog: Catalog, env: Environment) -> Flowchart:
    chart = Flowchart("LR")
    chart.node("internet", "Internet", "circle")
    project = catalog.project
    chart.node("git", f"Git {project.gitops_repo_url} @ {project.gitops_revision}: gitops_out/{env.name}",
               "database")
    workloads = _aws(chart, catalog, env)
    _edge_flows(chart, env)
    _store_flows(chart, env, workloads)
    for addon in ADDONS.values():
        _addon_flows(chart, addon, workloads)
    chart.edge("aws_ecr", "aws_eks", "images", dotted=True)
    _styles(chart, env)
    return chart


def dependency_graph(env: Environment) -> Flowchart:
    """An edge from each service to what it calls: services, data stores, internet hosts (depends_on)."""
    chart = Flowchart("LR")
    for service in _services(env):
        chart.node(node_id("svc", service.name), service.name)
    for store in _stores_used(env.services.values()):
        chart.node(node_id("store", store), STORES[store], "database")
    hosts = sorted({host for service in _services(env) for host in service.depends_on.external})
    for host in hosts:
        chart.node(node_id("ext", host), host, "hexagon")
    for service in _services(env):
        source = node_id("svc", service.name)
        for target in service.depends_on.services:
            chart.edge(source, node_id("svc", target))
        for store in STORES:
            if getattr(service.depends_on, store):
                chart.edge(source, node_id("store", store))
        for host in service.depends_on.external:
            chart.edge(source, node_id("ext", host))
    _styles(chart, env)
    return chart


def page(catalog: Catalog, env: Environment) -> str:
    lines = [
        f"# Architecture of {env.name}",
        "",
        "Requests from the internet reach the public services through Route53, the ALB with the WAF web ACL",
        "and the NGINX Gateway Fabric data plane; every namespace is a subgraph of the EKS cluster, drawn with",
        "the add-ons Argo CD installs there and the services of the catalog. Dotted lines are the add-ons'",
        "declared flows (deploying, scraping, telemetry) and what the AWS side provides. Public services have",
        "a thick blue border, PCI-scoped ones a red fill. aws.md lists each AWS resource by name.",
        "",
        *overview(catalog, env).markdown(),
        "",
        "## Service dependencies",
        "",
        "Who calls whom (`depends_on` in `platform.yaml`): other services, the data stores, and hosts on the",
        "internet.",
        "",
        *dependency_graph(env).markdown(),
        "",
    ]
    return "\n".join(lines)
