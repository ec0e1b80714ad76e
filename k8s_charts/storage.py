"""The cluster's default StorageClass: encrypted gp3 volumes from the EBS CSI driver, with the environment's key.

EKS marks no StorageClass default since 1.30, so a claim that names no class (the charts' defaults) would
stay Pending forever. The class lives in cluster/ beside the namespaces: that Application syncs before
every add-on (k8s_charts.argocd), so the class exists before any chart claims a volume. The EBS CSI
managed add-on (Terraform, infra_stacks/cluster.py) provides the provisioner and creates no class of
its own, so this is the one default.

`kmsKeyId` is the ARN of the volume key's alias (catalog.naming.kms_alias_arn): the driver passes it to
EC2 CreateVolume unchanged, and EC2 takes a key id, key ARN, alias or alias ARN. KMS authorizes the
key behind the alias, which is the key the EBS CSI role's policy names. One limit: the driver refuses
to clone a volume when the class's kmsKeyId is not the source volume's key ARN string, so volume
clones would need the key ARN; the platform clones none.
"""

from __future__ import annotations

from typing import Any

from constructs import Construct

from catalog import Environment, naming
from k8s_charts.manifest import FolderChart, emit, standard_labels

__all__ = ["DEFAULT_CLASS_ANNOTATION", "PROVISIONER", "StorageChart", "storage_class", "volume_claim_template"]

PROVISIONER = "ebs.csi.aws.com"
DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"
COMPONENT = "storage"


def storage_class(env: Environment) -> dict[str, Any]:
    """The default class.

    WaitForFirstConsumer: a volume is made in the zone the scheduler picked for its pod, so zone-spread
    replicas get volumes in their own zones (Immediate would place the volume first and could strand the
    pod). Retain: the volumes hold the metrics, logs not yet shipped to S3 and alert state an incident
    or audit investigation of a payments platform reads; a deleted claim (by hand, or a namespace pruned
    by mistake) leaves its volume behind to be deleted deliberately, for a few dollars a month until then.
    """
    name = naming.DEFAULT_STORAGE_CLASS
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": name, "labels": standard_labels(name=name, component=COMPONENT),
                     "annotations": {DEFAULT_CLASS_ANNOTATION: "true"}},
        "provisioner": PROVISIONER,
        "parameters": {"type": "gp3", "encrypted": "true",
                       "kmsKeyId": naming.kms_alias_arn(env, naming.VOLUME_KEY)},
        "reclaimPolicy": "Retain",
        "volumeBindingMode": "WaitForFirstConsumer",
        "allowVolumeExpansion": True,
    }


def volume_claim_template(size_gib: int) -> dict[str, Any]:
    """A prometheus-operator `volumeClaimTemplate` on the default class: one ReadWriteOnce volume per pod."""
    return {"spec": {"storageClassName": naming.DEFAULT_STORAGE_CLASS, "accessModes": ["ReadWriteOnce"],
                     "resources": {"requests": {"storage": f"{size_gib}Gi"}}}}


class StorageChart(FolderChart):
    """cluster/: the default StorageClass, synced with the namespaces before the add-ons."""

    def __init__(self, scope: Construct, construct_id: str, *, env: Environment, folder: str) -> None:
        """Args:
            env: the environment, for the volume key's alias ARN.
            folder: the folder synced before every add-on (k8s_charts.namespaces.FOLDER).
        """
        super().__init__(scope, construct_id, folder=folder)
        emit(self, "storage-class", storage_class(env))
