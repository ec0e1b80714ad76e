"""rehearsal.crossside: the names the manifests use, proven against live (here in-process emulated)
resources, with failures told apart from what an emulator gap made uncheckable."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from edge_support import deploy_edge, issued_at_once
from emulator_support import emulated_account

from catalog import Catalog, Environment, naming
from operations import verify_aws
from operations.manifests import AwsNames, RoleUse, StoreAccount
from rehearsal.crossside import cross_side

ISSUER = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE"
ROLE = "payledger-dev-svc-metering-service"
SECRET = "payledger/dev/postgres/connection"
STACK = {"resource": {
    "aws_iam_role": {"metering": {"name": ROLE}},
    "aws_secretsmanager_secret": {"postgres": {"name": SECRET}},
    "aws_secretsmanager_secret_version": {"postgres": {"secret_id": "${aws_secretsmanager_secret.postgres.id}"}},
    "aws_ecr_repository": {"metering": {"name": "payledger/metering-service"}},
    "aws_wafv2_web_acl": {"edge": {"name": "payledger-dev"}},
    "aws_lb_target_group": {"edge": {"name": "payledger-dev-nginx"}},
    "aws_kms_alias": {"ebs": {"name": "alias/payledger-dev-ebs"}},
    "aws_lb": {"edge": {"name": "payledger-dev-edge"}},
    "aws_wafv2_web_acl_association": {"edge": {"resource_arn": "${aws_lb.edge.arn}"}},
}}
BINDING = "dev/cluster-config/targetgroupbinding.yaml"


@pytest.fixture
def dev(catalog: Catalog) -> Environment:
    return catalog.environments["dev"]


@pytest.fixture
def aws(dev: Environment, monkeypatch: pytest.MonkeyPatch) -> Iterator[verify_aws.Client]:
    issued_at_once(monkeypatch)
    with emulated_account(dev, monkeypatch) as client:
        provider = client("iam").create_open_id_connect_provider(
            Url=f"https://{ISSUER}", ClientIDList=["sts.amazonaws.com"], ThumbprintList=["9" * 40])
        client("iam").create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Federated": provider["OpenIDConnectProviderArn"]},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {"StringEquals": {f"{ISSUER}:sub": "system:serviceaccount:services:metering-service",
                                               f"{ISSUER}:aud": "sts.amazonaws.com"}}}]}))
        client("ecr").create_repository(repositoryName="payledger/metering-service", imageTagMutability="IMMUTABLE")
        yield client


def names(dev: Environment, *, service_account: str = "metering-service", properties=("host", "port")) -> AwsNames:
    found = AwsNames()
    found.roles.append(RoleUse(f"arn:aws:iam::{dev.account_id}:role/{ROLE}", "services", service_account, "sa.yaml"))
    found.service_accounts.add(("services", service_account))
    found.secrets[SECRET] = set(properties)
    found.secret_sources[SECRET] = "externalsecret.yaml"
    found.repositories[(dev.account_id, dev.region, "payledger/metering-service")] = "deployment.yaml"
    found.target_groups[naming.target_group_name(naming.stack_name(dev))] = BINDING
    found.hosts[naming.public_host(dev)] = "httproute.yaml"
    return found


def test_names_that_exist_with_the_right_shape_pass(aws, dev: Environment) -> None:
    aws("secretsmanager").create_secret(Name=SECRET, SecretString=json.dumps({"host": "db", "port": "5432"}))
    deploy_edge(aws, dev)
    result = cross_side(aws, names(dev), dev.region, STACK, excluded={})
    assert (result.checked, result.failures, result.gaps) == (4, [], [])


def test_a_web_acl_the_alb_does_not_have_fails(aws, dev: Environment) -> None:
    """No more a warning: the association is Terraform's, so a missing one is the stack's failure."""
    aws("secretsmanager").create_secret(Name=SECRET, SecretString=json.dumps({"host": "db", "port": "5432"}))
    deploy_edge(aws, dev, associate=False)
    (failure,) = cross_side(aws, names(dev), dev.region, STACK, excluded={}).failures
    assert str(failure) == (f"edge target group payledger-dev-nginx ({BINDING}): load balancer payledger-dev-edge "
                            "has no web ACL associated, expected payledger-dev")


def test_an_edge_left_out_for_a_gap_is_not_checkable(aws, dev: Environment) -> None:
    aws("secretsmanager").create_secret(Name=SECRET, SecretString=json.dumps({"host": "db", "port": "5432"}))
    deploy_edge(aws, dev, associate=False)
    why = "depends on something left out"
    result = cross_side(aws, names(dev), dev.region, STACK, excluded={"aws_wafv2_web_acl_association.edge": why})
    assert result.failures == []
    assert result.gaps == [f"edge target group payledger-dev-nginx ({BINDING}): not checkable, "
                           f"aws_wafv2_web_acl_association.edge {why}"]


def test_every_secret_store_reads_as_an_account_gitops_out_creates_with_its_role(aws, dev: Environment) -> None:
    aws("secretsmanager").create_secret(Name=SECRET, SecretString=json.dumps({"host": "db", "port": "5432"}))
    deploy_edge(aws, dev)
    found = names(dev)
    found.stores += [
        StoreAccount("services", "metering-service-secrets-manager", "aws", "metering-service", "ok.yaml"),
        StoreAccount("services", "metering-service-vault", "vault", "metering-service", "vault.yaml"),
        StoreAccount("services", "audit-secrets-manager", "aws", "audit-log-service", "norole.yaml"),
        StoreAccount("observability", "grafana-vault", "vault", "grafana", "nosa.yaml"),
    ]
    found.service_accounts.add(("services", "audit-log-service"))
    result = cross_side(aws, found, dev.region, STACK, excluded={})
    assert [str(failure) for failure in result.failures] == [
        "secret-store services/audit-secrets-manager (norole.yaml): reads as ServiceAccount "
        "services/audit-log-service, which no IAM role annotation names",
        "secret-store observability/grafana-vault (nosa.yaml): reads as ServiceAccount observability/grafana, "
        "which gitops_out does not create",
    ]
    assert result.checked == 8


def test_a_trust_for_another_service_account_and_a_missing_property_fail(aws, dev: Environment) -> None:
    aws("secretsmanager").create_secret(Name=SECRET, SecretString=json.dumps({"host": "db"}))
    deploy_edge(aws, dev)
    result = cross_side(aws, names(dev, service_account="billing-service"), dev.region, STACK, excluded={})
    lines = [str(finding) for finding in result.failures]
    assert len(lines) == 2
    assert lines[0].startswith(f"role arn:aws:iam::{dev.account_id}:role/{ROLE} (sa.yaml): trust ")
    assert lines[0].endswith("is not exactly services/billing-service")
    assert lines[1] == f"secret {SECRET} (externalsecret.yaml): no property port in its value"


def test_a_value_the_emulator_could_not_apply_is_a_gap_not_a_failure(aws, dev: Environment) -> None:
    aws("secretsmanager").create_secret(Name=SECRET)
    version, why = "aws_secretsmanager_secret_version.postgres", "depends on aws_elasticache_replication_group.redis"
    deploy_edge(aws, dev)
    result = cross_side(aws, names(dev), dev.region, STACK, excluded={version: why})
    assert result.failures == []
    assert result.gaps == [f"secret {SECRET} (externalsecret.yaml): not checkable, {version} {why}"]


def test_a_name_the_stack_does_not_create_fails_without_asking_aws(aws, dev: Environment) -> None:
    aws("secretsmanager").create_secret(Name=SECRET, SecretString=json.dumps({"host": "db", "port": "5432"}))
    deploy_edge(aws, dev)
    found = names(dev)
    found.buckets["payledger-dev-loki-111111111111"] = "application-loki.yaml"
    (failure,) = cross_side(aws, found, dev.region, STACK, excluded={}).failures
    assert str(failure) == ("bucket payledger-dev-loki-111111111111 (application-loki.yaml): "
                            "the stack creates no such resource")


def test_manifests_that_bind_no_target_group_fail(aws, dev: Environment) -> None:
    aws("secretsmanager").create_secret(Name=SECRET, SecretString=json.dumps({"host": "db", "port": "5432"}))
    found = names(dev)
    found.target_groups.clear()
    (failure,) = cross_side(aws, found, dev.region, STACK, excluded={}).failures
    assert str(failure) == "edge gitops_out: no TargetGroupBinding binds the edge's target group"


def test_the_volume_key_alias_must_name_an_enabled_key(aws, dev: Environment) -> None:
    aws("secretsmanager").create_secret(Name=SECRET, SecretString=json.dumps({"host": "db", "port": "5432"}))
    deploy_edge(aws, dev)
    key = aws("kms").create_key()["KeyMetadata"]["KeyId"]
    aws("kms").create_alias(AliasName="alias/payledger-dev-ebs", TargetKeyId=key)
    found = names(dev)
    alias = f"arn:aws:kms:{dev.region}:{dev.account_id}:alias/payledger-dev-ebs"
    found.key_aliases[alias] = "storageclass-gp3.yaml"
    assert cross_side(aws, found, dev.region, STACK, excluded={}).failures == []
    aws("kms").disable_key(KeyId=key)
    (failure,) = cross_side(aws, found, dev.region, STACK, excluded={}).failures
    assert str(failure) == f"key {alias} (storageclass-gp3.yaml): key {key} is Disabled, SYMMETRIC_DEFAULT"
