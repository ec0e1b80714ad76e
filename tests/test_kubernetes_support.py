"""Every environment runs a Kubernetes version EKS supports: the calendar's rules on chosen dates, the real
catalog on today's date (this is the CI gate that starts failing when a version ages out), and
`validate` reporting both. Dates come from the calendar, never typed here."""

from __future__ import annotations

import datetime
from datetime import timedelta
from pathlib import Path

import pytest

import cli.read
import main
from catalog import load_catalog
from catalog.eks_support import EKS_VERSIONS, WARN_DAYS
from catalog.rules import kubernetes_support

ROOT = Path(__file__).resolve().parent.parent


def catalog_at(tmp_path: Path, version: str):
    path = tmp_path / "platform.yaml"
    text = (ROOT / "platform.yaml").read_text()
    path.write_text(text.replace('kubernetes_version: "', f'kubernetes_version: "{version}"  # was "'))
    return load_catalog(path)


def messages(findings) -> list[str]:
    return [finding.message for finding in findings]


def test_every_environment_runs_a_supported_version_today(catalog) -> None:
    errors, _ = kubernetes_support(catalog, datetime.date.today())
    assert errors == [], "an environment runs a Kubernetes version EKS no longer supports: upgrade it"


def test_the_catalog_runs_a_version_in_standard_support(catalog) -> None:
    """Issue 10: standard support, not the extra-cost extended support, for every environment now."""
    today = datetime.date.today()
    for env in catalog.environments.values():
        assert today <= EKS_VERSIONS[env.kubernetes_version].end_of_standard, env.name


@pytest.mark.parametrize("version", sorted(EKS_VERSIONS))
def test_the_calendar_warns_then_fails(tmp_path: Path, version: str) -> None:
    window = EKS_VERSIONS[version]
    catalog = catalog_at(tmp_path, version)
    envs = len(catalog.environments)
    quiet = window.end_of_standard - timedelta(days=WARN_DAYS + 1)
    assert kubernetes_support(catalog, quiet) == ([], [])
    errors, warnings = kubernetes_support(catalog, window.end_of_standard - timedelta(days=WARN_DAYS))
    assert errors == [] and len(warnings) == envs and "leaves standard support" in warnings[0].message
    errors, warnings = kubernetes_support(catalog, window.end_of_standard + timedelta(days=1))
    assert errors == [] and len(warnings) == envs and "extended support (extra cost)" in warnings[0].message
    errors, warnings = kubernetes_support(catalog, window.end_of_extended + timedelta(days=1))
    assert len(errors) == envs and warnings == []
    assert errors[0].path[-1] == "kubernetes_version" and "cannot be created" in errors[0].message


def test_a_version_outside_the_calendar_is_refused_at_load(tmp_path: Path, capsys) -> None:
    """A well-formed version EKS does not offer (or whose dates we do not know): exit 2, one line per env."""
    unknown = next(f"1.{minor}" for minor in range(25, 38) if f"1.{minor}" not in EKS_VERSIONS)
    path = tmp_path / "platform.yaml"
    path.write_text((ROOT / "platform.yaml").read_text().replace(
        'kubernetes_version: "', f'kubernetes_version: "{unknown}"  # was "'))
    code = main.main(["synth", "--only", "kubernetes", "--catalog", str(path), "--out", str(tmp_path / "out")])
    assert code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == len(load_catalog(ROOT / "platform.yaml").environments)
    assert all(f".kubernetes_version: {unknown} is not in the EKS support calendar" in line for line in lines)
    assert not (tmp_path / "out").exists()


def test_validate_fails_on_a_retired_version_and_warns_on_an_aging_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    oldest = min(EKS_VERSIONS, key=lambda v: EKS_VERSIONS[v].end_of_extended)
    path = tmp_path / "platform.yaml"
    path.write_text((ROOT / "platform.yaml").read_text().replace(
        'kubernetes_version: "', f'kubernetes_version: "{oldest}"  # was "'))
    (tmp_path / "out").mkdir()

    class Today(datetime.date):
        @classmethod
        def today(cls):
            return EKS_VERSIONS[oldest].end_of_extended + timedelta(days=1)

    monkeypatch.setattr(cli.read.datetime, "date", Today)
    monkeypatch.setattr(main, "STATE_DIR", tmp_path / "state")
    capsys.readouterr()
    assert main.main(["validate", "--catalog", str(path), "--out", str(tmp_path / "out")]) == 1
    out = capsys.readouterr().out.splitlines()
    assert len(out) == len(load_catalog(path).environments)
    assert all("kubernetes_version: EKS ended extended support" in line for line in out)
