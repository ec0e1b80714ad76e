"""operations.manifests: what gitops_out/<env> relies on, derived from the committed files and
checked against the catalog (never against hard-coded counts)."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalog import Catalog, naming
from operations import manifests

ROOT = Path(__file__).resolve().parent.parent
ENVS = ("dev", "staging", "prod")
ADDONS_IN_MANIFESTS = ("cert-manager", "external-secrets", "loki", "tempo")  # ebs-csi is an EKS add-on


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
def test_expected_objects_follow_the_catalog(catalog: Catalog, env_name: str) -> None:
    env = catalog.environments[env_name]
    expected = manifests.expected_objects(manifests.load(ROOT / "gitops_out", env_name))
    workloads = {(s.namespace, s.name) for s in env.services.values()}
    assert expected.deployments == workloads == expected.disruption_budgets
    assert expected.autoscaling_minimums == {(s.namespace, s.name): s.autoscaling.min for s in env.services.values()}
    assert {("argocd", s.name) for s in env.services.values()} <= expected.applications  # the ApplicationSet's
    assert ("argocd", "root") in expected.applications
    assert expected.certificates == {(s.namespace, f"{s.name}-tls") for s in env.services.values() if s.public}
    with_app_secrets = {(s.namespace, f"{s.name}-app") for s in env.services.values() if s.vault_secrets}
    assert expected.external_secrets >= with_app_secrets


def test_a_missing_environment_folder_says_what_to_run(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"run `python main\.py synth` first"):
        manifests.load(tmp_path, "dev")
