"""Every class of bad catalog gets one clear line per problem, exit code 2, and untouched output."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from brief import PRODUCTION

import main

ROOT = Path(__file__).resolve().parent.parent
GOOD = (ROOT / "platform.yaml").read_text(encoding="utf-8")
LINE = re.compile(r"^bad\.yaml(:\d+)?: \S.*$")


def mutate(edit: Callable[[dict[str, Any]], None]) -> str:
    data = yaml.safe_load(GOOD)
    edit(data)
    return yaml.safe_dump(data, sort_keys=False)


def svc(name: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda data: data["services"][name]


def run_bad(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str) -> list[str]:
    """Run synth on `text`; assert exit 2 and that the existing output was not touched."""
    catalog = tmp_path / "bad.yaml"
    catalog.write_text(text, encoding="utf-8")
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
    "one zone for multi-az": (set_in(("environments", "staging", "availability_zones"), ["eu-west-1a"]),
                              "postgres.multi_az needs at least two availability zones"),
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
