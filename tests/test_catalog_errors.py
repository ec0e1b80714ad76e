"""Every class of bad catalog gets one clear line per problem, exit code 2, and untouched output."""

from __future__ import annotations

import copy
import os
import re
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from brief import PRODUCTION

import main
from catalog import naming
from catalog.loader import MAX_PROBLEMS
from catalog.regions import ZONE_LETTERS
from catalog.yaml_source import MAX_BYTES, MAX_DEPTH, MAX_ITEMS

ROOT = Path(__file__).resolve().parent.parent
GOOD = (ROOT / "platform.yaml").read_text(encoding="utf-8")
GOOD_DATA = yaml.load(GOOD, Loader=yaml.CSafeLoader)
LINE = re.compile(r"^bad\.yaml(:\d+)?: \S.*$")


def mutate(edit: Callable[[dict[str, Any]], None]) -> str:
    data = copy.deepcopy(GOOD_DATA)
    edit(data)
    return yaml.dump(data, Dumper=yaml.CSafeDumper, sort_keys=False)


def svc(name: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda data: data["services"][name]


def run_bad(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str | bytes) -> list[str]:
    """Run synth on `text`; assert exit 2 and that the existing output was not touched."""
    catalog = tmp_path / "bad.yaml"
    catalog.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    out = tmp_path / "out"
    (out / "prod").mkdir(parents=True)
    (out / "prod" / "keep.yaml").write_text("sentinel\n")
    code = main.main(["synth", "--only", "kubernetes", "--catalog", str(catalog), "--out", str(out)])
    errors = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert [p.name for p in out.rglob("*")] == ["prod", "keep.yaml"]
    assert (out / "prod" / "keep.yaml").read_text() == "sentinel\n"
    assert not list(tmp_path.glob(".out.*")), "staging folder leaked"
    for line in errors:
        assert LINE.match(line.replace(str(catalog), "bad.yaml")), f"not a one-line error: {line!r}"
        assert "Traceback" not in line
    return [line.replace(str(catalog), "bad.yaml") for line in errors]


def set_in(path: tuple[str, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(data: dict[str, Any]) -> None:
        node = data
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return edit


CASES = {
    "unknown key": (set_in(("services", "auth-service", "colour"), "red"),
                    "services.auth-service.colour: unknown field"),
    "unknown top-level key": (set_in(("servics",), {}), "servics: unknown field"),
    "missing key": (lambda d: d["services"]["auth-service"].pop("port"),
                    "services.auth-service.port: required field is missing"),
    "wrong type": (set_in(("services", "auth-service", "port"), "4001"),
                   "services.auth-service.port: Input should be a valid integer (got str '4001')"),
    "port too high": (set_in(("services", "auth-service", "port"), 70000),
                      "services.auth-service.port: Input should be less than or equal to 65535"),
    "port zero": (set_in(("services", "auth-service", "port"), 0),
                  "services.auth-service.port: Input should be greater than or equal to 1"),
    "duplicate port in namespace": (set_in(("services", "tenant-service", "port"), 4000),
                                    "services.tenant-service.port: port 4000 is already used by 'api-gateway'"),
    "hpa min below one": (set_in(("services", "auth-service", "autoscaling", "min"), 0),
                          "services.auth-service.autoscaling.min: Input should be greater than or equal to 1"),
    "hpa min above max": (set_in(("services", "auth-service", "autoscaling", "min"), 9),
                          "services.auth-service.autoscaling: min (9) is greater than max (8)"),
    "budget allows no disruption": (
        set_in(("services", "auth-service", "disruption_budget"), {"min_available": 3}),
        "services.auth-service.disruption_budget: allows no disruption at the autoscaling minimum of 3"),
    "budget with both fields": (
        set_in(("services", "auth-service", "disruption_budget"), {"min_available": 1, "max_unavailable": 1}),
        "services.auth-service.disruption_budget: set exactly one of min_available or max_unavailable"),
    "malformed cpu": (set_in(("services", "auth-service", "resources"),
                             {"requests": {"cpu": "250 m", "memory": "256Mi"},
                              "limits": {"cpu": "1", "memory": "1Gi"}}),
                      "services.auth-service.resources.requests.cpu: '250 m' is not a valid CPU quantity"),
    "malformed memory": (set_in(("service_defaults", "resources", "limits", "memory"), "512MB"),
                         "service_defaults.resources.limits.memory: '512MB' is not a valid memory quantity"),
    "requests above limits": (set_in(("service_defaults", "resources", "requests", "cpu"), "2"),
                              "service_defaults.resources: requests.cpu 2 exceeds limits.cpu 1"),
    "unknown dependency": (set_in(("services", "audit-log-service", "depends_on"), {"services": ["ledger"]}),
                           "services.audit-log-service.depends_on.services: unknown service 'ledger'"),
    "dependency cycle": (set_in(("services", "audit-log-service", "depends_on"), {"services": ["auth-service"]}),
                         "dependency cycle: "),
    "unknown namespace": (set_in(("services", "auth-service", "namespace"), "platform"),
                          "services.auth-service.namespace: unknown namespace 'platform'"),
    "namespace without workloads": (set_in(("services", "auth-service", "namespace"), "cert-manager"),
                                    "namespace 'cert-manager' is not for workloads"),
    "malformed image": (set_in(("services", "auth-service", "image"), "Payledger/Auth Service:latest"),
                        "services.auth-service.image: 'Payledger/Auth Service:latest' is not a valid image"),
    "malformed health path": (set_in(("service_defaults", "health", "readiness"), "health"),
                              "service_defaults.health.readiness: 'health' is not a valid HTTP path"),
    "override for unknown service": (set_in(("environments", "prod", "service_overrides"), {"ledger": {}}),
                                     "environments.prod.service_overrides.ledger: override for an unknown service"),
    "malformed account id": (set_in(("environments", "dev", "account_id"), "1234"),
                             "environments.dev.account_id: '1234' is not a valid AWS account id"),
    "account id as number": (set_in(("environments", "dev", "account_id"), 111111111111),
                             "environments.dev.account_id: Input should be a valid string"),
    "malformed cidr": (set_in(("environments", "dev", "vpc_cidr"), "10.10.0.0/33"),
                       "environments.dev.vpc_cidr: '10.10.0.0/33' is not a valid IPv4 CIDR block"),
    "overlapping cidrs": (set_in(("environments", "prod", "vpc_cidr"), "10.10.0.0/16"),
                          "environments.prod.vpc_cidr: 10.10.0.0/16 overlaps dev's 10.10.0.0/16"),
    "zone outside region": (set_in(("environments", "prod", "availability_zones"),
                                   ["eu-west-1a", "eu-west-1b", "us-east-1c"]),
                            "environments.prod.availability_zones.2: zone 'us-east-1c' is not in region"),
    "one zone": (set_in(("environments", "dev", "availability_zones"), ["eu-west-1a"]),
                 "environments.dev.availability_zones: EKS and RDS subnet groups need subnets in at least two"),
    "unknown instance class": (set_in(("environments", "prod", "postgres", "instance_class"), "db.x9.huge"),
                               "environments.prod.postgres.instance_class: 'db.x9.huge' is not a valid RDS"),
    "unknown node instance type": (set_in(("environments", "prod", "node_groups", "general", "instance_types"),
                                          ["m6i-large"]),
                                   "is not a valid EC2 instance type"),
    "public endpoint in production": (set_in(("environments", "prod", "cluster_public_endpoint"), True),
                                      "environments.prod.cluster_public_endpoint: a production cluster API must"),
    "unknown environment key": (set_in(("environments", "dev", "regoin"), "x"),
                                "environments.dev.regoin: unknown field"),
}



# --- What AWS, Kubernetes or Argo CD would refuse, and names two things would share ---

def add_service(name: str, template: str, **changes: Any) -> Callable[[dict[str, Any]], None]:
    """A copy of service `template` named `name` on a port of its own, not public."""
    def edit(data: dict[str, Any]) -> None:
        port = 1 + max(service["port"] for service in data["services"].values())
        data["services"][name] = {**copy.deepcopy(data["services"][template]), "port": port, "public": False,
                                  **changes}

    return edit


def add_environment(name: str, template: str, **changes: Any) -> Callable[[dict[str, Any]], None]:
    def edit(data: dict[str, Any]) -> None:
        data["environments"][name] = {**copy.deepcopy(data["environments"][template]), **changes}

    return edit


def both(*edits: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    def edit(data: dict[str, Any]) -> None:
        for one in edits:
            one(data)

    return edit


CATALOG = yaml.safe_load(GOOD)
LONGEST_CLUSTER = "c" * 63  # the longest cluster name the schema accepts (a DNS label)
UNUSED_ZONE = "eu-west-1" + chr(ord(max(ZONE_LETTERS["eu-west-1"])) + 1)
NO_REDIS = next(name for name, s in CATALOG["services"].items() if not s.get("depends_on", {}).get("redis"))
# Long enough that `payledger-<env>-redis` just fits ElastiCache's limit and `payledger-<env>-default` does not.
LONG_ENV = "e" * (naming.ELASTICACHE_GROUP.max_length - len("payledger--redis"))
ANY_SERVICE = next(iter(CATALOG["services"]))
LONG_IMAGE = "payledger/" + "i" * (naming.ECR_REPOSITORY.max_length + 1 - len("payledger/"))
# Within ECR's limit, but not once the registry host is put in front.
LONGISH_IMAGE = "payledger/" + "i" * (naming.ECR_REPOSITORY.max_length - 10 - len("payledger/"))
TOO_LONG_FOR_STAGING_UID = "d" * (naming.GRAFANA_UID.max_length - len("staging-") + 1)
PUBLIC = next(name for name, s in CATALOG["services"].items() if s.get("public"))

CASES |= {
    "cluster name too long for its IAM roles": (
        set_in(("environments", "dev", "cluster_name"), LONGEST_CLUSTER),
        f"environments.dev.cluster_name: IAM role name '{LONGEST_CLUSTER}-cluster' is "
        f"{len(LONGEST_CLUSTER) + len('-cluster')} characters, over the limit of {naming.IAM_ROLE.max_length}"),
    "ElastiCache default user id too long": (
        add_environment(LONG_ENV, "prod", vpc_cidr="10.50.0.0/16", account_id="555555555555",
                        service_overrides={"*": {"depends_on": {"redis": False}}}),
        f"environments.{LONG_ENV}: ElastiCache user id 'payledger-{LONG_ENV}-default' is "
        f"{naming.ELASTICACHE_USER.max_length + 2} characters, over the limit of {naming.ELASTICACHE_USER.max_length}"),
    "identifiers starting with a digit": (set_in(("project", "name"), "1payledger"),
                                          "environments.dev: RDS instance identifier '1payledger-dev-postgres' must "
                                          "be a lowercase letter"),
    "identifiers holding --": (set_in(("project", "name"), "pay--ledger"),
                               "environments.dev: ElastiCache replication group id 'pay--ledger-dev-redis' must be"),
    "image over ECR's limit": (set_in(("services", ANY_SERVICE, "image"), LONG_IMAGE),
                               f"services.{ANY_SERVICE}: ECR repository name '{LONG_IMAGE}' is "
                               f"{len(LONG_IMAGE)} characters, over the limit of {naming.ECR_REPOSITORY.max_length}"),
    "image reference over the runtimes' limit": (
        set_in(("services", ANY_SERVICE, "image"), LONGISH_IMAGE),
        f"services.{ANY_SERVICE}: container image name '111111111111.dkr.ecr.eu-west-1.amazonaws.com/{LONGISH_IMAGE}'"),
    "VPC too small for AWS subnets": (set_in(("environments", "dev", "vpc_cidr"), "10.10.0.0/24"),
                                      "environments.dev.vpc_cidr: 10.10.0.0/24 is too small: it splits into /"),
    "zone the region does not have": (set_in(("environments", "dev", "availability_zones"),
                                             ["eu-west-1a", UNUSED_ZONE]),
                                      f"environments.dev.availability_zones.1: zone '{UNUSED_ZONE}' is not in region"),
    "region without a zone table": (both(set_in(("environments", "dev", "region"), "eu-west-9"),
                                         set_in(("environments", "dev", "availability_zones"),
                                                ["eu-west-9a", "eu-west-9b"])),
                                    "environments.dev.region: region 'eu-west-9' is not in catalog/regions.py"),
    "service name that is no Service name": (add_service("4xx-service", ANY_SERVICE, image="payledger/4xx"),
                                             "services.4xx-service: Kubernetes Service name '4xx-service' must be a "
                                             "lowercase letter"),
    "two public services": (set_in(("services", "billing-service", "public"), True),
                            f"services.billing-service.public: only one service may be public; '{PUBLIC}' is too"),
    "no public service": (set_in(("services", PUBLIC, "public"), False), "services: no service is public in dev"),
    "stack name of another environment's state stack": (
        add_environment("prod-state", "prod", vpc_cidr="10.40.0.0/16", account_id="444444444444",
                        service_overrides={"*": {"depends_on": {"redis": False}}}),
        "environments.prod-state: CDKTF stack name 'payledger-prod-state' is also made for environments.prod in prod"),
    "IAM roles of two clusters in one account": (
        both(set_in(("environments", "staging", "account_id"), CATALOG["environments"]["dev"]["account_id"]),
             set_in(("environments", "staging", "region"), "eu-west-2"),
             set_in(("environments", "staging", "availability_zones"), ["eu-west-2a", "eu-west-2b"]),
             set_in(("environments", "staging", "cluster_name"), CATALOG["environments"]["dev"]["cluster_name"])),
        "environments.staging.cluster_name: IAM role name 'payledger-dev-cluster' is also made for "
        "environments.dev.cluster_name in dev"),
    "two services with one image": (set_in(("services", "billing-service", "image"),
                                           CATALOG["services"][ANY_SERVICE]["image"]),
                                    f"services.billing-service: ECR repository name "
                                    f"'{CATALOG['services'][ANY_SERVICE]['image']}' is also made for"),
    "service named like an add-on's Application": (
        add_service("cert-manager", ANY_SERVICE, image="payledger/cm"),
        "services.cert-manager: Application 'cert-manager' in namespace 'argocd' would replace the platform's own"),
    "service named like the root Application": (add_service("root", ANY_SERVICE, image="payledger/root"),
                                                "services.root: Application 'root' in namespace 'argocd' would"),
    "service named like a namespace guard rail": (
        add_service("allow-dns", ANY_SERVICE, image="payledger/dns"),
        "services.allow-dns: NetworkPolicy 'allow-dns-egress' in namespace 'platform-core' would replace the one"),
    "service named default": (add_service("default", ANY_SERVICE, image="payledger/default"),
                              "services.default: ServiceAccount 'default' in namespace 'platform-core' would"),
    "service logging in as a reserved database role": (
        add_service("pg-monitor", "billing-service", image="payledger/pg"),
        "services.pg-monitor: PostgreSQL role 'pg_monitor' must not start with 'pg_' (reserved)"),
    "dashboard uid over Grafana's limit": (
        add_service(TOO_LONG_FOR_STAGING_UID, NO_REDIS, image="payledger/d"),
        f"Grafana dashboard uid 'staging-{TOO_LONG_FOR_STAGING_UID}' is {naming.GRAFANA_UID.max_length + 1} "
        f"characters, over the limit of {naming.GRAFANA_UID.max_length}"),
    "workloads in kube-system": (both(set_in(("namespaces", "kube-system"), {"pod_security": "privileged",
                                                                             "workloads": True}),
                                      set_in(("services", ANY_SERVICE, "namespace"), "kube-system")),
                                 f"services.{ANY_SERVICE}.namespace: namespace 'kube-system' belongs to Kubernetes"),
    "catalog managing argocd": (set_in(("namespaces", "argocd"), {"pod_security": "baseline", "workloads": False}),
                                "namespaces.argocd: 'argocd' belongs to Kubernetes or Argo CD"),
    "workloads in an add-on namespace": (
        set_in(("namespaces", "external-secrets"), {"pod_security": "restricted", "workloads": True}),
        "namespaces.external-secrets.workloads: 'external-secrets' is where add-ons run (external-secrets)"),
    "workload namespace named like an AppProject": (
        set_in(("namespaces", "system"), {"pod_security": "restricted", "workloads": True}),
        "namespaces.system: a workload namespace gets an Argo CD project of its name, and 'system' is taken"),
    "public ranges covering the internet": (
        both(set_in(("environments", "dev", "cluster_public_endpoint"), True),
             set_in(("environments", "dev", "cluster_public_access_cidrs"), ["0.0.0.0/1", "128.0.0.0/1"])),
        "environments.dev.cluster_public_access_cidrs: 0.0.0.0/1, 128.0.0.0/1 together open the cluster API"),
    "budget of min_available 0": (set_in(("services", ANY_SERVICE, "disruption_budget"), {"min_available": 0}),
                                  f"services.{ANY_SERVICE}.disruption_budget.min_available: Input should be "
                                  "greater than or equal to 1"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_rejection_class(case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit, expected = CASES[case]
    errors = run_bad(tmp_path, capsys, mutate(edit))
    assert any(expected in line for line in errors), errors


def test_errors_name_the_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = GOOD.replace("    port: 4003\n", "    port: 99999\n")
    line = GOOD.splitlines().index("    port: 4003") + 1
    errors = run_bad(tmp_path, capsys, text)
    assert f"bad.yaml:{line}: services.billing-service.port: Input should be less than or equal to 65535" in errors


def test_every_error_is_listed_not_just_the_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["services"]["auth-service"]["port"] = 0
        data["services"]["billing-service"]["image"] = "UPPER"
        data["services"]["metering-service"]["autoscaling"]["metric"] = "gpu"
        data["environments"]["dev"]["region"] = "moon"

    errors = run_bad(tmp_path, capsys, mutate(edit))
    assert {line.split(": ")[1] for line in errors} >= {
        "services.auth-service.port",
        "services.billing-service.image",
        "services.metering-service.autoscaling.metric",
        "environments.dev.region",
    }


def test_duplicate_service_names(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = GOOD.replace("  tenant-service:\n", "  auth-service:\n    port: 4011\n  tenant-service:\n", 1)
    errors = run_bad(tmp_path, capsys, text)
    assert any("services.auth-service: duplicate key 'auth-service' (first defined on line" in e for e in errors)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "bad.yaml: the file is empty"),
        ("# only a comment\n", "bad.yaml: the file is empty"),
        ("- a\n- b\n", "bad.yaml:1: the top level must be a mapping, not a list"),
        ("just text\n", "bad.yaml:1: the top level must be a mapping, not a str"),
        ("services: {a: 1\n", "bad.yaml:2: YAML syntax error"),
        ("a: 1\n---\nb: 2\n", "bad.yaml:2: YAML syntax error: expected a single document in the stream"),
    ],
    ids=["empty", "comment-only", "list-root", "scalar-root", "syntax", "two-documents"],
)
def test_unreadable_files(text: str, expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    errors = run_bad(tmp_path, capsys, text)
    assert any(line.startswith(expected) for line in errors), errors


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main.main(["check", "--catalog", str(tmp_path / "nope.yaml")])
    assert code == 2
    assert capsys.readouterr().err.strip().endswith("nope.yaml: No such file or directory")




def test_production_resolves_to_the_brief() -> None:
    from catalog import load_catalog

    prod = load_catalog(ROOT / "platform.yaml").environments["prod"]
    resolved = {
        s.name: (s.namespace, s.port, s.autoscaling.min, s.autoscaling.max, s.disruption_budget.min_available,
                 s.autoscaling.metric, s.autoscaling.target_utilization)
        for s in prod.services.values()
    }
    assert resolved == PRODUCTION
    ai = prod.services["ai-orchestrator"]
    assert (ai.resources.limits.cpu, ai.resources.limits.memory, ai.gpu.enabled) == ("2", "4Gi", False)


def test_environment_overrides_are_merge_patches() -> None:
    from catalog import load_catalog

    environments = load_catalog(ROOT / "platform.yaml").environments
    dev_gateway = environments["dev"].services["api-gateway"]
    assert (dev_gateway.autoscaling.min, dev_gateway.autoscaling.max) == (1, 2)
    assert dev_gateway.autoscaling.target_utilization == 70  # kept from the service: "*" patches min/max only
    assert dev_gateway.disruption_budget.min_available is None  # null removes the production minAvailable
    assert dev_gateway.disruption_budget.max_unavailable == 1
    assert dev_gateway.resources.requests.cpu == "100m"
    assert dev_gateway.resources.limits.cpu == "1"  # from service_defaults, untouched by the patch
    assert environments["dev"].services["ai-orchestrator"].resources.requests.memory == "1Gi"


# --- Hostile YAML: refused with its line, before any value is built ---

ALIASES = "project: &p {name: payledger}\nnamespaces: *p\n"
# The top mapping is level 1, so the bracket on line MAX_DEPTH + 1 opens level MAX_DEPTH + 1.
DEEP = "project:\n" + " [\n" * (MAX_DEPTH + 5) + " ]" * (MAX_DEPTH + 5) + "\n"
HOSTILE = {
    "anchor and alias": (ALIASES, 1, "anchors and aliases (&, *) are not supported"),
    "merge key of a scalar": ("project:\n  name: payledger\n  <<: 5\n", 3, "merge keys (<<) are not supported"),
    "merge key of a mapping": ("project:\n  <<: {name: payledger}\n", 2, "merge keys (<<) are not supported"),
    "tag on a key": ("project:\n  ? !!python/name:os.system\n  : 1\n", 2, "tags (tag:yaml.org,2002:python/name"),
    "tag on a value": ("project:\n  name: !!binary aGk=\n", 2, "tags (tag:yaml.org,2002:binary) are not"),
    "local tag": ("project: !thing {}\n", 1, "tags (!thing) are not supported"),
    "mapping as key": ("project:\n  ? {a: 1}\n  : 1\n", 2, "project: keys must be scalars"),
    "deep nesting": (DEEP, MAX_DEPTH + 1, f"nested deeper than {MAX_DEPTH} levels"),
    "too many entries": ("project: [" + ", ".join(["a"] * (MAX_ITEMS + 1)) + "]\n", 1,
                         f"more than {MAX_ITEMS} entries in one list or mapping"),
    "NUL byte": ("project:\n  name: pay\0ledger\n", 2, "character U+0000 is not allowed in YAML text"),
    "invalid UTF-8": (b"project:\n  name: pay\xffledger\n", 2, "not UTF-8 text (byte 0xff)"),
    "integer of 5000 digits": ("project:\n  name: " + "9" * 5000 + "\n", 2, "project.name: cannot read int value"),
    "impossible date": ("project:\n  name: 2024-13-45\n", 2, "project.name: cannot read timestamp value: month"),
    "impossible date as key": ("project:\n  2024-13-45: 1\n", 2, "project: cannot read timestamp value: month"),
    "value tag PyYAML cannot build": ("project:\n  name: =\n", 2, "project.name: cannot read value value"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_yaml(case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text, line, expected = HOSTILE[case]
    errors = run_bad(tmp_path, capsys, text)
    assert any(error.startswith(f"bad.yaml:{line}: ") and expected in error for error in errors), errors


def test_an_unreadable_value_is_reported_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = GOOD.replace("  gitops_revision: main\n", "  gitops_revision: 2024-13-45\n")
    errors = run_bad(tmp_path, capsys, text)
    assert [error for error in errors if "project.gitops_revision" in error] == [
        f"bad.yaml:{GOOD.splitlines().index('  gitops_revision: main') + 1}: project.gitops_revision: "
        "cannot read timestamp value: month must be in 1..12"]


def test_oversized_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    padding = "#" * (MAX_BYTES - len(GOOD.encode("utf-8"))) + "\n"
    errors = run_bad(tmp_path, capsys, GOOD + padding)
    assert errors == [f"bad.yaml: larger than {MAX_BYTES // 2**20} MiB; not a catalog"]


def test_override_that_is_not_a_mapping(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    errors = run_bad(tmp_path, capsys, mutate(set_in(("environments", "dev", "service_overrides"), {"*": [1]})))
    assert any('environments.dev.service_overrides.*: must be a mapping (a merge patch)' in e for e in errors)


def test_a_flood_of_problems_stops_early(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = GOOD.replace("    vault_secrets: [jwt-signing-key]", "    vault_secrets: [" + ", ".join(
        f"X{index}" for index in range(MAX_ITEMS)) + "]")
    errors = run_bad(tmp_path, capsys, text)
    assert len(errors) == MAX_PROBLEMS + 1
    assert f"bad.yaml: stopped after {MAX_PROBLEMS} problems; fix these first" in errors


# --- The bounds: hostile files refused in a fresh process within 10 s and 1 GiB ---

TIME_LIMIT_S = 10
MEMORY_LIMIT = 2**30


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def billion_laughs() -> str:
    """Nine levels of nine aliases: under 1 KB of text, 9**9 values once expanded."""
    lines, previous = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'], "a"
    for name in "bcdefghi":
        lines.append(f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]")
        previous = name
    return "\n".join(lines) + "\n"


def _megabyte_of(item: str, prefix: str = "", suffix: str = "") -> str:
    room = MAX_BYTES - len(prefix) - len(suffix)
    return prefix + item * (room // len(item)) + suffix


def _inflated(old: str, item: str, prefix: str, suffix: str) -> str:
    """The real catalog with the first `old` replaced by `item` repeated to fill the file up to MAX_BYTES."""
    room = MAX_BYTES - len(GOOD) + len(old) - len(prefix) - len(suffix)
    return GOOD.replace(old, prefix + item * (room // len(item)) + suffix, 1)


BOUNDED = {
    "billion laughs": billion_laughs,
    "a megabyte of aliases": lambda: _megabyte_of(", *a", "a: &a 1\nb: [0", "]\n"),
    "nesting to libyaml's limit": lambda: _megabyte_of("[", "a: "),
    "a megabyte of keys": lambda: _megabyte_of("k: 1\n"),
    "slow-to-match instance type": lambda: _inflated("instance_types: [m6i.large]", "1", "instance_types: [a", "x]"),
    "a megabyte of bad names": lambda: _inflated("vault_secrets: [jwt-signing-key]", ", X", "vault_secrets: [X", "]"),
}


def _run_main(catalog: str, tmp_path: Path, command: str = "synth") -> subprocess.CompletedProcess[str]:
    out = tmp_path / "out"
    (out / "prod").mkdir(parents=True, exist_ok=True)
    (out / "prod" / "keep.yaml").write_text("sentinel\n")
    extra = ["--only", "kubernetes"] if command == "synth" else []
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), command, *extra, "--catalog", catalog, "--out", str(out)],
        capture_output=True, text=True, timeout=TIME_LIMIT_S, preexec_fn=_limited, cwd=tmp_path)
    assert time.monotonic() - started < TIME_LIMIT_S
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert [p.name for p in out.rglob("*")] == ["prod", "keep.yaml"]
    assert (out / "prod" / "keep.yaml").read_text() == "sentinel\n"
    return result


@pytest.mark.parametrize("case", sorted(BOUNDED))
def test_hostile_file_is_refused_within_bounds(case: str, tmp_path: Path) -> None:
    catalog = tmp_path / "bad.yaml"
    catalog.write_text(BOUNDED[case](), encoding="utf-8")
    assert catalog.stat().st_size <= MAX_BYTES
    lines = _run_main(str(catalog), tmp_path).stderr.strip().splitlines()
    assert lines and all(LINE.match(line.replace(str(catalog), "bad.yaml")) for line in lines), lines[:5]


@pytest.mark.parametrize("command", ["synth", "check", "validate"])
def test_every_command_refuses_the_bomb(command: str, tmp_path: Path) -> None:
    catalog = tmp_path / "bad.yaml"
    catalog.write_text(billion_laughs(), encoding="utf-8")
    assert "anchors and aliases" in _run_main(str(catalog), tmp_path, command).stderr


def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "catalog.fifo"
    os.mkfifo(fifo)
    assert _run_main(str(fifo), tmp_path).stderr.strip() == f"{fifo}: not a regular file"


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_device_is_refused(device: str, tmp_path: Path) -> None:
    assert _run_main(device, tmp_path).stderr.strip() == f"{device}: not a regular file"


def test_folder_is_refused(tmp_path: Path) -> None:
    assert _run_main(str(tmp_path), tmp_path).stderr.strip() == f"{tmp_path}: not a regular file"
