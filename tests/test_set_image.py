"""main.py set-image: an image bump edits platform.yaml in place (only the lines it must) and re-synthesizes;
bad input changes nothing. Services, environments and tags are read from the catalog."""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

import pytest
import yaml
from catalog_params import CATALOG, ENVIRONMENTS

import main
from catalog import load_catalog, naming
from catalog.image_tags import EditError, set_image_tag
from output.tree import read_tree

ROOT = Path(__file__).resolve().parent.parent
TEXT = (ROOT / "platform.yaml").read_text(encoding="utf-8")
SERVICES = list(CATALOG.environments[ENVIRONMENTS[0]].services)
NEW_TAG = "2.7.1-rc.1"


def changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    """(removed, added) lines between two texts."""
    diff = list(difflib.ndiff(before.splitlines(), after.splitlines()))
    return [line[2:] for line in diff if line.startswith("- ")], [line[2:] for line in diff if line.startswith("+ ")]


def tags(text: str, service: str) -> dict[str, str]:
    """The tag `service` resolves to in each environment of a catalog text."""
    catalog = load_catalog(ROOT / "platform.yaml", text=text)
    return {name: env.services[service].image_tag for name, env in catalog.environments.items()}


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
@pytest.mark.parametrize("service", [SERVICES[0], SERVICES[-1]])
def test_one_environment_changes_and_no_other(env_name: str, service: str) -> None:
    edited = set_image_tag(TEXT, service=service, tag=NEW_TAG, env_names=[env_name], source="platform.yaml")
    before = tags(TEXT, service)
    assert tags(edited, service) == {**before, env_name: NEW_TAG}
    removed, added = changed_lines(TEXT, edited)
    assert len(removed) <= 1 and 1 <= len(added) <= 3 and all(NEW_TAG in line or line.strip().endswith(":")
                                                               for line in added)


def test_a_second_bump_changes_one_line_per_environment() -> None:
    once = set_image_tag(TEXT, service=SERVICES[0], tag="1.1.0", env_names=ENVIRONMENTS, source="platform.yaml")
    twice = set_image_tag(once, service=SERVICES[0], tag=NEW_TAG, env_names=ENVIRONMENTS, source="platform.yaml")
    removed, added = changed_lines(once, twice)
    assert len(removed) == len(added) == len(ENVIRONMENTS)
    assert [line.replace(NEW_TAG, "1.1.0") for line in added] == removed


def test_comments_key_order_and_layout_stay() -> None:
    edited = set_image_tag(TEXT, service=SERVICES[0], tag=NEW_TAG, env_names=ENVIRONMENTS, source="platform.yaml")
    removed, _ = changed_lines(TEXT, edited)
    comments = [line for line in TEXT.splitlines() if "#" in line]
    assert [line for line in edited.splitlines() if "#" in line] == comments
    assert all("#" not in line for line in removed)
    assert list(yaml.safe_load(edited)) == list(yaml.safe_load(TEXT))


LAYOUTS = {
    "an environment without overrides": ("  dev:\n    region: eu-west-1\n  # next\n  prod:\n    region: x\n",
                                         ["    service_overrides:", "      api:", '        image_tag: "2.7.1-rc.1"']),
    "a flow override with a single-quoted tag and a comment": (
        "  dev:\n    service_overrides: {api: {image_tag: '1.0.0', port: 1}}   # keep\n",
        ["    service_overrides: {api: {image_tag: \"2.7.1-rc.1\", port: 1}}   # keep"]),
    "a block override without a tag": (
        "  dev:\n    service_overrides:\n      api:\n        port: 1\n\n  prod: {}\n",
        ['        image_tag: "2.7.1-rc.1"']),
    "an empty flow mapping of overrides": ("  dev:\n    service_overrides: {}\n",
                                           ['    service_overrides: {api: {image_tag: "2.7.1-rc.1"}}']),
}


@pytest.mark.parametrize("layout", LAYOUTS)
def test_each_layout_is_edited_in_place(layout: str) -> None:
    environments, expected = LAYOUTS[layout]
    text = f"# the catalog\nservices:\n  api: {{}}\nenvironments:\n{environments}"
    edited = set_image_tag(text, service="api", tag=NEW_TAG, env_names=["dev"], source="c.yaml")
    assert changed_lines(text, edited)[1] == expected
    assert yaml.safe_load(edited)["environments"]["dev"]["service_overrides"]["api"]["image_tag"] == NEW_TAG


def test_a_layout_it_cannot_edit_is_refused() -> None:
    text = "services:\n  api: {}\nenvironments:\n  dev: {region: x}\n"
    with pytest.raises(EditError, match=r"^c\.yaml:4: environments\.dev: a flow mapping"):
        set_image_tag(text, service="api", tag=NEW_TAG, env_names=["dev"], source="c.yaml")


@pytest.fixture
def checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copy(ROOT / "platform.yaml", tmp_path / "platform.yaml")
    monkeypatch.setattr(main, "STATE_DIR", tmp_path / "state")
    return tmp_path


def set_image(checkout: Path, *args: str) -> int:
    return main.main(["set-image", *args, "--catalog", str(checkout / "platform.yaml"),
                      "--out", str(checkout / "gitops_out"), "--docs-out", str(checkout / "docs")])


def deployment_image(checkout: Path, env_name: str, service: str) -> str:
    env = CATALOG.environments[env_name]
    folder = checkout / "gitops_out" / env_name / env.services[service].namespace / service
    (deployment,) = folder.glob("deployment-*.yaml")
    return yaml.safe_load(deployment.read_text())["spec"]["template"]["spec"]["containers"][0]["image"]


def test_promotion_moves_one_environment_at_a_time(checkout: Path) -> None:
    service = SERVICES[0]
    first, *later = ENVIRONMENTS
    assert set_image(checkout, service, NEW_TAG, "--env", first) == 0
    env = CATALOG.environments[first]
    assert deployment_image(checkout, first, service) == f"{naming.image_name(env, env.services[service])}:{NEW_TAG}"
    assert {path.split("/")[0] for path in read_tree(checkout / "gitops_out") if "/" in path} == {first}
    for name in later:
        assert set_image(checkout, service, NEW_TAG, "--env", name) == 0
        assert deployment_image(checkout, name, service).endswith(f":{NEW_TAG}")
    resolved = load_catalog(checkout / "platform.yaml").environments
    assert {name: resolved[name].services[service].image_tag for name in ENVIRONMENTS} == dict.fromkeys(
        ENVIRONMENTS, NEW_TAG)


def test_all_envs_then_again_is_a_no_op(checkout: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert set_image(checkout, SERVICES[-1], NEW_TAG, "--all-envs") == 0
    edited = (checkout / "platform.yaml").read_bytes()
    capsys.readouterr()
    assert set_image(checkout, SERVICES[-1], NEW_TAG, "--all-envs") == 0
    assert (checkout / "platform.yaml").read_bytes() == edited
    assert capsys.readouterr().err == f"set-image: {SERVICES[-1]} already runs {NEW_TAG} in {', '.join(ENVIRONMENTS)}\n"


@pytest.mark.parametrize(("args", "message"), [
    ([SERVICES[0], "v1 with spaces", "--all-envs"], "error: 'v1 with spaces': not a valid OCI image tag"),
    ([SERVICES[0], ".leading-dot", "--all-envs"], "error: '.leading-dot': not a valid OCI image tag"),
    ([SERVICES[0], "x" * 129, "--all-envs"], f"error: '{'x' * 129}': not a valid OCI image tag"),
    (["no-such-service", NEW_TAG, "--all-envs"], "error: no-such-service: not a service in "),
    ([SERVICES[0], NEW_TAG, "--env", "no-such-env"], "error: --env no-such-env: not in "),
])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(checkout: Path, capsys: pytest.CaptureFixture[str],
                                                        args: list[str], message: str) -> None:
    before = (checkout / "platform.yaml").read_bytes()
    assert set_image(checkout, *args) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and len(err.splitlines()) == 1
    assert (checkout / "platform.yaml").read_bytes() == before
    assert not (checkout / "gitops_out").exists()
