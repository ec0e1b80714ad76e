"""The GitHub workflows, and the service-side examples in the README: valid for GitHub (its workflow JSON
schema, as check-jsonschema vendors it), no zizmor finding of medium severity or above, pinned, least
privilege, no expression inside a script, and wired to the commands they claim to run."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import main
from preview.report import COMMENT_MARKER

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
BIN = Path(sys.executable).parent
EXAMPLE_PIN = "0" * 40  # the README's `<commit of main>` placeholder, as a commit a service would pin


def readme_examples() -> dict[str, str]:
    """The README's service-side workflows (YAML blocks that start with a `.github/workflows/` comment)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(# \.github/workflows/(\S+).*?)```", text, flags=re.DOTALL)
    return {name: body.replace("<commit of main>", EXAMPLE_PIN) for body, name in blocks}


@pytest.fixture(scope="module")
def examples(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("service-repository") / ".github" / "workflows"
    folder.mkdir(parents=True)
    for name, body in readme_examples().items():
        (folder / name).write_text(body, encoding="utf-8")
    return sorted(folder.glob("*.yml"))


def load(path: Path) -> dict:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)  # `on` stays a string


def steps(workflow: dict) -> list[dict]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def test_the_workflows_and_examples_are_found(examples: list[Path]) -> None:
    assert {path.name for path in WORKFLOWS} >= {"verify.yml", "pull-request.yml", "main.yml", "image-bump.yml"}
    assert {path.name for path in examples} == {"release.yml", "promote.yml"}


def test_github_accepts_them(examples: list[Path]) -> None:
    result = subprocess.run([str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows",
                             *map(str, WORKFLOWS), *map(str, examples)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_finds_nothing_of_medium_severity_or_above(examples: list[Path]) -> None:
    result = subprocess.run([str(BIN / "zizmor"), "--offline", "--min-severity", "medium", "--format", "json",
                             *map(str, WORKFLOWS), *map(str, examples)], capture_output=True, text=True)
    findings = json.loads(result.stdout or "[]")
    assert findings == [] and result.returncode == 0, json.dumps(findings, indent=1)[:4000] + result.stderr


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_pinned_least_privilege_and_no_expression_in_a_script(path: Path) -> None:
    workflow = load(path)
    assert workflow["permissions"] == {}
    for name, job in workflow["jobs"].items():
        assert "permissions" in job, f"{path.name}: job {name} must say what it needs"
    for step in steps(workflow):
        if "uses" in step:
            assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", step["uses"]), step["uses"]
        assert "${{" not in step.get("run", ""), f"{path.name}: {step.get('name', step['run'][:40])}"
    pinned = re.findall(r"uses: \S+@[0-9a-f]{40}(.*)", path.read_text(encoding="utf-8"))
    assert all(re.fullmatch(r"  # v\d+(\.\d+)*", comment) for comment in pinned), "each pin names its version"
    node = [step["with"]["node-version"] for step in steps(workflow) if "setup-node" in step.get("uses", "")]
    assert all(int(version) >= 22 for version in node)


def run_lines(path: Path) -> list[str]:
    return [line.strip() for step in steps(load(path)) for line in step.get("run", "").splitlines()]


def test_verify_runs_what_ci_runs_here() -> None:
    lines = run_lines(ROOT / ".github" / "workflows" / "verify.yml")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    for command in ("make synth", ".venv/bin/python main.py check", "make validate", "make lint", "make test",
                    "make rehearse ENV=all"):
        assert command in lines
    assert "make test" in ci and "make rehearse" in ci


def test_a_pull_request_gets_the_markdown_diff_as_one_updated_comment() -> None:
    workflow = load(ROOT / ".github" / "workflows" / "pull-request.yml")
    (diff,) = [line for line in run_lines(ROOT / ".github" / "workflows" / "pull-request.yml")
               if line.startswith(".venv/bin/python main.py diff")]
    args = shlex.split(diff.split(">", 1)[0].replace('"$BASE_SHA"', "base"))[2:]
    parsed = main.parser().parse_args(args)
    assert (parsed.command, parsed.format, parsed.base) == ("diff", "markdown", "base")
    comment = workflow["jobs"]["comment"]
    assert comment["permissions"] == {"pull-requests": "write"} and "steps" in comment
    assert "actions/checkout" not in json.dumps(comment), "the job with a write token runs no pull-request code"
    script = comment["steps"][0]["with"]["script"]
    assert "updateComment" in script and 'body.split("\\n", 1)[0]' in script
    assert COMMENT_MARKER.count("\n") == 0  # the marker is the comment's first line


def test_the_image_bump_is_reusable_and_runs_set_image_for_one_environment() -> None:
    path = ROOT / ".github" / "workflows" / "image-bump.yml"
    workflow = load(path)
    inputs = workflow["on"]["workflow_call"]["inputs"]
    assert {"service", "tag", "environment"} <= inputs.keys()
    (line,) = [line for line in run_lines(path) if line.startswith(".venv/bin/python main.py set-image")]
    sample = {"$ENVIRONMENT": "dev", "$SERVICE": "billing-service", "$TAG": "-starts-with-a-dash"}
    args = shlex.split(line.replace('"', ""))[2:]
    args = [sample.get(arg, arg) for arg in args]
    parsed = main.parser().parse_args(args)
    assert (parsed.command, parsed.env, parsed.service, parsed.tag) == (
        "set-image", ["dev"], "billing-service", "-starts-with-a-dash")
    assert workflow["jobs"]["pull-request"]["permissions"] == {}
