"""A service's secrets: its own SecretStores and the ExternalSecrets that fill the Secrets it reads.

Vault holds the application secrets the catalog lists (one property each, at the service's own path);
Secrets Manager holds the connection details Terraform writes (database and Redis endpoints; no
passwords: both use IAM authentication). Each store authenticates as the service's own
ServiceAccount (k8s_charts.secret_stores), in the service's own folder, so Argo CD syncs and prunes
them with the service.
"""

from __future__ import annotations

from typing import Any

from catalog import Environment, Service, naming
from k8s_charts.manifest import ChartPart, FolderChart, emit, standard_labels
from k8s_charts.secret_stores import VaultReader, external_secret, secrets_manager_store, vault_store
from k8s_charts.service import env_var

__all__ = ["CONNECTION_KEYS", "ServiceSecrets", "connections", "vault_reader"]

COMPONENT = "secrets"
# Secrets Manager JSON keys the Terraform side writes, mapped to the variables the service reads.
CONNECTION_KEYS = {
    "postgres": {"POSTGRES_HOST": "host", "POSTGRES_PORT": "port", "POSTGRES_DB": "dbname"},
    "redis": {"REDIS_HOST": "host", "REDIS_PORT": "port"},
}


def vault_reader(service: Service) -> VaultReader | None:
    """What the service reads from Vault, for the Vault setup it needs; None when it reads nothing there."""
    if not service.vault_secrets:
        return None
    return VaultReader(service.name, naming.service_account(service), service.vault_secrets)


def connections(service: Service) -> tuple[str, ...]:
    """The components (CONNECTION_KEYS) whose connection details the service reads from Secrets Manager."""
    return tuple(component for component in CONNECTION_KEYS if getattr(service.depends_on, component))


class ServiceSecrets(ChartPart):
    """SecretStores (Vault, Secrets Manager: those the service reads) and one ExternalSecret per Secret."""

    def __init__(self, scope: ChartPart | FolderChart, construct_id: str, *, env: Environment,
                 service: Service) -> None:
        super().__init__(scope, construct_id)
        self.env, self.service = env, service
        self.labels = standard_labels(name=service.name, component=COMPONENT, version=service.image_tag)
        account = naming.service_account(service)
        manifests = []
        if service.vault_secrets:
            store = naming.secret_store_name(service.name, "vault")
            manifests += [vault_store(env, owner=service.name, account=account, metadata=self._metadata(store)),
                          self._vault_secret(store)]
        if components := connections(service):
            store = naming.secret_store_name(service.name, "secrets-manager")
            manifests.append(secrets_manager_store(env, account=account, metadata=self._metadata(store)))
            manifests += [self._connection_secret(store, component) for component in components]
        for manifest in manifests:
            emit(self, f"{manifest['kind']}-{manifest['metadata']['name']}", manifest)

    def _metadata(self, name: str) -> dict[str, Any]:
        return {"name": name, "namespace": self.service.namespace, "labels": self.labels}

    def _vault_secret(self, store: str) -> dict[str, Any]:
        """One Vault KV property per secret the catalog lists, at the service's own path."""
        service = self.service
        name = naming.kubernetes_secret_name(service, "app")
        path = naming.vault_secret_path(self.env, service.name)
        return external_secret(metadata=self._metadata(name), store=store, spec={
            "target": {"name": name, "creationPolicy": "Owner"},
            "data": [{"secretKey": env_var(secret), "remoteRef": {"key": path, "property": secret}}
                     for secret in service.vault_secrets],
        })

    def _connection_secret(self, store: str, component: str) -> dict[str, Any]:
        """Endpoint from Secrets Manager; the user is the service's own IAM-authenticated login (no password)."""
        service = self.service
        name = naming.kubernetes_secret_name(service, component)
        keys = CONNECTION_KEYS[component]
        user = naming.postgres_user(service) if component == "postgres" else naming.redis_user(self.env, service)
        template = {variable: f"{{{{ .{key} }}}}" for variable, key in keys.items()}
        template[f"{component.upper()}_USER"] = user
        return external_secret(metadata=self._metadata(name), store=store, spec={
            "target": {"name": name, "creationPolicy": "Owner",
                       "template": {"engineVersion": "v2", "data": dict(sorted(template.items()))}},
            "data": [{"secretKey": key, "remoteRef": {"key": naming.aws_secret_name(self.env, component),
                                                      "property": key}}
                     for key in sorted(set(keys.values()))],
        })
