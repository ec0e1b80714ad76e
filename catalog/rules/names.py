"""Names: what AWS and Kubernetes would refuse, and names two things would share."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from catalog import naming
from catalog.models import Catalog, Environment
from catalog.rules.finding import FieldPath, Finding

__all__ = ["aws_names", "derived_aws_names", "kubernetes_names", "overview_dashboards"]

# What infra_stacks makes besides the names per service and add-on. tests/test_infra_rules.py
# proves that every name in the synthesized stacks is derived here.
KMS_KEYS = ("logs", "eks", "ebs", "data", "secrets", "s3", "ecr", "tfstate", "backup", "backup-copy")
BUCKETS = ("loki", "tempo", "tfstate", "alb-logs")
CONNECTION_SECRETS = ("postgres", "redis")
SECURITY_GROUPS = ("vpc-endpoints", "postgres", "redis", "edge-alb")
POSTGRES_LOGS = ("postgresql", "upgrade")

Derived = tuple[FieldPath, Callable[..., str], tuple[object, ...]]


def derived_aws_names(env: Environment) -> Iterator[Derived]:
    """Every AWS name of an environment: the catalog path it comes from, its derivation and arguments."""
    at, cluster = ("environments", env.name), ("environments", env.name, "cluster_name")
    stack = naming.stack_name(env)  # two DNS labels: always a valid stack name, the base of many others
    yield at, naming.stack_name, (env,)
    yield at, naming.state_stack_name, (env,)
    yield at, naming.state_lock_table_name, (env,)
    yield from ((at, naming.bucket_name, (env, purpose)) for purpose in BUCKETS)
    yield from ((at, naming.kms_alias, (env, purpose)) for purpose in KMS_KEYS)
    yield from ((at, naming.addon_role_name, (env, addon)) for addon in naming.ADDON_SERVICE_ACCOUNTS)
    yield from ((at, naming.aws_secret_name, (env, component)) for component in CONNECTION_SECRETS)
    yield from ((at, naming.security_group_name, (stack, purpose)) for purpose in SECURITY_GROUPS)
    yield from ((at, naming.postgres_log_group, (stack, kind)) for kind in POSTGRES_LOGS)
    for derive in (naming.flow_log_group, naming.flow_log_role_name, naming.postgres_identifier,
                   naming.db_subnet_group_name, naming.db_parameter_group_name, naming.final_snapshot_identifier,
                   naming.postgres_monitoring_role_name, naming.redis_group_id, naming.redis_user_group_id,
                   naming.redis_subnet_group_name, naming.redis_default_user, naming.redis_log_group,
                   naming.waf_acl_name, naming.waf_log_group, naming.vpc_name, naming.load_balancer_name,
                   naming.target_group_name, naming.backup_vault_name, naming.backup_plan_name,
                   naming.backup_selection_name, naming.backup_role_name, naming.restored_postgres_identifier,
                   naming.replaced_postgres_identifier):
        yield at, derive, (stack,)
    if env.backup.copy_to:
        yield ("environments", env.name, "backup", "copy_to"), naming.backup_copy_vault_name, (stack,)
    yield ("environments", env.name, "domain"), naming.public_host, (env,)
    yield cluster, naming.eks_cluster_name, (env,)
    for derive in (naming.cluster_role_name, naming.node_role_name, naming.cluster_log_group):
        yield cluster, derive, (env.cluster_name,)
    pools = ("general", "spot", naming.GPU_NODE_POOL, *((naming.PCI_NODE_POOL,) if env.node_groups.pci else ()))
    yield from ((cluster, naming.launch_template_name, (env.cluster_name, pool)) for pool in pools)
    for service in env.services.values():
        at = ("services", service.name)
        yield at, naming.service_role_name, (env, service)
        yield at, naming.image_publisher_role_name, (env, service)
        yield at, naming.ecr_repository_name, (service,)
        yield at, naming.image_name, (env, service)
        if service.depends_on.postgres:
            yield at, naming.postgres_user, (service,)
        if service.depends_on.redis:
            yield at, naming.redis_user, (env, service)
        if "kms" in service.aws_access:
            yield at, naming.service_kms_alias, (env, service)


def aws_names(catalog: Catalog) -> Iterator[Finding]:
    """Each name AWS would refuse, and each name two resources would share where it must be unique."""
    made: dict[tuple[str, ...], str] = {}
    for env in catalog.environments.values():
        for path, derive, args in derived_aws_names(env):
            finding_env = env.name if path[0] == "services" else None
            try:
                name = derive(*args)
            except naming.InvalidName as error:
                yield Finding(path, str(error), finding_env)
                continue
            rule: naming.NameRule = derive.rule  # type: ignore[attr-defined]
            if rule.unique_in is None:
                continue
            where = {"everywhere": (), "account": (env.account_id,), "region": (env.account_id, env.region),
                     "environment": (env.name,)}[rule.unique_in]
            source = f"{'.'.join(path)} in {env.name}"
            first = made.setdefault((rule.kind, *where, name), source)
            if first != source:
                yield Finding(path, f"{rule.kind} {name!r} is also made for {first}", finding_env)


def kubernetes_names(env: Environment) -> Iterator[Finding]:
    """Names Kubernetes would refuse, and objects that would replace one another in a namespace."""
    owners = {(namespace, *thing): "the one every workload namespace has"
              for namespace in {service.namespace for service in env.services.values()}
              for thing in naming.NAMESPACE_OBJECTS}
    owners |= {(naming.ARGOCD_NAMESPACE, "Application", app): "the platform's own"
               for app in naming.ARGOCD_APPLICATIONS}
    for service in env.services.values():
        at = ("services", service.name)
        try:
            naming.dashboard_uid(env, service)
            objects = [(service.namespace, *thing) for thing in naming.service_objects(service)]
        except naming.InvalidName as error:
            yield Finding(at, str(error), env.name)
            continue
        # The services ApplicationSet generates one Application per service, named after it.
        objects.append((naming.ARGOCD_NAMESPACE, "Application", service.name))
        for namespace, kind, name in objects:
            owner = owners.setdefault((namespace, kind, name), f"service {service.name!r}'s")
            if owner != f"service {service.name!r}'s":
                yield Finding(at, f"{kind} {name!r} in namespace {namespace!r} would replace {owner}", env.name)


def overview_dashboards(env: Environment) -> Iterator[Finding]:
    """The overview dashboards' uids carry the environment's name, which can make them too long for Grafana."""
    for kind in naming.OVERVIEW_DASHBOARDS:
        try:
            naming.overview_dashboard_uid(env, kind)
        except naming.InvalidName as error:
            yield Finding(("environments", env.name), str(error))
