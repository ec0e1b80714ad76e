"""The Vault policies and Kubernetes-auth roles an environment needs: one per reader, each reading only its
own path (k8s_charts.secret_stores)."""

from __future__ import annotations

from catalog import Catalog, Environment
from k8s_charts.addons import kube_prometheus_stack
from k8s_charts.secret_stores import VaultReader, vault_setup
from k8s_charts.service_secrets import vault_reader

__all__ = ["page", "readers"]


def readers(env: Environment) -> list[VaultReader]:
    """Every service that reads Vault, and Grafana (its admin login)."""
    grafana = VaultReader(kube_prometheus_stack.GRAFANA_VAULT, kube_prometheus_stack.GRAFANA_ACCOUNT,
                          tuple(kube_prometheus_stack.GRAFANA_ADMIN_KEYS.values()))
    services = [reader for service in env.services.values() if (reader := vault_reader(service))]
    return [*sorted(services), grafana]


def page(catalog: Catalog, env: Environment) -> str:
    return vault_setup(env, readers(env))
