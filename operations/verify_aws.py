"""The AWS half of `main.py verify`: what Terraform created is there, running and shaped as asked.

Names follow the stacks (infra_stacks/): the database is `<stack>-postgres`, the cache `<stack>-redis`,
the web ACL `<stack>`, the edge ALB `<stack>-edge` and its target group `<stack>-nginx` (catalog.naming);
tests/test_verify_aws.py proves they match the synthesized JSON.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

import boto3
import botocore.loaders
import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError, NoCredentialsError

from catalog import naming
from catalog.models import Environment
from operations import verify_edge
from operations.findings import AccessError, Finding, probe

__all__ = ["CHECKS", "aws_probe", "bucket_problems", "connect", "declared_node_groups", "findings"]

Client = Callable[[str], Any]
# An API the endpoint does not implement answers 500: two attempts, not the default backoff of minutes.
CONFIG = Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5, read_timeout=60)
KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")
NO_WEB_ACL = "no regional web ACL of that name"
# The services' API models, parsed once per process (megabytes of JSON each) however many connections
# it makes: verify makes one, the rehearsal one per environment, the tests one each.
_API_MODELS = botocore.loaders.create_loader()


def connect(env: Environment, endpoint_url: str | None) -> Client:
    """A client factory for the environment's region, after proving the credentials are its account's."""
    core = botocore.session.get_session()
    core.register_component("data_loader", _API_MODELS)
    session = boto3.session.Session(botocore_session=core, region_name=env.region)

    @functools.cache  # one client per service: making one loads and parses the service's whole API model
    def client(service: str) -> Any:
        return session.client(service, endpoint_url=endpoint_url, config=CONFIG)

    try:
        account = client("sts").get_caller_identity()["Account"]
    except NoCredentialsError as error:
        raise AccessError("no AWS credentials found (environment, profile or instance role)") from error
    except EndpointConnectionError as error:
        raise AccessError(f"cannot reach AWS: {error}") from error
    except (BotoCoreError, ClientError) as error:
        raise AccessError(f"the AWS credentials were refused: {error}") from error
    if account != env.account_id:
        raise AccessError(f"the AWS credentials are for account {account}; {env.name} is account {env.account_id}")
    return client


def _describe(error: Exception) -> str:
    if isinstance(error, ClientError):
        info = error.response.get("Error", {})
        return f"{error.operation_name}: {info.get('Code', '?')}: {' '.join(str(info.get('Message', '')).split())}"
    return " ".join(str(error).split())


def aws_probe(check: str, subject: str, inspect: Callable[[], list[str]]) -> Finding:
    return probe(check, subject, inspect, (ClientError, BotoCoreError), _describe)


def _expect(problems: list[str], label: str, actual: Any, wanted: Any) -> None:
    if actual != wanted:
        problems.append(f"{label} {actual}, expected {wanted}")


def cluster(aws: Client, env: Environment, buckets: Iterable[str]) -> list[Finding]:
    def inspect() -> list[str]:
        found = aws("eks").describe_cluster(name=env.cluster_name)["cluster"]
        problems: list[str] = []
        _expect(problems, "status", found["status"], "ACTIVE")
        _expect(problems, "version", found["version"], env.kubernetes_version)
        return problems

    return [aws_probe("cluster", env.cluster_name, inspect)]


def declared_node_groups(env: Environment) -> list[str]:
    """The node groups the catalog sizes: general, spot and gpu always, pci where it declares one."""
    return [pool for pool in type(env.node_groups).model_fields if getattr(env.node_groups, pool) is not None]


def node_groups(aws: Client, env: Environment, buckets: Iterable[str]) -> list[Finding]:
    def inspect(pool: str) -> list[str]:
        group = getattr(env.node_groups, pool)
        found = aws("eks").describe_nodegroup(clusterName=env.cluster_name, nodegroupName=pool)["nodegroup"]
        scaling = found["scalingConfig"]
        problems: list[str] = []
        _expect(problems, "status", found["status"], "ACTIVE")
        _expect(problems, "size range", (scaling["minSize"], scaling["maxSize"]), (group.min, group.max))
        if not scaling["minSize"] <= scaling["desiredSize"] <= scaling["maxSize"]:
            problems.append(f"desired size {scaling['desiredSize']} outside {scaling['minSize']}-{scaling['maxSize']}")
        return problems

    return [aws_probe("node-groups", f"{env.cluster_name}/{pool}", lambda pool=pool: inspect(pool))
            for pool in declared_node_groups(env)]


def database(aws: Client, env: Environment, buckets: Iterable[str]) -> list[Finding]:
    identifier = f"{naming.stack_name(env)}-postgres"

    def inspect() -> list[str]:
        (found,) = aws("rds").describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"]
        problems: list[str] = []
        _expect(problems, "status", found["DBInstanceStatus"], "available")
        _expect(problems, "storage encrypted", found["StorageEncrypted"], True)
        if env.postgres.multi_az:
            _expect(problems, "multi-AZ", found["MultiAZ"], True)
        return problems

    return [aws_probe("database", identifier, inspect)]


def redis(aws: Client, env: Environment, buckets: Iterable[str]) -> list[Finding]:
    group_id = f"{naming.stack_name(env)}-redis"

    def inspect() -> list[str]:
        (found,) = aws("elasticache").describe_replication_groups(ReplicationGroupId=group_id)["ReplicationGroups"]
        problems: list[str] = []
        _expect(problems, "status", found["Status"], "available")
        _expect(problems, "encryption in transit", found.get("TransitEncryptionEnabled"), True)
        _expect(problems, "encryption at rest", found.get("AtRestEncryptionEnabled"), True)
        return problems

    return [aws_probe("redis", group_id, inspect)]


def bucket_problems(s3: Any, name: str) -> list[str]:
    """[] when the bucket blocks every kind of public access and encrypts with KMS by default."""
    block = s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
    problems = [f"{flag} is off" for flag, on in sorted(block.items()) if not on]
    rules = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"]
    algorithms = [rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] for rule in rules
                  if "ApplyServerSideEncryptionByDefault" in rule]
    if not any(algorithm in KMS_ALGORITHMS for algorithm in algorithms):
        problems.append(f"default encryption {', '.join(algorithms) or 'none'}, expected aws:kms")
    return problems


def bucket_checks(aws: Client, env: Environment, buckets: Iterable[str]) -> list[Finding]:
    """The state bucket and every bucket the cluster's manifests use: private and KMS-encrypted."""
    s3 = aws("s3")
    names = sorted({naming.state_bucket_name(env), *buckets})
    return [aws_probe("buckets", name, lambda name=name: bucket_problems(s3, name)) for name in names]


def _web_acl(wafv2: Any, name: str) -> dict[str, Any] | None:
    acls = wafv2.list_web_acls(Scope="REGIONAL", Limit=100)["WebACLs"]
    return next((acl for acl in acls if acl["Name"] == name), None)


def waf(aws: Client, env: Environment, buckets: Iterable[str]) -> list[Finding]:
    name = naming.waf_acl_name(naming.stack_name(env))
    return [aws_probe("waf", name, lambda: [] if _web_acl(aws("wafv2"), name) else [NO_WEB_ACL])]


def waf_association(aws: Client, env: Environment, buckets: Iterable[str]) -> list[Finding]:
    """The edge ALB is protected by the web ACL (GetWebACLForResource: asked of the one load balancer
    that must be protected, so an ACL on another one does not pass)."""
    stack = naming.stack_name(env)
    name = naming.load_balancer_name(stack)

    def inspect() -> list[str]:
        balancer = verify_edge.load_balancer(aws("elbv2"), name)
        return verify_edge.web_acl_problems(aws("wafv2"), balancer, [naming.waf_acl_name(stack)])

    return [aws_probe("waf-association", name, inspect)]


def edge(aws: Client, env: Environment, buckets: Iterable[str]) -> list[Finding]:
    """The public host's alias and certificate are the ALB's whose HTTPS listener forwards to the NGINX group."""
    group = naming.target_group_name(naming.stack_name(env))
    host = naming.public_host(env)
    return [aws_probe("edge", f"{host} -> {group}",
                      lambda: verify_edge.edge_problems(aws, target_group=group, hosts=[host]))]


CHECKS = {
    "cluster": cluster,
    "node-groups": node_groups,
    "database": database,
    "redis": redis,
    "buckets": bucket_checks,
    "waf": waf,
    "waf-association": waf_association,
    "edge": edge,
}


def findings(aws: Client, env: Environment, buckets: Iterable[str], skip: Iterable[str] = ()) -> list[Finding]:
    return [finding for name, check in CHECKS.items() if name not in skip for finding in check(aws, env, buckets)]
