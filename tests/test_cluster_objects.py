"""ClusterObjectsChart: certificate issuers, secret stores and (tests/test_edge_objects.py) the edge."""

from __future__ import annotations

from typing import Any

import cdk8s
import pytest
from catalog_params import ENVIRONMENTS
from crd_validation import CRD_DIR, validate_builtin, validate_custom

from catalog import Catalog, naming
from k8s_charts.addons import kube_prometheus_stack
from k8s_charts.cluster_objects import ClusterObjectsChart
from validation.schemas import is_builtin

Rendered = dict[tuple[str, str], dict[str, Any]]


@pytest.fixture(scope="module")
def rendered(catalog: Catalog) -> dict[str, Rendered]:
    out = {}
    for env in catalog.environments.values():
        chart = ClusterObjectsChart(cdk8s.Testing.app(), "chart", catalog=catalog, env=env)
        out[env.name] = {(o["kind"], o["metadata"]["name"]): o for o in cdk8s.Testing.synth(chart)}
    return out


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_objects_validate_strictly(catalog: Catalog, rendered: dict[str, Rendered], env_name: str) -> None:
    if not CRD_DIR.is_dir():
        pytest.skip(f"no CRD folder at {CRD_DIR}")
    version = catalog.environments[env_name].kubernetes_version
    for (kind, name), obj in rendered[env_name].items():
        errors = validate_builtin(obj, version) if is_builtin(obj["apiVersion"]) else validate_custom(obj)
        assert errors == [], (kind, name)


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_cluster_issuers_solve_dns01_in_route53_with_irsa(catalog: Catalog, rendered, env_name: str) -> None:
    env = catalog.environments[env_name]
    servers = {
        "letsencrypt-production": "https://acme-v02.api.letsencrypt.org/directory",
        "letsencrypt-staging": "https://acme-staging-v02.api.letsencrypt.org/directory",
    }
    for name, server in servers.items():
        acme = rendered[env_name][("ClusterIssuer", name)]["spec"]["acme"]
        assert acme["server"] == server
        (solver,) = acme["solvers"]
        assert solver["selector"] == {"dnsZones": [env.domain]}
        # Ambient credentials: no keys and no role to assume, cert-manager's IRSA role does it.
        assert solver["dns01"]["route53"] == {"region": env.region, "hostedZoneID": env.route53_zone_id}


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_grafanas_admin_login_comes_from_vault_as_grafana(catalog: Catalog, rendered, env_name: str) -> None:
    """The only secret store among the cluster-wide objects is Grafana's own (tests/test_secret_scoping.py has
    the rule for every store)."""
    env = catalog.environments[env_name]
    stores = {name: obj for (kind, name), obj in rendered[env_name].items() if kind == "SecretStore"}
    assert list(stores) == [naming.secret_store_name(kube_prometheus_stack.GRAFANA_VAULT, "vault")]
    vault = next(iter(stores.values()))["spec"]["provider"]["vault"]
    assert vault["server"] == f"https://vault.{env.domain}" and vault["version"] == "v2"
    assert vault["auth"]["kubernetes"] == {"mountPath": "kubernetes",
                                           "role": naming.vault_role(env, kube_prometheus_stack.GRAFANA_VAULT),
                                           "serviceAccountRef": {"name": kube_prometheus_stack.GRAFANA_ACCOUNT.name}}
    assert not [kind for kind, _ in rendered[env_name] if kind == "ClusterSecretStore"]
