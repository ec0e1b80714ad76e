"""main.py diff: what a change does against a git revision, per Kubernetes object and Terraform address.

A git checkout of this tree is made once: commit `base` is the catalog as it is, commit `grown` adds an
environment and a service (tests/grow_catalog.py, as a person would), resizes the first environment's
database, and commits the regenerated gitops_out/, as the author of that change does. What the diff
must show is read from the two catalogs, never typed here.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from catalog_params import CATALOG, ENVIRONMENTS
from grow_catalog import grow

import main
import preview
from catalog import Catalog, load_catalog, naming
from cli.write import kubernetes_files
from preview.report import COMMENT_MARKER

ROOT = Path(__file__).resolve().parent.parent
FIRST_ENV = ENVIRONMENTS[0]


def unused(name: str, taken) -> str:
    """`name`, or `name2`, `name3`...: the first the catalog does not have (it may be a grown one already)."""
    return next(candidate for candidate in (name, *(f"{name}{n}" for n in range(2, 100))) if candidate not in taken)


NEW_ENV = unused("preview", CATALOG.environments)
NEW_SERVICE = unused("ledger-export-service", CATALOG.environments[FIRST_ENV].services)
NOT_SOURCES = shutil.ignore_patterns(".git", ".venv*", "cdktf.out", "__pycache__", ".*_cache", ".payledger-synth",
                                     "*.egg-info")
GITHUB_COMMENT_LIMIT = 65_536


def git(repo: Path, *args: str) -> str:
    command = ["git", "-c", "user.name=test", "-c", "user.email=test@example.com", *args]
    return subprocess.run(command, cwd=repo, check=True, capture_output=True, text=True).stdout


def resized(text: str, env: Catalog, env_name: str) -> tuple[str, str, str]:
    """The catalog text with `env_name`'s database one size up: (text, old class, new class)."""
    old = env.environments[env_name].postgres.instance_class
    new = old.rsplit(".", 1)[0] + (".2xlarge" if old.endswith(".xlarge") else ".xlarge")
    start = text.index(f"\n  {env_name}:\n", text.index("\nenvironments:\n"))
    at = text.index(f"instance_class: {old}", start)
    return text[:at] + f"instance_class: {new}" + text[at + len(f"instance_class: {old}"):], old, new


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("diff") / "checkout"
    shutil.copytree(ROOT, repo, ignore=NOT_SOURCES)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "tag", "base")
    catalog_file = repo / "platform.yaml"
    grow(catalog_file, NEW_ENV, NEW_SERVICE)
    text, _, _ = resized(catalog_file.read_text(), load_catalog(catalog_file), FIRST_ENV)
    catalog_file.write_text(text)
    shutil.rmtree(repo / "gitops_out")
    for path, content in kubernetes_files(load_catalog(catalog_file), list(load_catalog(catalog_file)
                                                                                 .environments)).items():
        (repo / "gitops_out" / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / "gitops_out" / path).write_bytes(content)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "grown")
    git(repo, "tag", "grown")
    git(repo, "checkout", "-q", "base", "--", ".")
    return repo


def catalog_at(repo: Path, tag: str, tmp: Path) -> Catalog:
    """The catalog of commit `tag`, loaded from `tmp/<tag>.yaml` (its `source`)."""
    path = tmp / f"{tag}.yaml"
    path.write_text(git(repo, "show", f"{tag}:platform.yaml"))
    return load_catalog(path, display_name=str(path))


def compare(repo: Path, catalog: Catalog, env_names: list[str] | None, base: str) -> list[preview.changes.Change]:
    return preview.compare(catalog, env_names, checkout=repo, base=base, gitops_folder="gitops_out",
                           kubernetes_files=kubernetes_files, local_backend=False)


@pytest.fixture(scope="module")
def grown(repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    return catalog_at(repo, "grown", tmp_path_factory.mktemp("catalogs"))


@pytest.fixture(scope="module")
def forward(repo: Path, grown: Catalog) -> list[preview.changes.Change]:
    """grown against base, for the first environment and the new one."""
    return compare(repo, grown, [FIRST_ENV, NEW_ENV], "base")


def subjects(changes: list[preview.changes.Change], env: str, side: str, action: str) -> set[str]:
    return {change.subject for change in changes if (change.env, change.side, change.action) == (env, side, action)}


def test_a_new_service_shows_as_its_objects_and_resources_added(forward, grown: Catalog) -> None:
    env = grown.environments[FIRST_ENV]
    namespace = env.services[NEW_SERVICE].namespace
    added = subjects(forward, FIRST_ENV, "kubernetes", "added")
    assert {f"Deployment {namespace}/{NEW_SERVICE}", f"Service {namespace}/{NEW_SERVICE}",
            f"ServiceAccount {namespace}/{NEW_SERVICE}"} <= added
    assert all(NEW_SERVICE in subject for subject in added)
    assert not subjects(forward, FIRST_ENV, "kubernetes", "removed")
    resources = subjects(forward, FIRST_ENV, "terraform", "added")
    assert any(address.startswith("aws_ecr_repository.") for address in resources)
    assert all(NEW_SERVICE in address for address in resources)
    assert {change.scope for change in forward if change.env == FIRST_ENV and change.side == "terraform"} == {
        naming.stack_name(env)}


def test_a_changed_object_shows_as_the_unified_diff_of_that_object(forward, grown: Catalog) -> None:
    """The new service's dependency opens its ingress; the diff is that object's alone, labelled by path."""
    (dependency,) = grown.environments[FIRST_ENV].services[NEW_SERVICE].depends_on.services
    changed = {change.subject: change for change in forward if change.env == FIRST_ENV
               and change.side == "kubernetes" and change.action == "changed"}
    service = grown.environments[FIRST_ENV].services[dependency]
    detail = changed[f"NetworkPolicy {service.namespace}/{naming.network_policy_name(service, 'ingress')}"].detail
    header = detail.splitlines()[:2]
    assert header[0].startswith(f"--- a/{FIRST_ENV}/") and header[1].startswith(f"+++ b/{FIRST_ENV}/")
    assert f"+          app.kubernetes.io/name: {NEW_SERVICE}" in detail.splitlines()
    assert not [line for line in detail.splitlines()[2:] if line.startswith("-")]


def test_a_changed_resource_names_the_changed_argument(forward, repo: Path, tmp_path: Path) -> None:
    _, old, new = resized(git(repo, "show", "base:platform.yaml"), catalog_at(repo, "base", tmp_path), FIRST_ENV)
    (database,) = [change for change in forward
                   if change.env == FIRST_ENV and change.subject.startswith("aws_db_instance.")]
    assert database.action == "changed" and database.detail == f"instance_class: {old!r} -> {new!r}"


def test_a_new_environment_is_all_added_in_both_its_stacks(forward, grown: Catalog) -> None:
    env = grown.environments[NEW_ENV]
    mine = [change for change in forward if change.env == NEW_ENV]
    assert {change.action for change in mine} == {"added"}
    assert {change.scope for change in mine if change.side == "terraform"} == {
        naming.stack_name(env), naming.state_stack_name(env)}
    objects = kubernetes_files(grown, [NEW_ENV])
    assert len([change for change in mine if change.side == "kubernetes"]) == len(objects)


def test_going_back_shows_everything_removed(repo: Path, tmp_path: Path, grown: Catalog) -> None:
    """Against `grown`, the base catalog removes the service and the environment; with no --env, an
    environment that only the base revision has is compared too."""
    backward = compare(repo, catalog_at(repo, "base", tmp_path), None, "grown")
    assert [env for env in dict.fromkeys(change.env for change in backward)] == [*ENVIRONMENTS, NEW_ENV]
    assert {change.action for change in backward if change.env == NEW_ENV} == {"removed"}
    namespace = grown.environments[FIRST_ENV].services[NEW_SERVICE].namespace
    assert f"Deployment {namespace}/{NEW_SERVICE}" in subjects(backward, FIRST_ENV, "kubernetes", "removed")
    assert not subjects(backward, FIRST_ENV, "kubernetes", "added")
    assert not subjects(backward, FIRST_ENV, "terraform", "added")


def test_text_report_lists_each_change_and_counts_both_sides(forward) -> None:
    report = preview.text(forward, "base").splitlines()
    signs = {"added": "+", "removed": "-", "changed": "~"}
    listed = [line for line in report if re.match(r"[+~-] (kubernetes|terraform)", line)]
    assert len(listed) == len(forward)
    assert listed[0].startswith(f"{signs[forward[0].action]} {forward[0].side}")
    counted = Counter((change.side, change.action) for change in forward)
    assert report[-1] == "diff against base: " + "; ".join(
        f"{side} {counted[side, 'added']} added, {counted[side, 'removed']} removed, {counted[side, 'changed']} changed"
        for side in ("terraform", "kubernetes"))


def test_markdown_fits_a_comment_folds_each_environment_and_counts_what_it_leaves_out(forward) -> None:
    report = preview.markdown(forward, "base")
    assert report.startswith(COMMENT_MARKER + "\n") and len(report) < GITHUB_COMMENT_LIMIT
    assert report.count("<details>") == report.count("</details>") == 2
    assert f"<b>{FIRST_ENV}</b>" in report and f"<b>{NEW_ENV}</b>" in report
    assert report.count("```") % 2 == 0
    assert shown_and_left_out(report) == (len(forward), 0)


def shown_and_left_out(report: str) -> tuple[int, int]:
    left_out = re.search(r"^_(\d+) more changes not shown", report, flags=re.MULTILINE)
    return len(re.findall(r"^- `[+~-]` ", report, flags=re.MULTILINE)), int(left_out[1]) if left_out else 0


@pytest.mark.parametrize("limit", [2_000, 20_000])
def test_markdown_past_its_limit_says_how_many_changes_it_left_out(forward, limit: int) -> None:
    report = preview.markdown(forward, "base", limit=limit)
    shown, left_out = shown_and_left_out(report)
    assert len(report) <= limit and left_out > 0 and shown + left_out == len(forward)
    assert report.count("<details>") == report.count("</details>") and report.count("```") % 2 == 0


def run(repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], catalog: str,
        *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr(main, "ROOT", repo)
    code = main.main(["diff", "--catalog", catalog, "--out", str(repo / "gitops_out"), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_no_change_exits_0(repo: Path, monkeypatch, capsys) -> None:
    code, out, _ = run(repo, monkeypatch, capsys, str(repo / "platform.yaml"), "--base", "base", "--env", FIRST_ENV)
    assert (code, out) == (0, "diff: no changes against base\n")


def test_a_change_exits_1_with_the_markdown_comment(repo: Path, grown: Catalog, monkeypatch, capsys) -> None:
    code, out, err = run(repo, monkeypatch, capsys, str(grown.source), "--base", "base", "--env", FIRST_ENV,
                         "--format", "markdown")
    assert code == 1
    assert out.startswith(COMMENT_MARKER) and f"<b>{FIRST_ENV}</b>" in out
    assert err.splitlines()[-1].startswith("diff against base: terraform ")


@pytest.mark.parametrize(("args", "message"), [
    (["--base", "no-such-ref"], "error: --base no-such-ref: no such commit in checkout"),
    (["--env", "no-such-env"], "error: --env no-such-env: not in "),
])
def test_bad_input_is_one_line_and_exit_2(repo: Path, monkeypatch, capsys, args: list[str], message: str) -> None:
    code, out, err = run(repo, monkeypatch, capsys, str(repo / "platform.yaml"), *args)
    assert (code, out, len(err.splitlines())) == (2, "", 1)
    assert err.startswith(message)


def test_outside_a_git_checkout_is_exit_2(tmp_path: Path, monkeypatch, capsys) -> None:
    shutil.copy(ROOT / "platform.yaml", tmp_path / "platform.yaml")
    code, out, err = run(tmp_path, monkeypatch, capsys, str(tmp_path / "platform.yaml"))
    assert (code, out) == (2, "")
    assert err == f"error: {tmp_path.name}: not a git checkout; diff compares with a git revision\n"
