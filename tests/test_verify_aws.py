"""verify's AWS half against an in-process emulator (moto, the version the rehearsal runs), and the
names it looks up against the synthesized stacks. `make rehearse` runs it against resources Terraform
applied; these tests cover the failures a rehearsal never sees."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from edge_support import deploy_edge, issued_at_once
from emulator_support import emulated_account
from moto import mock_aws

from catalog import Catalog, Environment, naming
from operations import manifests, verify_aws
from operations.findings import AccessError

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def dev(catalog: Catalog) -> Environment:
    return catalog.environments["dev"]


@pytest.fixture
def buckets(dev: Environment) -> list[str]:
    return list(manifests.aws_names(manifests.load(ROOT / "gitops_out", dev.name)).buckets)


@pytest.fixture
def aws(dev: Environment, monkeypatch: pytest.MonkeyPatch) -> Iterator[verify_aws.Client]:
    """An emulated account that is the catalog's, with fake keys and nothing else to reach."""
    issued_at_once(monkeypatch)
    with emulated_account(dev, monkeypatch) as client:
        yield client


def deploy(aws: verify_aws.Client, env: Environment, buckets: list[str], *, version: str | None = None,
           **edge: bool) -> None:
    """What the environment stack creates, as far as verify looks."""
    stack = naming.stack_name(env)
    vpc = {"subnetIds": ["subnet-1", "subnet-2"]}
    role = f"arn:aws:iam::{env.account_id}:role/{stack}-cluster"
    aws("eks").create_cluster(name=env.cluster_name, version=version or env.kubernetes_version, roleArn=role,
                              resourcesVpcConfig=vpc)
    for pool in verify_aws.declared_node_groups(env):
        group = getattr(env.node_groups, pool)
        aws("eks").create_nodegroup(clusterName=env.cluster_name, nodegroupName=pool, nodeRole=role,
                                    subnets=vpc["subnetIds"], scalingConfig={
                                        "minSize": group.min, "maxSize": group.max, "desiredSize": group.desired})
    aws("rds").create_db_instance(DBInstanceIdentifier=f"{stack}-postgres", Engine="postgres",
                                  DBInstanceClass=env.postgres.instance_class, StorageEncrypted=True,
                                  MultiAZ=env.postgres.multi_az, AllocatedStorage=20)
    aws("elasticache").create_replication_group(
        ReplicationGroupId=f"{stack}-redis", ReplicationGroupDescription="cache", Engine="redis",
        CacheNodeType=env.redis.node_type, NumCacheClusters=1, TransitEncryptionEnabled=True,
        AtRestEncryptionEnabled=True)
    for bucket in (naming.state_bucket_name(env), *buckets):
        private_encrypted_bucket(aws("s3"), bucket, env.region)
    deploy_edge(aws, env, **edge)


def private_encrypted_bucket(s3, name: str, region: str, *, public_block: bool = True) -> None:
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    if public_block:
        flags = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=dict.fromkeys(flags, True))
    s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/s3"}}]})


def failures(aws: verify_aws.Client, env: Environment, buckets: list[str]) -> list[str]:
    return [str(f) for f in verify_aws.findings(aws, env, buckets) if not f.ok]


def test_a_deployed_environment_passes(aws, dev: Environment, buckets: list[str]) -> None:
    deploy(aws, dev, buckets)
    found = verify_aws.findings(aws, dev, buckets)
    assert {f.check for f in found} == set(verify_aws.CHECKS)
    assert [str(f) for f in found if not f.ok] == []


def test_what_differs_from_the_catalog_is_one_line_each(aws, dev: Environment, buckets: list[str]) -> None:
    deploy(aws, dev, buckets[1:], version="1.29")
    private_encrypted_bucket(aws("s3"), buckets[0], dev.region, public_block=False)
    aws("eks").update_nodegroup_config(clusterName=dev.cluster_name, nodegroupName="spot",
                                       scalingConfig={"minSize": 0, "maxSize": 8, "desiredSize": 0})
    aws("elasticache").delete_replication_group(ReplicationGroupId=f"{naming.stack_name(dev)}-redis")
    lines = failures(aws, dev, buckets)
    assert lines[0] == f"cluster {dev.cluster_name}: version 1.29, expected {dev.kubernetes_version}"
    assert any(line.startswith(f"buckets {buckets[0]}: GetPublicAccessBlock: NoSuchPublicAccessBlockConfiguration")
               for line in lines)
    assert "node-groups payledger-dev/spot: size range (0, 8), expected (0, 4)" in lines


def test_multi_az_is_checked_where_the_catalog_asks(aws, dev: Environment, buckets: list[str]) -> None:
    deploy(aws, dev, buckets)
    asking = dev.model_copy(update={"postgres": dev.postgres.model_copy(update={"multi_az": True})})
    assert failures(aws, asking, buckets) == ["database payledger-dev-postgres: multi-AZ False, expected True"]


def test_credentials_of_another_account_are_refused(dev: Environment, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("MOTO_ACCOUNT_ID", raising=False)
    with mock_aws(), pytest.raises(AccessError, match=r"account 123456789012; dev is account 111111111111"):
        verify_aws.connect(dev, None)


def test_no_credentials_is_bad_input_for_the_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    import main

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    assert main.main(["verify", "--env", "dev", "--only", "aws", "--catalog", str(ROOT / "platform.yaml"),
                      "--out", str(ROOT / "gitops_out")]) == 2
    assert capsys.readouterr().err == "error: no AWS credentials found (environment, profile or instance role)\n"


def test_a_web_acl_not_associated_with_the_edge_alb_fails(aws, dev: Environment, buckets: list[str]) -> None:
    """Against the emulator (it answers GetWebACLForResource, the call the check makes)."""
    deploy(aws, dev, buckets, associate=False)
    assert failures(aws, dev, buckets) == [
        "waf-association payledger-dev-edge: load balancer payledger-dev-edge has no web ACL associated, "
        "expected payledger-dev"]


def test_an_edge_that_does_not_reach_the_group_or_the_host_fails(aws, dev: Environment, buckets: list[str]) -> None:
    deploy(aws, dev, buckets, forward=False)
    host, group = naming.public_host(dev), naming.target_group_name(naming.stack_name(dev))
    assert failures(aws, dev, buckets) == [
        f"edge {host} -> {group}: no load balancer's HTTPS listener on 443 forwards to target group {group}"]


def test_a_certificate_for_another_host_and_a_missing_alias_fail(aws, dev: Environment, buckets: list[str]) -> None:
    deploy(aws, dev, buckets, certificate_host=f"www.{dev.domain}", alias=False)
    host, group = naming.public_host(dev), naming.target_group_name(naming.stack_name(dev))
    assert failures(aws, dev, buckets) == [
        f"edge {host} -> {group}: no certificate of the HTTPS listener covers {host}; "
        f"no A alias record {host} in hosted zone {dev.domain}."]


def test_the_pci_node_group_is_checked_where_the_catalog_declares_one(aws, dev: Environment,
                                                                     buckets: list[str]) -> None:
    assert dev.node_groups.pci is not None
    deploy(aws, dev, buckets)
    pci = dev.node_groups.pci
    aws("eks").update_nodegroup_config(clusterName=dev.cluster_name, nodegroupName=naming.PCI_NODE_POOL,
                                       scalingConfig={"minSize": 0, "maxSize": pci.max, "desiredSize": 0})
    assert failures(aws, dev, buckets) == [f"node-groups {dev.cluster_name}/{naming.PCI_NODE_POOL}: size range "
                                           f"(0, {pci.max}), expected ({pci.min}, {pci.max})"]
    without = dev.model_copy(update={"node_groups": dev.node_groups.model_copy(update={"pci": None})})
    checked = [f.subject for f in verify_aws.findings(aws, without, buckets) if f.check == "node-groups"]
    assert checked == [f"{dev.cluster_name}/{pool}" for pool in ("general", "spot", "gpu")]


def test_the_names_verify_looks_up_are_the_ones_the_stacks_create(infra, catalog: Catalog) -> None:
    for env in catalog.environments.values():
        stack = naming.stack_name(env)
        resources = infra.json(stack)["resource"]
        values = {(kind, attribute): {config.get(attribute) for config in resources.get(kind, {}).values()}
                  for kind, attribute in (("aws_eks_cluster", "name"), ("aws_eks_node_group", "node_group_name"),
                                          ("aws_db_instance", "identifier"), ("aws_wafv2_web_acl", "name"),
                                          ("aws_elasticache_replication_group", "replication_group_id"),
                                          ("aws_lb", "name"), ("aws_lb_target_group", "name"),
                                          ("aws_acm_certificate", "domain_name"))}
        assert values[("aws_eks_cluster", "name")] == {env.cluster_name}
        assert values[("aws_eks_node_group", "node_group_name")] == set(verify_aws.declared_node_groups(env))
        assert values[("aws_lb", "name")] == {naming.load_balancer_name(stack)}
        assert values[("aws_lb_target_group", "name")] == {naming.target_group_name(stack)}
        assert values[("aws_acm_certificate", "domain_name")] == {naming.public_host(env)}
        assert values[("aws_db_instance", "identifier")] == {f"{stack}-postgres"}
        assert values[("aws_elasticache_replication_group", "replication_group_id")] == {f"{stack}-redis"}
        assert values[("aws_wafv2_web_acl", "name")] == {stack}
        state = infra.json(naming.state_stack_name(env))["resource"]["aws_s3_bucket"].values()
        assert naming.state_bucket_name(env) in {config["bucket"] for config in state}
