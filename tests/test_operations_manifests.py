"""operations.manifests: what gitops_out/<env> relies on, derived from the committed files and
checked against the catalog (never against hard-coded counts)."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalog import Catalog, load_catalog, naming
from operations import manifests

ROOT = Path(__file__).resolve().parent.parent
ENVS = tuple(load_catalog(ROOT / "platform.yaml").environments)
# Add-ons with an IRSA role whose ServiceAccount a manifest annotates (ebs-csi is an EKS add-on, set by Terraform).
ADDONS_IN_MANIFESTS = tuple(addon for addon in naming.ADDON_SERVICE_ACCOUNTS if addon != "ebs-csi")


@pytest.mark.parametrize("env_name", ENVS)
def test_aws_names_are_the_catalogs(catalog: Catalog, env_name: str) -> None:
    env = catalog.environments[env_name]
    names = manifests.aws_names(manifests.load(ROOT / "gitops_out", env_name))
    roles = {(use.arn, use.namespace, use.service_account) for use in names.roles}
    assert roles == {
        *((naming.role_arn(env, naming.service_role_name(env, s)), *naming.service_account(s))
          for s in env.services.values()),
        *((naming.role_arn(env, naming.addon_role_name(env, addon)), *naming.ADDON_SERVICE_ACCOUNTS[addon])
          for addon in ADDONS_IN_MANIFESTS),
    }
    stores = {component for component in ("postgres", "redis")
              if any(getattr(s.depends_on, component) for s in env.services.values())}
    assert set(names.secrets) == {naming.aws_secret_name(env, component) for component in stores}
    assert all({"host", "port"} <= properties for properties in names.secrets.values())
    assert set(names.buckets) == {naming.bucket_name(env, backend) for backend in ("loki", "tempo")}
    assert set(names.repositories) == {(env.account_id, env.region, naming.ecr_repository_name(s))
                                       for s in env.services.values()}


@pytest.mark.parametrize("env_name", ENVS)
def test_secret_stores_and_the_edge_are_read_from_the_manifests(catalog: Catalog, env_name: str) -> None:
    env = catalog.environments[env_name]
    names = manifests.aws_names(manifests.load(ROOT / "gitops_out", env_name))
    stack = naming.stack_name(env)
    assert set(names.target_groups) == {naming.target_group_name(stack)}
    assert set(names.hosts) == {naming.public_host(env)}
    aws_stores = {(store.namespace, store.service_account) for store in names.stores if store.provider == "aws"}
    with_aws_store = {tuple(naming.service_account(s)) for s in env.services.values()
                      if s.depends_on.postgres or s.depends_on.redis}
    assert aws_stores == with_aws_store
    assert aws_stores <= {(use.namespace, use.service_account) for use in names.roles}
    vault_stores = {(store.namespace, store.service_account) for store in names.stores if store.provider == "vault"}
    assert {tuple(naming.service_account(s)) for s in env.services.values() if s.vault_secrets} < vault_stores
    assert {(store.namespace, store.service_account) for store in names.stores} <= names.service_accounts
    # External Secrets reads as each reader, never as itself: its account has no role.
    controller = (naming.ADDON_NAMESPACES["external-secrets"], "external-secrets")
    assert controller in names.service_accounts
    assert controller not in {(use.namespace, use.service_account) for use in names.roles}


@pytest.mark.parametrize("env_name", ENVS)
def test_expected_objects_follow_the_catalog(catalog: Catalog, env_name: str) -> None:
    env = catalog.environments[env_name]
    expected = manifests.expected_objects(manifests.load(ROOT / "gitops_out", env_name))
    workloads = {(s.namespace, s.name) for s in env.services.values()}
    proxies = {(s.namespace, naming.egress_proxy_name(s)) for s in env.services.values()
               if s.pci_scope and s.depends_on.external}
    assert workloads | proxies <= expected.deployments
    assert workloads | proxies <= expected.disruption_budgets
    minimums = {(s.namespace, s.name): s.autoscaling.min for s in env.services.values()}
    assert {key: expected.autoscaling_minimums[key] for key in minimums} == minimums
    assert set(expected.autoscaling_minimums) == workloads | proxies
    assert {("argocd", s.name) for s in env.services.values()} <= expected.applications  # the ApplicationSet's
    assert ("argocd", "root") in expected.applications
    assert {namespace for namespace, _ in expected.certificates} == {naming.EDGE_NAMESPACE}  # the edge's
    with_app_secrets = {(s.namespace, f"{s.name}-app") for s in env.services.values() if s.vault_secrets}
    assert expected.external_secrets >= with_app_secrets


def test_a_missing_environment_folder_says_what_to_run(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"run `python main\.py synth` first"):
        manifests.load(tmp_path, "dev")
