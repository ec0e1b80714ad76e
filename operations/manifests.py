"""What the committed manifests of one environment (gitops_out/<env>) rely on, read from the files.

Two readers share it: the rehearsal's cross-side proof (every AWS name a manifest uses exists in the
emulator with the expected shape) and `main.py verify` (which buckets to check, which objects the
cluster must have).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from catalog import naming

__all__ = ["AwsNames", "Document", "Expected", "RoleUse", "StoreAccount", "aws_names", "expected_objects", "load"]

ROLE_ANNOTATION = "eks.amazonaws.com/role-arn"
ECR_IMAGE = re.compile(r"(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com/([^:@]+)")
WEB_ACL_ARN = re.compile(r"arn:aws:wafv2:[a-z0-9-]+:\d{12}:regional/webacl/[^/\s]+/[^/\s]+")
KMS_ALIAS_ARN = re.compile(r"arn:aws:kms:[a-z0-9-]+:\d{12}:alias/[A-Za-z0-9/_-]+")
SECRETS_MANAGER = "SecretsManager"
# SecretStore providers whose auth reads as a ServiceAccount of the store's namespace -> that auth's key
STORE_AUTH = {"aws": "jwt", "vault": "kubernetes"}
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: ten times faster on a few hundred files


@dataclass(frozen=True)
class Document:
    path: str  # relative to gitops_out/, e.g. dev/services/billing-service/serviceaccount-billing-service.yaml
    body: Mapping[str, Any]

    @property
    def kind(self) -> str:
        return str(self.body.get("kind", ""))

    @property
    def key(self) -> tuple[str, str]:
        metadata = self.body.get("metadata", {})
        return metadata.get("namespace", ""), metadata.get("name", "")


def load(out: Path, env_name: str) -> list[Document]:
    folder = out / env_name
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such folder; run `python main.py synth` first")
    return [Document(str(path.relative_to(out)), body)
            for path in sorted(folder.rglob("*.yaml")) if naming.BOOTSTRAP_FOLDER not in path.relative_to(folder).parts
            for body in yaml.load_all(path.read_text(encoding="utf-8"), Loader=LOADER) if isinstance(body, dict)]


@dataclass(frozen=True)
class RoleUse:
    """A ServiceAccount (namespace/name) annotated with an IAM role ARN, and where that was written."""

    arn: str
    namespace: str
    service_account: str
    source: str


@dataclass(frozen=True)
class StoreAccount:
    """A SecretStore and the ServiceAccount (in its namespace) it authenticates as."""

    namespace: str
    store: str
    provider: str  # "aws" (through the account's IRSA role) or "vault" (through Vault's Kubernetes auth)
    service_account: str
    source: str


@dataclass
class AwsNames:
    """AWS names by where each was found (first file)."""

    roles: list[RoleUse] = field(default_factory=list)
    secrets: dict[str, set[str]] = field(default_factory=dict)  # Secrets Manager name -> properties read
    secret_sources: dict[str, str] = field(default_factory=dict)
    buckets: dict[str, str] = field(default_factory=dict)
    repositories: dict[tuple[str, str, str], str] = field(default_factory=dict)  # (account, region, name)
    web_acls: dict[str, str] = field(default_factory=dict)
    key_aliases: dict[str, str] = field(default_factory=dict)  # KMS alias ARN -> file (the StorageClass's key)
    target_groups: dict[str, str] = field(default_factory=dict)  # TargetGroupBinding targetGroupName -> file
    hosts: dict[str, str] = field(default_factory=dict)  # HTTPRoute hostnames -> file
    stores: list[StoreAccount] = field(default_factory=list)
    service_accounts: set[tuple[str, str]] = field(default_factory=set)  # (namespace, name) gitops_out creates


def _walk(node: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """(key path, value) for every value under `node`, depth first; list items keep their list's key."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            yield (*path, str(key)), value
            yield from _walk(value, (*path, str(key)))
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value, path)


def _chart_accounts(doc: Document) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(the Application's namespace, a `serviceAccount` mapping) in the values of a Helm chart it installs."""
    if doc.kind != "Application":
        return
    values = doc.body.get("spec", {}).get("source", {}).get("helm", {}).get("valuesObject", {})
    namespace = doc.body.get("spec", {}).get("destination", {}).get("namespace", "")
    for path, value in _walk(values):
        if path[-1] == "serviceAccount" and isinstance(value, Mapping):
            yield namespace, value


def _role_uses(doc: Document) -> Iterator[RoleUse]:
    """ServiceAccounts, and the `serviceAccount` values of a Helm chart an Application installs."""
    if doc.kind == "ServiceAccount":
        arn = doc.body.get("metadata", {}).get("annotations", {}).get(ROLE_ANNOTATION)
        if arn:
            yield RoleUse(arn, *doc.key, doc.path)
    for namespace, value in _chart_accounts(doc):
        arn = (value.get("annotations") or {}).get(ROLE_ANNOTATION)
        if arn:
            yield RoleUse(arn, namespace, str(value.get("name", "")), doc.path)


def _service_accounts(doc: Document) -> Iterator[tuple[str, str]]:
    """ServiceAccount objects, and those a chart an Application installs creates (`create` and a `name`)."""
    if doc.kind == "ServiceAccount":
        yield doc.key
    yield from ((namespace, str(value["name"])) for namespace, value in _chart_accounts(doc)
                if value.get("create") and value.get("name"))


def _store_account(doc: Document) -> StoreAccount | None:
    if doc.kind != "SecretStore":
        return None
    provider = doc.body.get("spec", {}).get("provider", {})
    kind = next((kind for kind in STORE_AUTH if kind in provider), None)
    if kind is None:
        return None
    auth = (provider[kind].get("auth") or {}).get(STORE_AUTH[kind]) or {}
    return StoreAccount(*doc.key, kind, (auth.get("serviceAccountRef") or {}).get("name", ""), doc.path)


def _aws_secret_stores(docs: list[Document]) -> set[str]:
    return {doc.key[1] for doc in docs if doc.kind in ("ClusterSecretStore", "SecretStore")
            and doc.body.get("spec", {}).get("provider", {}).get("aws", {}).get("service") == SECRETS_MANAGER}


def _accounts(doc: Document, names: AwsNames) -> None:
    names.roles.extend(_role_uses(doc))
    names.service_accounts.update(_service_accounts(doc))
    if store := _store_account(doc):
        names.stores.append(store)


def _edge(doc: Document, names: AwsNames) -> None:
    """The target group the cluster binds its NGINX pods to, and the public hosts its routes serve."""
    spec = doc.body.get("spec", {})
    if doc.kind == "TargetGroupBinding":
        names.target_groups.setdefault(spec.get("targetGroupName", ""), doc.path)
    elif doc.kind == "HTTPRoute":
        for host in spec.get("hostnames", []):
            names.hosts.setdefault(host, doc.path)


def _secrets(doc: Document, stores: set[str], names: AwsNames) -> None:
    spec = doc.body.get("spec", {})
    if doc.kind == "ExternalSecret" and spec.get("secretStoreRef", {}).get("name") in stores:
        for item in spec.get("data", []):
            ref = item["remoteRef"]
            names.secrets.setdefault(ref["key"], set()).update([ref["property"]] if "property" in ref else [])
            names.secret_sources.setdefault(ref["key"], doc.path)


def _values(doc: Document, names: AwsNames) -> None:
    """Buckets, ECR images, web ACL and KMS alias ARNs, wherever they are written."""
    for path, value in _walk(doc.body):
        if not isinstance(value, str):
            continue
        if path[-1] == "bucket" or path[-2:-1] == ("bucketNames",):  # Tempo's and Loki's values
            names.buckets.setdefault(value, doc.path)
        if path[-1] == "image" and (match := ECR_IMAGE.match(value)):
            names.repositories.setdefault(match.groups(), doc.path)
        for arn in WEB_ACL_ARN.findall(value):
            names.web_acls.setdefault(arn, doc.path)
        for arn in KMS_ALIAS_ARN.findall(value):
            names.key_aliases.setdefault(arn, doc.path)


def aws_names(docs: list[Document]) -> AwsNames:
    names = AwsNames()
    stores = _aws_secret_stores(docs)
    for doc in docs:
        _accounts(doc, names)
        _edge(doc, names)
        _secrets(doc, stores, names)
        _values(doc, names)
    return names


@dataclass
class Expected:
    """The objects a healthy cluster has for this environment, by kind: (namespace, name) each."""

    applications: set[tuple[str, str]] = field(default_factory=set)
    deployments: set[tuple[str, str]] = field(default_factory=set)
    autoscaling_minimums: dict[tuple[str, str], int] = field(default_factory=dict)  # by Deployment
    disruption_budgets: set[tuple[str, str]] = field(default_factory=set)
    certificates: set[tuple[str, str]] = field(default_factory=set)
    external_secrets: set[tuple[str, str]] = field(default_factory=set)


def _generated_applications(appset: Document, docs: list[Document]) -> set[tuple[str, str]]:
    """One Application per folder a git directory generator matches, named after the folder (the
    template's `{{ .path.basename }}`); generator paths start with the output folder's name."""
    folders = {str(Path(doc.path).parent) for doc in docs}
    patterns = [entry["path"].split("/", 1)[1]
                for generator in appset.body["spec"].get("generators", [])
                for entry in generator.get("git", {}).get("directories", []) if not entry.get("exclude")]
    namespace = appset.key[0]
    return {(namespace, Path(folder).name) for folder in folders
            if any(fnmatch.fnmatchcase(folder, pattern) for pattern in patterns)}


def expected_objects(docs: list[Document]) -> Expected:
    expected = Expected()
    for doc in docs:
        spec = doc.body.get("spec", {})
        if doc.kind == "Application":
            expected.applications.add(doc.key)
        elif doc.kind == "ApplicationSet":
            expected.applications |= _generated_applications(doc, docs)
        elif doc.kind == "Deployment":
            expected.deployments.add(doc.key)
        elif doc.kind == "HorizontalPodAutoscaler" and spec["scaleTargetRef"]["kind"] == "Deployment":
            expected.autoscaling_minimums[(doc.key[0], spec["scaleTargetRef"]["name"])] = spec.get("minReplicas", 1)
        elif doc.kind == "PodDisruptionBudget":
            expected.disruption_budgets.add(doc.key)
        elif doc.kind == "ExternalSecret":
            expected.external_secrets.add(doc.key)
        elif doc.kind == "Certificate":
            expected.certificates.add(doc.key)
        elif doc.kind == "Ingress" and any(key.startswith("cert-manager.io/")
                                           for key in doc.body["metadata"].get("annotations", {})):
            # cert-manager's ingress-shim names each Certificate after the TLS secret it fills
            expected.certificates |= {(doc.key[0], tls["secretName"]) for tls in spec.get("tls", [])}
    return expected
