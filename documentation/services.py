"""services.md: the service catalog of an environment, one row per service as resolved there.

Every cell comes from the resolved service (`env.services`) and the same naming and secret functions
the charts use, so a new service, or an environment's override, shows up here without an edit.
"""

from __future__ import annotations

from catalog import Catalog, Environment, Service, naming
from catalog.models import ComputeQuantities
from documentation.markdown import code, codes, table, yes_no
from k8s_charts.service_secrets import connections, vault_reader

__all__ = ["HEADERS", "POSTGRES", "REDIS", "dependencies", "page", "row", "secrets"]

HEADERS = ("Service", "Namespace", "Port", "Image", "Replicas (HPA)", "Disruption budget", "Requests", "Limits",
           "Depends on", "Secrets", "Public", "PCI scope")
# How the data stores read in a dependency list (and in architecture.md's dependency graph).
POSTGRES = "PostgreSQL"
REDIS = "Redis"


def _quantities(quantities: ComputeQuantities) -> str:
    return f"{quantities.cpu} CPU, {quantities.memory}"


def _autoscaling(service: Service) -> str:
    scaling = service.autoscaling
    return f"{scaling.min}-{scaling.max}, {scaling.metric} {scaling.target_utilization}%"


def _disruption_budget(service: Service) -> str:
    budget = service.disruption_budget
    if budget.min_available is not None:
        return f"minAvailable {budget.min_available}"
    return f"maxUnavailable {budget.max_unavailable}"


def dependencies(service: Service) -> list[str]:
    """What the service calls, in the catalog's order: services, then data stores, then internet hosts."""
    needs = service.depends_on
    stores = [name for name, used in ((POSTGRES, needs.postgres), (REDIS, needs.redis)) if used]
    return [*(code(name) for name in needs.services), *stores, *(f"{code(host)} (internet)" for host in needs.external)]


def secrets(env: Environment, service: Service) -> list[str]:
    """Its Vault path and properties (k8s_charts.service_secrets), and the Secrets Manager entries it reads."""
    found = []
    if reader := vault_reader(service):
        found.append(f"Vault {code(naming.vault_secret_path(env, reader.owner))}: {codes(reader.properties)}")
    if components := connections(service):
        found.append(f"Secrets Manager: {codes(naming.aws_secret_name(env, c) for c in components)}")
    return found


def row(env: Environment, service: Service) -> list[str]:
    return [
        code(service.name),
        code(service.namespace),
        str(service.port),
        code(naming.image_reference(env, service)),
        _autoscaling(service),
        _disruption_budget(service),
        _quantities(service.resources.requests),
        _quantities(service.resources.limits),
        ", ".join(dependencies(service)) or "—",
        "<br>".join(secrets(env, service)) or "—",
        yes_no(service.public),
        yes_no(service.pci_scope),
    ]


def page(catalog: Catalog, env: Environment) -> str:
    services = sorted(env.services.values(), key=lambda service: service.name)
    namespaces = sorted({service.namespace for service in services})
    lines = [
        f"# Services in {env.name}",
        "",
        f"{len(services)} services in {len(namespaces)} namespaces ({', '.join(namespaces)}), each as resolved",
        f"for {env.name} from `platform.yaml` (`service_defaults`, then the service, then the environment's",
        "overrides). Replicas are the autoscaler's range and the metric it scales on. Secrets are what the",
        "service's ExternalSecrets read as its own ServiceAccount: its Vault path and the properties there",
        "(see vault.md), and the connection details Terraform writes to Secrets Manager (see aws.md).",
        "Public services are reached from the internet through the edge; PCI-scoped ones run on the",
        f"dedicated {code(naming.PCI_NODE_POOL)} nodes.",
        "",
        *table(HEADERS, (row(env, service) for service in services)),
        "",
    ]
    return "\n".join(lines)
