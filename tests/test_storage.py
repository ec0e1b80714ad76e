"""Durable volumes: one default StorageClass EKS can provision, synced before every add-on that claims a
volume, every claim on it, Prometheus keeping the SLO window, and the key Terraform lets the driver use."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from catalog_params import ENVIRONMENTS
from crd_validation import validate_builtin
from gitops_support import ROOT, committed
from infra_support import resources

from catalog import Catalog, naming
from k8s_charts.addons import ADDONS, kube_prometheus_stack
from k8s_charts.service_queries import SLO_WINDOW
from k8s_charts.storage import DEFAULT_CLASS_ANNOTATION, PROVISIONER

DURATION = re.compile(r"(\d+)(ms|s|m|h|d|w|y)")
SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "y": 365 * 86400}
BYTES = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}


def seconds(duration: str) -> float:
    """A Prometheus duration ("30d", "1w2d", "336h") in seconds."""
    assert DURATION.sub("", duration) == "", f"not a Prometheus duration: {duration!r}"
    return sum(int(count) * SECONDS[unit] for count, unit in DURATION.findall(duration))


def size_bytes(size: str) -> int:
    """A Kubernetes quantity ("64Gi") or a Prometheus size ("51GiB") in bytes."""
    number, unit = re.fullmatch(r"(\d+)([KMGT]i)B?", size).groups()
    return int(number) * BYTES[unit]


def committed_of_kind(env_name: str, kind: str) -> list[tuple[Path, dict[str, Any]]]:
    """The committed objects of one kind under gitops_out/<env>/, with their files."""
    return [(path, doc) for path, doc in committed(env_name) if doc.get("kind") == kind]


def claims(values: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, str | None]]:
    """Every volume claim Helm values ask for: (where, the class it names or None).

    A prometheus-operator `volumeClaimTemplate`, or a chart's `persistence` block that is not switched off
    (the Loki chart's single-binary persistence is on by default, so a block that says nothing claims).
    """
    if not isinstance(values, dict):
        return
    for key, value in values.items():
        here = (*path, key)
        if key == "volumeClaimTemplate":
            yield ".".join(here), value.get("spec", {}).get("storageClassName")
        elif key == "persistence" and isinstance(value, dict) and value.get("enabled", True):
            yield ".".join(here), value.get("storageClass") or value.get("storageClassName")
        else:
            yield from claims(value, here)


def defined_classes(env_name: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for _, doc in committed_of_kind(env_name, "StorageClass")}


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_one_default_storage_class_of_encrypted_gp3(catalog: Catalog, env_name: str) -> None:
    env = catalog.environments[env_name]
    defaults = [doc for _, doc in committed_of_kind(env_name, "StorageClass")
                if doc["metadata"].get("annotations", {}).get(DEFAULT_CLASS_ANNOTATION) == "true"]
    assert len(defaults) == 1, f"{env_name}: {len(defaults)} default StorageClasses, Kubernetes wants one"
    (default,) = defaults
    assert default["metadata"]["name"] == naming.DEFAULT_STORAGE_CLASS
    assert default["provisioner"] == PROVISIONER
    assert default["volumeBindingMode"] == "WaitForFirstConsumer", "volumes must follow their pods' zones"
    assert default["allowVolumeExpansion"] is True
    assert default["reclaimPolicy"] in ("Retain", "Delete")
    parameters = default["parameters"]
    assert parameters["type"] == "gp3" and parameters["encrypted"] == "true"
    key = parameters["kmsKeyId"]
    assert key == naming.kms_alias_arn(env, naming.VOLUME_KEY)
    assert key.startswith(f"arn:aws:kms:{env.region}:{env.account_id}:alias/")
    assert validate_builtin(default, env.kubernetes_version) == []


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_every_addon_volume_claim_names_a_class_the_platform_defines(catalog: Catalog, env_name: str) -> None:
    env = catalog.environments[env_name]
    classes = defined_classes(env_name)
    found = {f"{name}: {where}": storage_class for name, addon in ADDONS.items() if addon.values
             for where, storage_class in claims(addon.values(env))}
    assert found, "no volume claims found in the add-ons' values: the walk is broken"
    unnamed = [where for where, storage_class in found.items() if storage_class not in classes]
    assert unnamed == [], f"claims on no class the platform defines ({sorted(classes)}): {unnamed}"


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_storage_class_syncs_before_every_addon_that_claims_volumes(catalog: Catalog, env_name: str) -> None:
    env = catalog.environments[env_name]
    (path,) = [path for path, doc in committed_of_kind(env_name, "StorageClass")
               if doc["metadata"]["name"] == naming.DEFAULT_STORAGE_CLASS]
    folder = str(path.parent.relative_to(ROOT))
    apps = {doc["metadata"]["name"]: doc for _, doc in committed_of_kind(env_name, "Application")}
    (owner,) = [app for app in apps.values() if app["spec"]["source"].get("path") == folder]

    def wave(app: dict[str, Any]) -> int:
        return int(app["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"])

    claimants = [name for name, addon in ADDONS.items() if addon.values and any(claims(addon.values(env)))]
    assert claimants
    for name in claimants:
        assert wave(owner) < wave(apps[name]), f"{name} claims volumes before {folder} makes the class"


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_prometheus_keeps_the_slo_window_on_a_volume_it_never_fills(catalog: Catalog, env_name: str) -> None:
    spec = ADDONS[kube_prometheus_stack.NAME].values(catalog.environments[env_name])["prometheus"]["prometheusSpec"]
    assert seconds(spec["retention"]) >= seconds(SLO_WINDOW)
    volume = spec["storageSpec"]["volumeClaimTemplate"]["spec"]["resources"]["requests"]["storage"]
    assert size_bytes(spec["retentionSize"]) < size_bytes(volume), "the size limit must stop short of a full disk"


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_alertmanager_keeps_silences_on_a_volume(catalog: Catalog, env_name: str) -> None:
    spec = ADDONS[kube_prometheus_stack.NAME].values(catalog.environments[env_name])["alertmanager"]
    template = spec["alertmanagerSpec"]["storage"]["volumeClaimTemplate"]["spec"]
    assert template["storageClassName"] in defined_classes(env_name)


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_the_class_key_is_the_volume_key_the_csi_role_may_use(infra, catalog: Catalog, env_name: str) -> None:
    """The alias in kmsKeyId is one the stack creates, on the key the EBS CSI role's policy allows, and the
    EBS CSI add-on adds no default class of its own."""
    env = catalog.environments[env_name]
    data = infra.json(naming.stack_name(env))
    key_arn = defined_classes(env_name)[naming.DEFAULT_STORAGE_CLASS]["parameters"]["kmsKeyId"]
    alias_name = key_arn.split(":", 5)[5]
    (alias,) = [a for a in resources(data, "aws_kms_alias").values() if a["name"] == alias_name]
    key = re.fullmatch(r"\$\{aws_kms_key\.(\w+)\.key_id\}", alias["target_key_id"]).group(1)
    roles = {r["name"]: logical for logical, r in resources(data, "aws_iam_role").items()}
    role = roles[naming.addon_role_name(env, "ebs-csi")]
    policies = [json.loads(p["policy"]) for p in resources(data, "aws_iam_role_policy").values()
                if p["role"] == f"${{aws_iam_role.{role}.id}}"]
    allowed = {action for policy in policies for statement in policy["Statement"]
               if f"${{aws_kms_key.{key}.arn}}" in statement["Resource"] for action in statement["Action"]}
    assert {"kms:CreateGrant", "kms:GenerateDataKeyWithoutPlaintext", "kms:Decrypt"} <= allowed
    (addon,) = [a for a in resources(data, "aws_eks_addon").values() if a["addon_name"] == "aws-ebs-csi-driver"]
    assert json.loads(addon["configuration_values"])["defaultStorageClass"] == {"enabled": False}
