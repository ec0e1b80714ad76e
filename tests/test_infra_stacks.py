"""Targeted assertions on each environment's synthesized Terraform, plus a normalized snapshot per stack.

Environments and stacks come from the catalog (tests/catalog_params.py), and so do the expectations
wherever the catalog decides; an environment-specific rule is picked by the catalog property behind it
(`production`, `nat_gateways`), never by the environment's name.

Snapshots are committed output, like gitops_out/: a catalog change that changes a stack, such as a new
service, changes its snapshot, and a new environment's stacks have none yet. Both fail until the author
regenerates them (`pytest tests/test_infra_stacks.py -k test_snapshot --snapshot-update`, the
counterpart of `make synth`) and commits the reviewed result; a missing snapshot is never accepted.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from catalog_params import ENVIRONMENTS, PRODUCTION_ENVIRONMENTS, STACKS
from infra_support import resources
from syrupy.extensions.json import JSONSnapshotExtension

from catalog import Catalog, naming
from preview.terraform import strip_metadata


@pytest.fixture(scope="module")
def stack(infra, catalog: Catalog):
    """`stack(env_name)` -> that environment's synthesized Terraform JSON."""
    return lambda env_name: infra.json(naming.stack_name(catalog.environments[env_name]))


def one(data: dict[str, Any], kind: str) -> dict[str, Any]:
    found = list(resources(data, kind).values())
    assert len(found) == 1, f"expected one {kind}, found {len(found)}"
    return found[0]


def by_name(data: dict[str, Any], kind: str, name: str, attribute: str = "name") -> dict[str, Any]:
    matches = [r for r in resources(data, kind).values() if r.get(attribute) == name]
    assert len(matches) == 1, f"{kind} {attribute}={name!r}: {len(matches)} matches"
    return matches[0]


def role_policy(data: dict[str, Any], role_name: str) -> dict[str, Any]:
    """The inline policy document of the role named `role_name`."""
    role_key = next(key for key, role in resources(data, "aws_iam_role").items() if role["name"] == role_name)
    policies = [p for p in resources(data, "aws_iam_role_policy").values()
                if p["role"] == f"${{aws_iam_role.{role_key}.id}}"]
    assert len(policies) == 1, role_name
    return json.loads(policies[0]["policy"])


def actions(policy: dict[str, Any]) -> set[str]:
    return {action for statement in policy["Statement"] for action in statement["Action"]}


# --- naming, backend, provider ------------------------------------------------------------------


def test_one_stack_per_environment_and_a_state_bootstrap(infra) -> None:
    assert list(infra.stacks) == STACKS
    for name in STACKS:
        assert (infra.outdir / "stacks" / name / "cdk.tf.json").is_file()


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_s3_backend_with_locking_and_pinned_provider(stack, env, env_name: str) -> None:
    data = stack(env_name)
    backend = data["terraform"]["backend"]["s3"]
    assert backend["bucket"] == naming.state_bucket_name(env(env_name))
    assert backend["dynamodb_table"] == naming.state_lock_table_name(env(env_name))
    assert backend["encrypt"] is True
    assert data["terraform"]["required_providers"]["aws"]["version"] == "~> 5.99"
    assert data["provider"]["aws"][0]["allowed_account_ids"] == [env(env_name).account_id]


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_no_data_sources_so_plans_stay_offline(stack, env_name: str) -> None:
    assert "data" not in stack(env_name)


def test_local_backend_flag(catalog: Catalog, infra) -> None:
    from cdktf import App, Testing

    from infra_stacks.stack import EnvironmentStack

    env = next(iter(catalog.environments.values()))  # any: the flag does not depend on the environment
    local = EnvironmentStack(App(), env=env, local_backend=True)
    backend = json.loads(Testing.synth(local))["terraform"]["backend"]
    assert backend == {"local": {"path": f"../../../terraform.{naming.stack_name(env)}.tfstate"}}


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_bootstrap_creates_the_backend_it_names(infra, env, env_name: str) -> None:
    environment = env(env_name)
    data = infra.json(naming.state_stack_name(environment))
    assert by_name(data, "aws_s3_bucket", naming.state_bucket_name(environment), "bucket")
    table = by_name(data, "aws_dynamodb_table", naming.state_lock_table_name(environment))
    assert table["hash_key"] == "LockID"
    assert table["point_in_time_recovery"]["enabled"] is True
    assert table["server_side_encryption"]["enabled"] is True
    assert data["terraform"]["backend"] == {
        "local": {"path": f"../../../terraform.{naming.state_stack_name(environment)}.tfstate"}}


# --- encryption ---------------------------------------------------------------------------------


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_everything_is_encrypted_with_rotating_customer_keys(stack, env, env_name: str) -> None:
    data = stack(env_name)
    keys = resources(data, "aws_kms_key")
    assert keys and all(k["enable_key_rotation"] is True for k in keys.values())
    key_ref = "${aws_kms_key."

    cluster = one(data, "aws_eks_cluster")
    assert cluster["encryption_config"]["resources"] == ["secrets"]
    assert cluster["encryption_config"]["provider"]["key_arn"].startswith(key_ref)

    db = one(data, "aws_db_instance")
    assert db["storage_encrypted"] is True
    assert db["kms_key_id"].startswith(key_ref)
    assert db["performance_insights_enabled"] is True
    assert db["performance_insights_kms_key_id"].startswith(key_ref)
    assert db["master_user_secret_kms_key_id"].startswith(key_ref)

    redis = one(data, "aws_elasticache_replication_group")
    assert redis["at_rest_encryption_enabled"] == "true"
    assert redis["transit_encryption_enabled"] is True
    assert redis["transit_encryption_mode"] == "required"
    assert redis["kms_key_id"].startswith(key_ref)

    for group in resources(data, "aws_cloudwatch_log_group").values():
        assert group["kms_key_id"].startswith(key_ref), group["name"]
        assert group["retention_in_days"] >= 365, group["name"]
    buckets = {f"${{aws_s3_bucket.{key}.id}}": bucket["bucket"]
               for key, bucket in resources(data, "aws_s3_bucket").items()}
    s3_managed = set()
    for sse in resources(data, "aws_s3_bucket_server_side_encryption_configuration").values():
        default = sse["rule"][0]["apply_server_side_encryption_by_default"]
        if default["sse_algorithm"] == "AES256" and "kms_master_key_id" not in default:
            s3_managed.add(buckets[sse["bucket"]])
            continue
        assert default["sse_algorithm"] == "aws:kms" and default["kms_master_key_id"].startswith(key_ref)
    # Elastic Load Balancing writes access logs into SSE-S3 buckets only (policy/checkov-terraform.yaml).
    assert s3_managed == {naming.bucket_name(env(env_name), "alb-logs")}
    for repo in resources(data, "aws_ecr_repository").values():
        assert repo["encryption_configuration"][0]["encryption_type"] == "KMS"
        assert repo["image_tag_mutability"] == "IMMUTABLE"
        assert repo["image_scanning_configuration"]["scan_on_push"] is True
    for secret in resources(data, "aws_secretsmanager_secret").values():
        assert secret["kms_key_id"].startswith(key_ref)


# --- availability per environment ---------------------------------------------------------------


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_multi_az_follows_the_catalog(stack, env, env_name: str) -> None:
    data, environment = stack(env_name), env(env_name)
    db = one(data, "aws_db_instance")
    assert db["multi_az"] is environment.postgres.multi_az
    assert db["deletion_protection"] is environment.postgres.deletion_protection
    assert db["backup_retention_period"] == environment.postgres.backup_retention_days
    redis = one(data, "aws_elasticache_replication_group")
    replicated = environment.redis.num_cache_clusters > 1
    assert redis["num_cache_clusters"] == environment.redis.num_cache_clusters
    assert redis["automatic_failover_enabled"] is replicated
    assert redis["multi_az_enabled"] is replicated
    assert redis["snapshot_retention_limit"] == environment.redis.snapshot_retention_days


@pytest.mark.parametrize("env_name", PRODUCTION_ENVIRONMENTS)
def test_production_is_multi_az_and_protected(stack, env, env_name: str) -> None:
    data = stack(env_name)
    db = one(data, "aws_db_instance")
    assert (db["multi_az"], db["deletion_protection"], db["publicly_accessible"]) == (True, True, False)
    assert one(data, "aws_elasticache_replication_group")["automatic_failover_enabled"] is True
    zones = len(env(env_name).availability_zones)
    assert zones >= 2 and len(resources(data, "aws_subnet")) == 3 * zones  # public, private and data per zone


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_nat_gateways_per_environment(stack, env, env_name: str) -> None:
    environment = env(env_name)
    nat_count = len(environment.availability_zones) if environment.nat_gateways == "per_az" else 1
    assert len(resources(stack(env_name), "aws_nat_gateway")) == nat_count
    assert len(resources(stack(env_name), "aws_eip")) == nat_count


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_subnets_come_from_the_naming_plan(stack, env, env_name: str) -> None:
    plan = naming.subnet_plan(env(env_name))
    cidrs = sorted(s["cidr_block"] for s in resources(stack(env_name), "aws_subnet").values())
    assert cidrs == sorted([*plan.public, *plan.private, *plan.data])
    assert not any(s["map_public_ip_on_launch"] for s in resources(stack(env_name), "aws_subnet").values())


# --- network security ---------------------------------------------------------------------------


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_data_stores_admit_only_the_cluster_security_group(stack, env_name: str) -> None:
    data = stack(env_name)
    cluster_key = next(iter(resources(data, "aws_eks_cluster")))
    cluster_sg = f"${{aws_eks_cluster.{cluster_key}.vpc_config[0].cluster_security_group_id}}"
    sgs = resources(data, "aws_security_group")
    rules_by_sg: dict[str, list[dict[str, Any]]] = {}
    for rule in resources(data, "aws_vpc_security_group_ingress_rule").values():
        rules_by_sg.setdefault(rule["security_group_id"], []).append(rule)
    for suffix, port in (("-postgres", 5432), ("-redis", 6379)):
        sg_key = next(key for key, sg in sgs.items() if sg["name"].endswith(suffix))
        rules = rules_by_sg[f"${{aws_security_group.{sg_key}.id}}"]
        assert len(rules) == 1
        (rule,) = rules
        assert (rule["from_port"], rule["to_port"], rule["ip_protocol"]) == (port, port, "tcp")
        assert rule["referenced_security_group_id"] == cluster_sg
        assert "cidr_ipv4" not in rule and "cidr_ipv6" not in rule
        assert "ingress" not in sgs[sg_key] and "egress" not in sgs[sg_key]
    # The internet reaches the edge ALB on 80 (redirected) and 443, and nothing else anywhere.
    alb_sg = next(key for key, sg in sgs.items() if sg["name"].endswith("-edge-alb"))
    open_to_internet = [r for r in resources(data, "aws_vpc_security_group_ingress_rule").values()
                        if r.get("cidr_ipv4") == "0.0.0.0/0"]
    assert {r["security_group_id"] for r in open_to_internet} == {f"${{aws_security_group.{alb_sg}.id}}"}
    assert sorted((r["from_port"], r["to_port"]) for r in open_to_internet) == [(80, 80), (443, 443)]
    default_sg = one(data, "aws_default_security_group")
    assert "ingress" not in default_sg and "egress" not in default_sg


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_flow_logs_and_endpoints(stack, env, env_name: str) -> None:
    data = stack(env_name)
    flow = one(data, "aws_flow_log")
    assert flow["traffic_type"] == "ALL" and flow["log_destination_type"] == "cloud-watch-logs"
    prefix = f"com.amazonaws.{env(env_name).region}."
    services = sorted(e["service_name"].removeprefix(prefix) for e in resources(data, "aws_vpc_endpoint").values())
    assert services == ["ecr.api", "ecr.dkr", "logs", "s3", "sts"]


# --- cluster ------------------------------------------------------------------------------------


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_cluster_api_and_logging(stack, env, env_name: str) -> None:
    cluster = one(stack(env_name), "aws_eks_cluster")
    vpc = cluster["vpc_config"]
    assert vpc["endpoint_private_access"] is True
    assert vpc["endpoint_public_access"] is env(env_name).cluster_public_endpoint
    assert sorted(cluster["enabled_cluster_log_types"]) == sorted(
        ["api", "audit", "authenticator", "controllerManager", "scheduler"])
    assert cluster["version"] == env(env_name).kubernetes_version


@pytest.mark.parametrize("env_name", PRODUCTION_ENVIRONMENTS)
def test_production_cluster_api_is_private(stack, env_name: str) -> None:
    vpc = one(stack(env_name), "aws_eks_cluster")["vpc_config"]
    assert vpc["endpoint_public_access"] is False
    assert "public_access_cidrs" not in vpc


def test_a_public_endpoint_is_limited_to_the_catalog_cidrs(catalog: Catalog, infra) -> None:
    from cdktf import App, Testing

    from infra_stacks.stack import EnvironmentStack

    base = next(env for env in catalog.environments.values() if not env.production)  # production refuses it
    public = base.model_copy(
        update={"cluster_public_endpoint": True, "cluster_public_access_cidrs": ("198.51.100.0/24",)})
    data = json.loads(Testing.synth(EnvironmentStack(App(), env=public, local_backend=True)))
    vpc = one(data, "aws_eks_cluster")["vpc_config"]
    assert vpc["endpoint_public_access"] is True
    assert vpc["public_access_cidrs"] == ["198.51.100.0/24"]


def pools(environment) -> set[str]:
    """The node groups the catalog declares: general, spot and GPU always, the PCI pool where it is set."""
    return {name for name, group in environment.node_groups if group is not None}


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_launch_templates_require_imdsv2_and_encrypt_volumes(stack, env, env_name: str) -> None:
    templates = resources(stack(env_name), "aws_launch_template")
    assert len(templates) == len(pools(env(env_name)))
    for template in templates.values():
        metadata = template["metadata_options"]
        assert metadata["http_tokens"] == "required"
        assert metadata["http_put_response_hop_limit"] == 1
        ebs = template["block_device_mappings"][0]["ebs"]
        assert ebs["encrypted"] == "true" and ebs["kms_key_id"].startswith("${aws_kms_key.")


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_node_groups(stack, env, env_name: str) -> None:
    groups = {g["node_group_name"]: g for g in resources(stack(env_name), "aws_eks_node_group").values()}
    assert set(groups) == pools(env(env_name))
    catalog_groups = env(env_name).node_groups
    for name, group in groups.items():
        sizes = getattr(catalog_groups, name)
        assert group["scaling_config"] == {"min_size": sizes.min, "max_size": sizes.max,
                                           "desired_size": sizes.desired}
        assert group["labels"] == {naming.NODE_POOL_LABEL: name}
        assert group["launch_template"]["id"].startswith("${aws_launch_template.")
    assert groups["general"]["capacity_type"] == "ON_DEMAND"
    assert groups["spot"]["capacity_type"] == "SPOT"
    gpu = groups["gpu"]
    assert gpu["taint"] == [{"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}]
    assert gpu["ami_type"] == "AL2023_x86_64_NVIDIA"
    assert (gpu["scaling_config"]["min_size"], gpu["scaling_config"]["desired_size"]) == (0, 0)


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_addons_and_node_role(stack, env, env_name: str) -> None:
    data = stack(env_name)
    addons = {a["addon_name"]: a for a in resources(data, "aws_eks_addon").values()}
    assert set(addons) == {"vpc-cni", "coredns", "kube-proxy", "aws-ebs-csi-driver"}
    # the NetworkPolicies in gitops_out/ are enforced only with the VPC CNI's policy agent on
    assert json.loads(addons["vpc-cni"]["configuration_values"]) == {"enableNetworkPolicy": "true"}
    ebs_role = naming.addon_role_name(env(env_name), "ebs-csi")
    role_key = next(k for k, r in resources(data, "aws_iam_role").items() if r["name"] == ebs_role)
    assert addons["aws-ebs-csi-driver"]["service_account_role_arn"] == f"${{aws_iam_role.{role_key}.arn}}"
    attached = {a["policy_arn"].rsplit("/", 1)[-1] for a in resources(data, "aws_iam_role_policy_attachment").values()}
    assert {"AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly"} <= attached
    oidc = one(data, "aws_iam_openid_connect_provider")
    assert oidc["client_id_list"] == ["sts.amazonaws.com"]


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_one_ecr_repository_per_service(stack, env, env_name: str) -> None:
    repos = {r["name"] for r in resources(stack(env_name), "aws_ecr_repository").values()}
    assert repos == {naming.ecr_repository_name(s) for s in env(env_name).services.values()}
    assert len(resources(stack(env_name), "aws_ecr_lifecycle_policy")) == len(repos)


# --- IRSA ---------------------------------------------------------------------------------------


def _trust(data: dict[str, Any], role_name: str) -> dict[str, Any]:
    role = by_name(data, "aws_iam_role", role_name)
    (statement,) = json.loads(role["assume_role_policy"])["Statement"]
    return statement


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_irsa_trust_is_bound_to_exactly_one_service_account(stack, env, env_name: str) -> None:
    data, environment = stack(env_name), env(env_name)
    host = f"${{local.{next(iter(data['locals']))}}}"
    oidc_key = next(iter(resources(data, "aws_iam_openid_connect_provider")))
    accounts = {naming.service_role_name(environment, s): naming.ServiceAccountRef(s.namespace, s.name)
                for s in environment.services.values()}
    accounts |= {naming.addon_role_name(environment, a): ref for a, ref in naming.ADDON_SERVICE_ACCOUNTS.items()}
    for role_name, account in accounts.items():
        statement = _trust(data, role_name)
        assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
        assert statement["Principal"] == {"Federated": f"${{aws_iam_openid_connect_provider.{oidc_key}.arn}}"}
        assert statement["Condition"] == {"StringEquals": {
            f"{host}:sub": f"system:serviceaccount:{account.namespace}:{account.name}",
            f"{host}:aud": "sts.amazonaws.com",
        }}, role_name
    assert data["locals"][next(iter(data["locals"]))].startswith("${replace(aws_eks_cluster.")


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_service_policies_are_least_privilege(stack, env, env_name: str) -> None:
    data, environment = stack(env_name), env(env_name)
    for service in environment.services.values():
        policy = role_policy(data, naming.service_role_name(environment, service))
        granted = actions(policy)
        resources_text = json.dumps(policy)
        for statement in policy["Statement"]:
            assert "*" not in statement["Resource"] and "*" not in statement["Action"], service.name
        assert f"secret:{naming.aws_secret_prefix(environment, service.name)}*" in resources_text
        assert ("rds-db:connect" in granted) is service.depends_on.postgres, service.name
        assert ("aws_secretsmanager_secret.postgres_" in resources_text) is service.depends_on.postgres
        assert ("elasticache:Connect" in granted) is service.depends_on.redis, service.name
        assert ("aws_secretsmanager_secret.redis_" in resources_text) is service.depends_on.redis
        assert ("bedrock:InvokeModel" in granted) is ("bedrock" in service.aws_access), service.name
        assert ("kms:Encrypt" in granted) is ("kms" in service.aws_access), service.name
        if service.depends_on.postgres:
            assert f"/{naming.postgres_user(service)}" in resources_text


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_addon_policies(stack, env, env_name: str) -> None:
    data, environment = stack(env_name), env(env_name)
    for backend in ("loki", "tempo"):
        text = json.dumps(role_policy(data, naming.addon_role_name(environment, backend)))
        own = next(k for k, b in resources(data, "aws_s3_bucket").items()
                   if b["bucket"] == naming.bucket_name(environment, backend))
        other = next(k for k, b in resources(data, "aws_s3_bucket").items()
                     if b["bucket"] == naming.bucket_name(environment, "tempo" if backend == "loki" else "loki"))
        assert own in text and other not in text
    cert = role_policy(data, naming.addon_role_name(environment, "cert-manager"))
    assert f"arn:aws:route53:::hostedzone/{environment.route53_zone_id}" in json.dumps(cert)
    assert "route53:ListHostedZones" not in actions(cert)
    # Grafana's CloudWatch data source: reading metrics, nothing else.
    grafana = role_policy(data, naming.addon_role_name(environment, "grafana"))
    assert actions(grafana) == {"cloudwatch:GetMetricData", "cloudwatch:ListMetrics"}


# --- secrets, WAF, monitoring -------------------------------------------------------------------


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_connection_secrets_are_named_by_naming_and_hold_no_password(stack, env, env_name: str) -> None:
    data, environment = stack(env_name), env(env_name)
    names = {s["name"] for s in resources(data, "aws_secretsmanager_secret").values()}
    assert names == {naming.aws_secret_name(environment, c) for c in ("postgres", "redis")}
    for version in resources(data, "aws_secretsmanager_secret_version").values():
        value = json.loads(version["secret_string"])
        assert {"host", "port"} <= set(value)
        assert not {"password", "auth_token"} & set(value)
    db = one(data, "aws_db_instance")
    assert db["manage_master_user_password"] is True and "password" not in db
    assert db["iam_database_authentication_enabled"] is True
    assert "auth_token" not in one(data, "aws_elasticache_replication_group")


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_postgres_parameters_force_tls_and_log_statements(stack, env_name: str) -> None:
    data = stack(env_name)
    parameters = {p["name"]: p["value"] for p in one(data, "aws_db_parameter_group")["parameter"]}
    assert parameters["rds.force_ssl"] == "1"
    assert parameters["log_statement"] in {"ddl", "mod", "all"}
    db = one(data, "aws_db_instance")
    assert db["engine"] == "postgres" and db["engine_version"].startswith("16")
    assert db["enabled_cloudwatch_logs_exports"] and db["monitoring_interval"] > 0
    assert db["copy_tags_to_snapshot"] is True and db["auto_minor_version_upgrade"] is True


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_each_deployment_has_its_own_final_snapshot_name(stack, env, env_name: str) -> None:
    """A fixed name exists after the first teardown, and RDS refuses the second one: the name ends in the
    time of the plan that created the instance, and stays that instance's (ignored afterwards)."""
    data = stack(env_name)
    db = one(data, "aws_db_instance")
    base = naming.final_snapshot_identifier(naming.stack_name(env(env_name)))
    assert db["skip_final_snapshot"] is False
    assert db["final_snapshot_identifier"] == \
        f'${{join("-", ["{base}", formatdate("YYYYMMDDhhmmss", plantimestamp())])}}'
    assert "final_snapshot_identifier" in db["lifecycle"]["ignore_changes"]


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_redis_users_authenticate_with_iam(stack, env, env_name: str) -> None:
    data, environment = stack(env_name), env(env_name)
    users = {u["user_name"]: u for u in resources(data, "aws_elasticache_user").values()}
    assert users.pop("default")["access_string"].startswith("off")
    assert set(users) == {naming.redis_user(environment, s) for s in environment.services.values()
                          if s.depends_on.redis}
    assert all(u["authentication_mode"]["type"] == "iam" for u in users.values())


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_waf_uses_managed_rules_and_a_rate_limit(stack, env_name: str) -> None:
    acl = one(stack(env_name), "aws_wafv2_web_acl")
    assert acl["scope"] == "REGIONAL"
    groups = {r["statement"]["managed_rule_group_statement"]["name"] for r in acl["rule"]
              if "managed_rule_group_statement" in r["statement"]}
    assert groups == {"AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet",
                      "AWSManagedRulesSQLiRuleSet", "AWSManagedRulesAmazonIpReputationList",
                      "AWSManagedRulesAnonymousIpList"}
    # Anonymizers stay blocked; customers' servers at hosting providers are only counted.
    overrides = {r["statement"]["managed_rule_group_statement"]["name"]:
                 r["statement"]["managed_rule_group_statement"].get("rule_action_override")
                 for r in acl["rule"] if "managed_rule_group_statement" in r["statement"]}
    assert overrides.pop("AWSManagedRulesAnonymousIpList") == [
        {"name": "HostingProviderIPList", "action_to_use": {"count": {}}}]
    assert set(overrides.values()) == {None}
    assert any("rate_based_statement" in r["statement"] for r in acl["rule"])
    assert one(stack(env_name), "aws_wafv2_web_acl_logging_configuration")


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_buckets_are_private_versioned_and_tls_only(stack, env, env_name: str) -> None:
    data = stack(env_name)
    buckets = {b["bucket"] for b in resources(data, "aws_s3_bucket").values()}
    assert buckets == {naming.bucket_name(env(env_name), p) for p in ("loki", "tempo", "alb-logs")}
    for block in resources(data, "aws_s3_bucket_public_access_block").values():
        assert all(block[k] is True for k in ("block_public_acls", "block_public_policy", "ignore_public_acls",
                                              "restrict_public_buckets"))
    for versioning in resources(data, "aws_s3_bucket_versioning").values():
        assert versioning["versioning_configuration"]["status"] == "Enabled"
    for lifecycle in resources(data, "aws_s3_bucket_lifecycle_configuration").values():
        assert lifecycle["rule"][0]["status"] == "Enabled"
    for policy in resources(data, "aws_s3_bucket_policy").values():
        statement, *grants = json.loads(policy["policy"])["Statement"]
        assert statement["Effect"] == "Deny"
        assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        assert [grant["Sid"] for grant in grants] in ([], ["LoadBalancerAccessLogs"])


# --- snapshot -----------------------------------------------------------------------------------


@pytest.fixture
def json_snapshot(snapshot):
    return snapshot.use_extension(JSONSnapshotExtension)


@pytest.mark.parametrize("stack_name", STACKS)
def test_snapshot(infra, json_snapshot, stack_name: str) -> None:
    assert strip_metadata(infra.json(stack_name)) == json_snapshot
