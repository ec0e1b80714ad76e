"""The operations runbooks (docs/operations/) name what the code makes: every AWS CLI call is one the CLI
accepts, every environment-derived name appears in that environment's generated output, every object a
kubectl command names is one gitops_out/ holds, and every path and link leads somewhere."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
import yaml
from catalog_params import CATALOG, ENVIRONMENTS
from cli_support import aws_calls, problems, shell_commands

from catalog import naming
from documentation import documentation_files

ROOT = Path(__file__).resolve().parent.parent
RUNBOOKS = sorted((ROOT / "docs" / "operations").glob("*.md"))
PAGES = {page.name: page.read_text(encoding="utf-8") for page in RUNBOOKS}
# kubectl's names for the kinds the platform renders itself (charts make the rest, e.g. Argo CD's server).
KINDS = {"deployment": "Deployment", "deploy": "Deployment", "hpa": "HorizontalPodAutoscaler",
         "externalsecret": "ExternalSecret", "secretstore": "SecretStore", "certificate": "Certificate",
         "targetgroupbinding": "TargetGroupBinding", "networkpolicy": "NetworkPolicy",
         "clusterissuer": "ClusterIssuer", "application": "Application", "applicationset": "ApplicationSet"}
WORKLOAD_NAMESPACES = {service.namespace for env in CATALOG.environments.values() for service in env.services.values()}


@pytest.fixture(scope="module")
def objects() -> set[tuple[str, str | None, str]]:
    """(kind, namespace, name) of every object in gitops_out/, with the Applications the services
    ApplicationSet generates (one per service) and the Secrets the ExternalSecrets write."""
    found = set()
    for path in (ROOT / "gitops_out").rglob("*.yaml"):
        if naming.BOOTSTRAP_FOLDER in path.parts:
            continue
        for manifest in yaml.load_all(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader):
            metadata = manifest["metadata"]
            found.add((manifest["kind"], metadata.get("namespace"), metadata["name"]))
            if manifest["kind"] == "ExternalSecret":
                found.add(("Secret", metadata["namespace"], manifest["spec"]["target"]["name"]))
    found |= {("Application", naming.ARGOCD_NAMESPACE, service) for env in CATALOG.environments.values()
              for service in env.services}
    return found


def test_there_are_runbooks_for_restore_scaling_deploying_and_troubleshooting() -> None:
    assert set(PAGES) >= {"restore.md", "scaling.md", "deploy-from-zero.md", "troubleshooting.md"}


@pytest.mark.parametrize("page", list(PAGES))
def test_every_aws_command_is_one_the_cli_accepts(page: str) -> None:
    assert [problem for call in aws_calls(PAGES[page]) for problem in problems(call)] == []


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_every_name_of_an_environment_is_one_its_output_has(infra, env_name: str) -> None:
    """`payledger-prod-...` or `payledger/prod/...` in a runbook: somewhere in prod's synthesized output."""
    env = CATALOG.environments[env_name]
    pattern = re.compile(rf"\b{re.escape(env.project)}[-/]{re.escape(env.name)}\b[A-Za-z0-9_./-]*")
    mentioned = {match.group().rstrip("./-") for text in PAGES.values() for match in pattern.finditer(text)}
    output = [path.read_text(encoding="utf-8") for path in (ROOT / "gitops_out" / env_name).rglob("*.yaml")]
    output += [page.decode() for page in documentation_files(CATALOG, [env_name]).values()]
    output += [json.dumps(infra.json(stack)) for stack in (naming.stack_name(env), naming.state_stack_name(env))]
    assert [name for name in sorted(mentioned) if not any(name in text for text in output)] == []


def kubectl_objects(command: str) -> list[tuple[str, str | None, str]]:
    """(kind, namespace, name) a `kubectl [-n NS] VERB [SUB] KIND NAME` or `... KIND/NAME` command names."""
    words = shlex.split(command, comments=True)
    if not words or words[0] != "kubectl":
        return []
    namespace = words[words.index("-n") + 1] if "-n" in words else None
    args = [w for i, w in enumerate(words[1:], 1) if not w.startswith("-") and words[i - 1] not in ("-n", "-o", "-l")]
    if args[:1] == ["rollout"]:
        args = args[1:]
    verb, *rest = args
    if verb not in ("get", "describe", "annotate", "restart", "status", "logs"):
        return []
    if rest and "/" in rest[0]:
        rest = rest[0].split("/", 1)
    if len(rest) < 2 or rest[0] not in KINDS or "<" in rest[1]:
        return []
    kind = KINDS[rest[0]]
    if kind == "Deployment" and namespace not in WORKLOAD_NAMESPACES:
        return []  # add-on Deployments come from their charts
    return [(kind, namespace, rest[1])]


@pytest.mark.parametrize("page", list(PAGES))
def test_every_object_a_kubectl_command_names_is_in_gitops_out(objects, page: str) -> None:
    named = [found for command in shell_commands(PAGES[page]) for found in kubectl_objects(command)]
    assert [thing for thing in named if thing not in objects] == []


@pytest.mark.parametrize("page", list(PAGES))
def test_every_gitops_out_path_exists_for_every_environment(page: str) -> None:
    paths = set(re.findall(r"gitops_out/[A-Za-z0-9_$<>./-]+", PAGES[page]))
    for path in paths:
        for env_name in ENVIRONMENTS:
            concrete = path.replace("$ENV", env_name).replace("<env>", env_name)
            if "<" not in concrete and (f"/{env_name}/" in concrete):
                assert (ROOT / concrete.rstrip(".")).exists(), concrete


def slug(heading: str) -> str:
    """GitHub's anchor for a Markdown heading."""
    return re.sub(r"[^a-z0-9 _-]", "", heading.strip().lower()).replace(" ", "-")


@pytest.mark.parametrize("page", list(PAGES))
def test_every_link_leads_to_a_file_and_heading_that_exist(page: str) -> None:
    for target in re.findall(r"\]\(([^)\s]+)\)", PAGES[page]):
        file, _, anchor = target.partition("#")
        path = (ROOT / "docs" / "operations" / file).resolve() if file else ROOT / "docs" / "operations" / page
        assert path.is_file(), target
        if anchor:
            headings = {slug(line.lstrip("#")) for line in path.read_text(encoding="utf-8").splitlines()
                        if line.startswith("#")}
            assert anchor in headings, target


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_the_restore_pages_kubectl_commands_name_objects_in_gitops_out(objects, env_name: str) -> None:
    page = documentation_files(CATALOG, [env_name])[f"{env_name}/backups.md"].decode()
    named = [found for command in shell_commands(page) for found in kubectl_objects(command)]
    assert named and [thing for thing in named if thing not in objects] == []
