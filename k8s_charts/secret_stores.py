"""Secret stores scoped to one reader: each service (or add-on) reads its secrets as itself.

A cluster-wide store authenticates as External Secrets' own identity, so any ExternalSecret could read
any service's secrets and the per-service IAM and Vault scoping would mean nothing. Instead every
reader gets SecretStores in its own namespace that authenticate as its own ServiceAccount: Secrets
Manager through that account's IRSA role (which grants its own entries only, infra_stacks.irsa), Vault
through a Kubernetes-auth role bound to that account whose policy reads its own path only
(`vault_setup` writes the commands that create them; docs/generated/<env>/vault.md).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from catalog import Environment, naming

__all__ = ["VAULT_AUTH_MOUNT", "VAULT_KV_MOUNT", "VaultReader", "external_secret", "secrets_manager_store",
           "vault_address", "vault_setup", "vault_store"]

VAULT_KV_MOUNT = "secret"
VAULT_AUTH_MOUNT = "kubernetes"
# Short-lived Vault tokens: External Secrets logs in again at every refresh.
VAULT_TOKEN_TTL = "15m"
REFRESH_INTERVAL = "1h"
API_VERSION = "external-secrets.io/v1"


def vault_address(env: Environment) -> str:
    return f"https://vault.{env.domain}"


def vault_store(env: Environment, *, owner: str, account: naming.ServiceAccountRef,
                metadata: dict[str, Any]) -> dict[str, Any]:
    """Vault KV v2, logged in with the Kubernetes auth role of `owner`, as `account`."""
    return {
        "apiVersion": API_VERSION,
        "kind": "SecretStore",
        "metadata": metadata,
        "spec": {"provider": {"vault": {
            "server": vault_address(env),
            "path": VAULT_KV_MOUNT,
            "version": "v2",
            "auth": {"kubernetes": {"mountPath": VAULT_AUTH_MOUNT, "role": naming.vault_role(env, owner),
                                    "serviceAccountRef": {"name": account.name}}},
        }}},
    }


def secrets_manager_store(env: Environment, *, account: naming.ServiceAccountRef,
                          metadata: dict[str, Any]) -> dict[str, Any]:
    """AWS Secrets Manager through the IRSA role `account` is annotated with."""
    return {
        "apiVersion": API_VERSION,
        "kind": "SecretStore",
        "metadata": metadata,
        "spec": {"provider": {"aws": {
            "service": "SecretsManager",
            "region": env.region,
            "auth": {"jwt": {"serviceAccountRef": {"name": account.name}}},
        }}},
    }


def external_secret(*, metadata: dict[str, Any], store: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": API_VERSION,
        "kind": "ExternalSecret",
        "metadata": metadata,
        "spec": {"refreshInterval": REFRESH_INTERVAL, "secretStoreRef": {"kind": "SecretStore", "name": store},
                 **spec},
    }


class VaultReader(NamedTuple):
    """Who reads which Vault path (its `owner`'s) as which ServiceAccount, and the properties there."""

    owner: str
    account: naming.ServiceAccountRef
    properties: tuple[str, ...]


def vault_setup(env: Environment, readers: list[VaultReader]) -> str:
    """Markdown with the Vault commands that give each reader its policy and Kubernetes-auth role."""
    lines = [
        f"# Vault for {env.name}",
        "",
        "Each reader below gets a policy that reads",
        f"its own path under the `{VAULT_KV_MOUNT}/` KV v2 mount and nothing else, and a role of the",
        f"`{VAULT_AUTH_MOUNT}` auth method bound to its own ServiceAccount, so a SecretStore authenticated",
        "as one service can never read another's secrets. Run once per environment (and again after a",
        "reader is added), with a token allowed to write policies and roles:",
        "",
        "```sh",
        f"export VAULT_ADDR={vault_address(env)}",
    ]
    for owner, account, properties in readers:
        role = naming.vault_role(env, owner)
        path = naming.vault_secret_path(env, owner)
        lines += [
            "",
            f"# {owner}: {', '.join(properties)}",
            f"vault policy write {role} - <<'EOF'",
            f'path "{VAULT_KV_MOUNT}/data/{path}" {{ capabilities = ["read"] }}',
            "EOF",
            f"vault write auth/{VAULT_AUTH_MOUNT}/role/{role} \\",
            f"    bound_service_account_names={account.name} \\",
            f"    bound_service_account_namespaces={account.namespace} \\",
            f"    policies={role} ttl={VAULT_TOKEN_TTL}",
        ]
    lines += ["```", ""]
    return "\n".join(lines)
