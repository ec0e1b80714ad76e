"""catalog.naming: each name rule refuses what its service refuses, and the inventories match the output."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from catalog_params import ENVIRONMENTS, WORKLOAD_NAMESPACES

from catalog import Catalog, naming
from catalog.naming import InvalidName, KubernetesObject

ROOT = Path(__file__).resolve().parent.parent

REFUSED = [
    (naming.IAM_ROLE, "a" * (naming.IAM_ROLE.max_length + 1), "over the limit of 64: shorten"),
    (naming.IAM_ROLE, "role name", "must be letters, digits and +=,.@_-"),
    (naming.S3_BUCKET, "ab", "is shorter than 3 characters"),
    (naming.S3_BUCKET, "Payledger-logs", "must be lowercase letters"),
    (naming.S3_BUCKET, "payledger-logs-", "starting and ending with a letter or digit"),
    (naming.S3_BUCKET, "payledger..logs", "must be lowercase letters"),
    (naming.S3_BUCKET, "192.168.5.4", "not like an IP address"),
    (naming.S3_BUCKET, "xn--payledger", "must not start with 'xn--'"),
    (naming.S3_BUCKET, "payledger-s3alias", "must not end with '-s3alias'"),
    (naming.S3_BUCKET, "payledger--ol-s3", "must not end with '--ol-s3'"),
    (naming.ELASTICACHE_GROUP, "1payledger-redis", "must be a lowercase letter, then"),
    (naming.ELASTICACHE_USER, "payledger--dev", "single hyphens"),
    (naming.ELASTICACHE_USER, "payledger-dev-", "not ending with a hyphen"),
    (naming.ELASTICACHE_USER, "p" * 41, "over the limit of 40"),
    (naming.RDS_INSTANCE, "payledger-", "not ending with a hyphen"),
    (naming.RDS_INSTANCE, "payledger--dev-postgres", "single hyphens"),
    (naming.KMS_ALIAS, "alias/aws/ebs", "must not start with 'alias/aws/'"),
    (naming.KMS_ALIAS, "payledger-logs", "must be 'alias/'"),
    (naming.EKS_CLUSTER, "-payledger", "must be a letter or digit, then"),
    (naming.DYNAMODB_TABLE, "ab", "is shorter than 3 characters"),
    (naming.SECRET_NAME, "payledger/dev/abc-123456", "not ending with '-' and six characters"),
    (naming.ECR_REPOSITORY, "payledger//api", "lowercase path segments"),
    (naming.LAUNCH_TEMPLATE, "p" * 129, "over the limit of 128"),
    (naming.LOG_GROUP, "/aws/eks/pay ledger", "must be letters, digits and ._/#-"),
    (naming.WAF_LOG_GROUP, "waf-logs-payledger", "must be 'aws-waf-logs-'"),
    (naming.WAF_ACL, "pay.ledger", "must be letters, digits, '_' and '-'"),
    (naming.SECURITY_GROUP, "sg-payledger", "must not start with 'sg-'"),
    (naming.ELB_LOAD_BALANCER, "internal-payledger", "must not start with 'internal-'"),
    (naming.ELB_LOAD_BALANCER, "payledger-", "not starting or ending with '-'"),
    (naming.ELB_TARGET_GROUP, "t" * 33, "over the limit of 32"),
    (naming.ELB_TARGET_GROUP, "payledger_nginx", "letters, digits and '-'"),
    (naming.VPC_NAME, "payledger<dev>", "letters, digits, spaces"),
    (naming.PUBLIC_HOST, "api", "lowercase DNS labels joined by '.'"),
    (naming.RDS_SUBNET_GROUP, "default", "is reserved"),
    (naming.POSTGRES_ROLE, "pg_monitor", "must not start with 'pg_'"),
    (naming.POSTGRES_ROLE, naming.POSTGRES_ADMIN_USER, "is reserved"),
    (naming.KUBERNETES_SERVICE, "4xx-service", "DNS-1035"),
    (naming.KUBERNETES_NAME, "Billing", "lowercase letters, digits, '-' and '.'"),
    (naming.GRAFANA_UID, "u" * 41, "over the limit of 40"),
]


@pytest.mark.parametrize(("rule", "name", "expected"), REFUSED, ids=[f"{r.kind}:{n[:20]}" for r, n, _ in REFUSED])
def test_rule_refuses(rule: naming.NameRule, name: str, expected: str) -> None:
    with pytest.raises(InvalidName, match="^" + rule.kind) as error:
        rule(name)
    assert expected in str(error.value)


def test_a_derivation_refuses_instead_of_truncating(catalog: Catalog) -> None:
    env = next(iter(catalog.environments.values()))
    service = next(iter(env.services.values()))
    long_name = service.model_copy(update={"name": "b" * naming.IAM_ROLE.max_length})
    with pytest.raises(InvalidName, match="IAM role name"):
        naming.service_role_name(env, long_name)
    assert naming.service_role_name.rule is naming.IAM_ROLE


def test_every_real_name_is_accepted(catalog: Catalog) -> None:
    for env in catalog.environments.values():
        for service in env.services.values():
            assert naming.service_role_name(env, service).endswith(service.name)
            assert naming.dashboard_uid(env, service).endswith(service.name)


def _rendered(env_name: str, namespace: str, folder: Path) -> set[tuple[str, str, str]]:
    found = set()
    for path in folder.glob("*.yaml"):
        manifest = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
        found.add((manifest["metadata"].get("namespace", namespace), manifest["kind"], manifest["metadata"]["name"]))
    return found


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_service_objects_are_what_the_charts_render(catalog: Catalog, env_name: str) -> None:
    """catalog.rules checks naming.service_objects for clashes, so it must list every object a service has
    (the Secrets its ExternalSecrets and Certificate create are not in the output themselves)."""
    out = ROOT / "gitops_out" / env_name
    edge = {entry for entry in _rendered(env_name, "", out / "cluster-config") if entry[1] in naming.EDGE_OBJECT_KINDS}
    for service in catalog.environments[env_name].services.values():
        listed = {(service.namespace, *thing) for thing in naming.service_objects(service) if thing.kind != "Secret"}
        rendered = _rendered(env_name, service.namespace, out / service.namespace / service.name)
        rendered |= {entry for entry in edge if entry[0] == service.namespace and entry[2] == service.name}
        assert listed == rendered, service.name


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_namespace_objects_include_the_guard_rails(env_name: str) -> None:
    rendered = _rendered(env_name, "", ROOT / "gitops_out" / env_name / "cluster")
    policies = {KubernetesObject(kind, name) for namespace, kind, name in rendered
                if kind == "NetworkPolicy" and namespace in WORKLOAD_NAMESPACES}
    assert policies <= set(naming.NAMESPACE_OBJECTS)


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_argocd_names_are_the_rendered_ones(env_name: str) -> None:
    """catalog.rules refuses services named like these Applications: the list must be complete."""
    from k8s_charts.addons import ADDONS

    assert {name: addon.namespace for name, addon in ADDONS.items()} == naming.ADDON_NAMESPACES
    apps = _rendered(env_name, "", ROOT / "gitops_out" / env_name / "apps")
    assert {name for _, kind, name in apps if kind == "Application"} == set(naming.ARGOCD_APPLICATIONS)
    projects = {name for _, kind, name in apps if kind == "AppProject"}
    assert naming.SYSTEM_PROJECT in projects
