"""main.py as users and CI drive it: synth, the drift gate, validate, atomic writes, determinism."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from catalog_params import CATALOG as CATALOG_MODEL
from catalog_params import ENVIRONMENTS

import k8s_charts
import main
from catalog import naming
from output import transaction
from output.tree import diff_tree, read_tree

ROOT = Path(__file__).resolve().parent.parent
CATALOG = str(ROOT / "platform.yaml")
SHARED_CRDS = ROOT.parent / "shared" / "crds"


def synth(out: Path, *extra: str) -> int:
    return main.main(["synth", "--only", "kubernetes", "--catalog", CATALOG, "--out", str(out), *extra])


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fresh") / "gitops_out"
    assert synth(out) == 0
    return out


@pytest.fixture
def copy(fresh: Path, tmp_path: Path) -> Path:
    target = tmp_path / "gitops_out"
    shutil.copytree(fresh, target)
    return target


def check(out: Path) -> int:
    return main.main(["check", "--catalog", CATALOG, "--out", str(out)])


def test_committed_output_is_what_synth_makes_now(fresh: Path) -> None:
    """The snapshot test: the committed gitops_out/ is the expected output, byte for byte."""
    difference = diff_tree(read_tree(fresh), ROOT / "gitops_out")
    assert not difference, "gitops_out/ is stale; run `make synth` and commit:\n" + "\n".join(difference.lines())


def test_two_runs_are_byte_identical(fresh: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    assert synth(again) == 0
    assert read_tree(again) == read_tree(fresh)


def test_output_does_not_depend_on_the_machine_or_path(fresh: Path) -> None:
    for content in read_tree(fresh).values():
        text = content.decode()
        assert str(ROOT) not in text and str(fresh.parent) not in text and str(Path.home()) not in text


def test_check_passes_when_in_sync(copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert check(copy) == 0
    assert "matches the catalog" in capsys.readouterr().err


def test_check_lists_changed_removed_and_added_files(copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    deployment = copy / "prod/services/billing-service/deployment-billing-service.yaml"
    deployment.write_text(deployment.read_text().replace("cpu: 250m", "cpu: 300m"))
    (copy / "dev/platform-core/api-gateway/service-api-gateway.yaml").unlink()
    (copy / "staging/stray.yaml").write_text("kind: Stray\n")
    capsys.readouterr()
    assert check(copy) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"added:   {copy}/dev/platform-core/api-gateway/service-api-gateway.yaml",
        f"removed: {copy}/staging/stray.yaml",
        f"changed: {copy}/prod/services/billing-service/deployment-billing-service.yaml",
    ]


def test_synth_of_one_environment_leaves_the_others_alone(copy: Path) -> None:
    marker = copy / "dev" / "marker.yaml"
    marker.write_text("kept\n")
    stale = copy / "prod" / "stale.yaml"
    stale.write_text("gone\n")
    assert synth(copy, "--env", "prod") == 0
    assert marker.read_text() == "kept\n"
    assert not stale.exists()


def test_unknown_environment_is_a_usage_error(copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    unknown = "no-such-environment"
    assert unknown not in ENVIRONMENTS
    assert synth(copy, "--env", unknown) == 2
    assert capsys.readouterr().err.strip() == (
        f"error: --env {unknown}: not in {CATALOG} (known: {', '.join(ENVIRONMENTS)})")


def test_failure_mid_synth_leaves_previous_output_intact(
    copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fail after the other environments were built, while the last is built: nothing of the old tree may change."""
    (copy / "prod/services/billing-service/deployment-billing-service.yaml").write_text("old\n")
    before = read_tree(copy)
    real = k8s_charts.build_environment

    def failing(catalog, env):
        if env.name == ENVIRONMENTS[-1]:
            raise RuntimeError("injected failure")
        return real(catalog, env)

    monkeypatch.setattr(k8s_charts, "build_environment", failing)
    with pytest.raises(RuntimeError, match="injected failure"):
        synth(copy)
    assert read_tree(copy) == before
    assert sorted(p.name for p in copy.parent.iterdir()) == ["gitops_out"], "staging folder leaked"


def test_failure_while_writing_files_leaves_previous_output_intact(
    copy: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A full disk half-way through: exit 1 with one line, the previous output byte-identical."""
    for path in copy.rglob("*.yaml"):  # an older output: every file must be written anew
        path.write_bytes(path.read_bytes() + b"# older\n")
    before = read_tree(copy)
    real_write = transaction.write_file
    written: list[Path] = []

    def write_some(path: Path, content: bytes) -> None:
        if len(written) == 50:
            raise OSError(28, "No space left on device", str(path))
        written.append(path)
        real_write(path, content)

    monkeypatch.setattr(transaction, "write_file", write_some)
    capsys.readouterr()
    assert synth(copy) == 1
    monkeypatch.undo()
    assert len(written) == 50
    [line] = capsys.readouterr().err.strip().splitlines()[-1:]
    assert "No space left on device; the previous output is unchanged" in line
    assert read_tree(copy) == before
    assert sorted(p.name for p in copy.parent.iterdir()) == ["gitops_out"], "staging folder leaked"


def test_resynth_links_unchanged_files_and_rewrites_changed_ones(copy: Path) -> None:
    unchanged = copy / "prod/services/billing-service/service-billing-service.yaml"
    changed = copy / "prod/services/billing-service/deployment-billing-service.yaml"
    expected = changed.read_bytes()
    changed.write_bytes(expected.replace(b"cpu: 250m", b"cpu: 300m"))
    inode = unchanged.stat().st_ino
    assert synth(copy) == 0
    assert unchanged.stat().st_ino == inode, "an unchanged file is linked, not written again"
    assert changed.read_bytes() == expected
    assert sorted(p.name for p in copy.parent.iterdir()) == ["gitops_out"], "staging or old tree leaked"


@pytest.mark.parametrize("command", ["synth", "check", "validate"])
def test_every_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main.main([command, "--help"])
    assert exit_info.value.code == 0
    assert "--catalog" in capsys.readouterr().out


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main.main(["synth", "--only", "helm"])
    assert exit_info.value.code == 2


def validate(out: Path, crd_dir: Path | None = SHARED_CRDS, *, env: str | None = None) -> int:
    args = ["validate", "--catalog", CATALOG, "--out", str(out), *(["--env", env] if env else [])]
    return main.main([*args, "--crd-dir", str(crd_dir)] if crd_dir else args)


requires_crds = pytest.mark.skipif(
    not SHARED_CRDS.is_dir(), reason=f"CRD schemas not found at {SHARED_CRDS} (the shared folder is absent)"
)


@requires_crds
def test_committed_output_validates(capsys: pytest.CaptureFixture[str]) -> None:
    code = validate(ROOT / "gitops_out")
    report = capsys.readouterr()
    assert code == 0, report.out
    assert " 0 problems" in report.err


def edit_yaml(path: Path, change) -> None:
    manifest = yaml.safe_load(path.read_text())
    change(manifest)
    path.write_text(yaml.safe_dump(manifest))


@requires_crds
@pytest.mark.parametrize(
    ("relative", "change", "expected"),
    [
        ("prod/services/billing-service/deployment-billing-service.yaml",
         lambda m: m["spec"].update(replicas=3), "sets spec.replicas although an HPA manages it"),
        ("prod/services/billing-service/deployment-billing-service.yaml",
         lambda m: m["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"].update(port=9999),
         "readinessProbe port 9999 is not a container port"),
        ("prod/services/billing-service/deployment-billing-service.yaml",
         lambda m: m["spec"]["template"]["spec"]["containers"][0]["ports"][0].update(containerPort="4003"),
         "containerPort: '4003' is not of type 'integer'"),
        ("prod/services/billing-service/deployment-billing-service.yaml",
         lambda m: m["spec"]["template"]["spec"]["containers"][0].update(colour="red"), "colour"),
        ("prod/services/billing-service/service-billing-service.yaml",
         lambda m: m["spec"]["ports"][0].update(targetPort="metrics"),
         "targetPort 'metrics' is not a container port"),
        ("prod/services/billing-service/poddisruptionbudget-billing-service.yaml",
         lambda m: m["spec"].update(minAvailable=3), "allows no disruption at the HPA minimum of 3"),
        ("prod/services/billing-service/poddisruptionbudget-billing-service.yaml",
         lambda m: m.update(apiVersion="policy/v1beta1"), "policy/v1beta1 PodDisruptionBudget is not served"),
        ("prod/services/billing-service/service-billing-service.yaml",
         lambda m: m["spec"].update(selector={"app.kubernetes.io/name": "billing"}), "no Service selects its pods"),
    ],
    ids=["replicas", "probe-port", "wrong-type", "unknown-field", "target-port", "pdb", "removed-api", "selector"],
)
def test_validate_catches_broken_objects(
    copy: Path, relative: str, change, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    edit_yaml(copy / relative, change)
    assert validate(copy, env=relative.split("/")[0]) == 1  # the environment of the broken file is enough
    assert expected in capsys.readouterr().out


@requires_crds
def test_validate_env_checks_that_environment_only(copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken, other = ENVIRONMENTS[0], ENVIRONMENTS[-1]
    deployment = next((copy / broken).rglob("deployment-*.yaml"))
    edit_yaml(deployment, lambda m: m["spec"].update(replicas=3))
    assert validate(copy, env=other) == 0
    assert validate(copy, env=broken) == 1
    assert str(deployment.relative_to(copy.parent)) in capsys.readouterr().out


@requires_crds
def test_validate_requires_every_companion(copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = copy / "prod/services/billing-service"
    for kind in ("horizontalpodautoscaler", "poddisruptionbudget", "serviceaccount", "networkpolicy"):
        for path in folder.glob(f"{kind}-*.yaml"):
            path.unlink()
    assert validate(copy, env="prod") == 1
    found = capsys.readouterr().out
    for message in ("no HorizontalPodAutoscaler targets it", "no PodDisruptionBudget selects its pods",
                    "ServiceAccount 'billing-service' is not defined beside it",
                    "no NetworkPolicy selects its pods"):
        assert f"Deployment/billing-service: {message}" in found


def test_custom_resources_need_a_crd_dir(copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (copy / "prod/cluster/certificate-x.yaml").write_text(
        "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: x, namespace: services}\nspec: {}\n"
    )
    assert validate(copy, crd_dir=None) == 1
    assert "no schema for cert-manager.io/v1 Certificate (pass --crd-dir" in capsys.readouterr().out


def test_the_script_exits_with_its_code_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    """main.py skips the interpreter's teardown on exit, but not the exit handlers (jsii's cleanup)."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**os.environ, "TMPDIR": str(temp)}
    out = tmp_path / "gitops_out"
    run = subprocess.run([sys.executable, str(ROOT / "main.py"), "synth", "--only", "kubernetes", "--catalog", CATALOG,
                          "--out", str(out)], env=env, capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stderr
    written = [path for path in read_tree(out) if path != transaction.MARKER]
    assert run.stderr.splitlines()[-1] == f"kubernetes: wrote {len(written)} files to {out}"
    assert read_tree(out) == read_tree(ROOT / "gitops_out")
    assert list(temp.iterdir()) == [], "jsii's kernel folder must be removed before the process ends"

    bad = subprocess.run([sys.executable, str(ROOT / "main.py"), "check", "--catalog", str(tmp_path / "missing.yaml")],
                         env=env, capture_output=True, text=True, timeout=300, check=False)
    assert bad.returncode == 2
    assert len(bad.stderr.splitlines()) == 1 and "missing.yaml" in bad.stderr


def test_under_the_cdktf_cli_progress_is_on_stdout_and_errors_on_stderr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The cdktf CLI labels every line an app writes on stderr `[ERROR]` and echoes its stdout as is."""
    monkeypatch.setenv("CDKTF_OUTDIR", str(tmp_path / "cdktf.out"))
    monkeypatch.setattr(main, "STATE_DIR", tmp_path / "state")
    env = ENVIRONMENTS[0]
    assert main.main(["synth", "--only", "terraform", "--catalog", CATALOG, "--env", env]) == 0
    out, err = capsys.readouterr()
    assert err == "" and out.splitlines()[-1].startswith(
        f"terraform: wrote {naming.stack_name(CATALOG_MODEL.environments[env])}")  # after any catalog warning
    assert main.main(["synth", "--only", "terraform", "--catalog", CATALOG, "--env", "no-such-env"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("error: --env no-such-env: not in ")
