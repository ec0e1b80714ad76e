"""Secrets scoped per reader: no cluster-wide store; each ExternalSecret reads through a SecretStore in its own
namespace that authenticates as its reader's own ServiceAccount; that account's IAM role (Terraform) grants
the Secrets Manager entries it reads, its Vault role (docs/generated/<env>/vault.md) the path it reads; the
External Secrets controller itself has no AWS role. Parametrized over the catalog's environments."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from infra_support import resources

from catalog import Catalog, load_catalog, naming
from k8s_charts.addons import ADDONS, kube_prometheus_stack

ROOT = Path(__file__).resolve().parent.parent
ENVS = list(load_catalog(ROOT / "platform.yaml").environments)


@pytest.fixture(scope="module")
def objects(platform_objects) -> dict[str, list[dict[str, Any]]]:
    return platform_objects


def owner_of(store: str) -> str:
    """The reader a SecretStore is named after (naming.secret_store_name)."""
    return re.sub(r"-(vault|secrets-manager)$", "", store)


def of_kind(objects: list[dict[str, Any]], kind: str) -> dict[tuple[str, str], dict[str, Any]]:
    return {(obj["metadata"].get("namespace", ""), obj["metadata"]["name"]): obj
            for obj in objects if obj["kind"] == kind}


@pytest.mark.parametrize("env_name", ENVS)
def test_no_store_reads_for_everyone(objects, env_name: str) -> None:
    assert not of_kind(objects[env_name], "ClusterSecretStore")


@pytest.mark.parametrize("env_name", ENVS)
def test_every_external_secret_reads_as_its_readers_own_account(objects, env_name: str) -> None:
    rendered = objects[env_name]
    stores = of_kind(rendered, "SecretStore")
    accounts = of_kind(rendered, "ServiceAccount")
    grafana = kube_prometheus_stack.GRAFANA_ACCOUNT
    secrets = of_kind(rendered, "ExternalSecret")
    assert secrets
    for (namespace, name), secret in secrets.items():
        reference = secret["spec"]["secretStoreRef"]
        assert reference["kind"] == "SecretStore", name
        store = stores[namespace, reference["name"]]
        provider = store["spec"]["provider"]
        auth = provider["vault"]["auth"]["kubernetes"] if "vault" in provider else provider["aws"]["auth"]["jwt"]
        account = auth["serviceAccountRef"]
        assert "namespace" not in account, "a store reads as an account of its own namespace"
        owner = owner_of(reference["name"])
        assert reference["name"] in (naming.secret_store_name(owner, "vault"),
                                     naming.secret_store_name(owner, "secrets-manager"))
        assert account["name"] == owner, (name, account)
        # The account exists beside the store: the service's own, or the one the Grafana chart creates.
        assert (namespace, owner) in accounts or (namespace, owner) == tuple(grafana), (name, owner)


@pytest.mark.parametrize("env_name", ENVS)
def test_each_service_role_grants_the_entries_its_stores_read(infra, catalog: Catalog, objects,
                                                              env_name: str) -> None:
    env = catalog.environments[env_name]
    data = infra.json(naming.stack_name(env))
    entries = {secret["name"]: address for address, secret in resources(data, "aws_secretsmanager_secret").items()}
    roles = {role["name"]: address for address, role in resources(data, "aws_iam_role").items()}
    policies = {policy["role"]: policy["policy"] for policy in resources(data, "aws_iam_role_policy").values()}
    for (namespace, _), secret in of_kind(objects[env_name], "ExternalSecret").items():
        if namespace == kube_prometheus_stack.GRAFANA_ACCOUNT.namespace:
            continue
        service = env.services[owner_of(secret["spec"]["secretStoreRef"]["name"])]
        role = roles[naming.service_role_name(env, service)]
        policy = policies[f"${{aws_iam_role.{role}.id}}"]
        for item in secret["spec"]["data"]:
            key = item["remoteRef"]["key"]
            if key in entries:  # a Secrets Manager entry Terraform writes (else a Vault path)
                assert f"aws_secretsmanager_secret.{entries[key]}.arn" in policy, (service.name, key)


@pytest.mark.parametrize("env_name", ENVS)
def test_each_vault_store_logs_in_with_a_role_that_reads_only_its_path(catalog: Catalog, objects,
                                                                      env_name: str) -> None:
    env = catalog.environments[env_name]
    page = (ROOT / "docs" / "generated" / env_name / "vault.md").read_text()
    vault_stores = [store for store in of_kind(objects[env_name], "SecretStore").values()
                    if "vault" in store["spec"]["provider"]]
    assert vault_stores
    for store in vault_stores:
        auth = store["spec"]["provider"]["vault"]["auth"]["kubernetes"]
        owner = owner_of(store["metadata"]["name"])
        assert auth["role"] == naming.vault_role(env, owner)
        paths = re.findall(rf"vault policy write {re.escape(auth['role'])} .*?\npath \"([^\"]+)\"", page)
        assert paths == [f"secret/data/{naming.vault_secret_path(env, owner)}"], owner
        binding = re.search(rf"role/{re.escape(auth['role'])} \\\n\s+bound_service_account_names=(\S+) \\\n"
                            r"\s+bound_service_account_namespaces=(\S+)", page)
        assert binding and binding.groups() == (auth["serviceAccountRef"]["name"],
                                                store["metadata"]["namespace"]), owner


@pytest.mark.parametrize("env_name", ENVS)
def test_grafana_logs_in_with_the_admin_secret_from_vault(catalog: Catalog, objects, env_name: str) -> None:
    values = ADDONS[kube_prometheus_stack.NAME].values(catalog.environments[env_name])["grafana"]
    secret = of_kind(objects[env_name], "ExternalSecret")[kube_prometheus_stack.GRAFANA_ACCOUNT.namespace,
                                                           values["admin"]["existingSecret"]]
    keys = {item["secretKey"] for item in secret["spec"]["data"]}
    assert keys == {values["admin"]["userKey"], values["admin"]["passwordKey"]}
    assert values["serviceAccount"]["name"] == kube_prometheus_stack.GRAFANA_ACCOUNT.name


@pytest.mark.parametrize("env_name", ENVS)
def test_the_external_secrets_controller_has_no_aws_role(infra, catalog: Catalog, env_name: str) -> None:
    env = catalog.environments[env_name]
    values = ADDONS["external-secrets"].values(env)
    assert "annotations" not in values["serviceAccount"]
    roles = [role["name"] for role in resources(infra.json(naming.stack_name(env)), "aws_iam_role").values()]
    assert not [role for role in roles if "external-secrets" in role]
