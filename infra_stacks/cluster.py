"""EKS: control plane, IAM OIDC provider for IRSA, managed node groups and the core add-ons."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from cdktf import Fn, TerraformLocal, TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.eks_addon import EksAddon
from cdktf_cdktf_provider_aws.eks_cluster import (
    EksCluster,
    EksClusterAccessConfig,
    EksClusterEncryptionConfig,
    EksClusterEncryptionConfigProvider,
    EksClusterKubernetesNetworkConfig,
    EksClusterUpgradePolicy,
    EksClusterVpcConfig,
)
from cdktf_cdktf_provider_aws.eks_node_group import (
    EksNodeGroup,
    EksNodeGroupLaunchTemplate,
    EksNodeGroupScalingConfig,
    EksNodeGroupTaint,
    EksNodeGroupUpdateConfig,
)
from cdktf_cdktf_provider_aws.iam_openid_connect_provider import IamOpenidConnectProvider
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.launch_template import (
    LaunchTemplate,
    LaunchTemplateBlockDeviceMappings,
    LaunchTemplateBlockDeviceMappingsEbs,
    LaunchTemplateMetadataOptions,
    LaunchTemplateMonitoring,
    LaunchTemplateTagSpecifications,
)
from constructs import Construct

from catalog import naming
from infra_stacks.irsa import IrsaRole, OidcIssuer
from infra_stacks.logs import log_group
from infra_stacks.policy import AwsAccount, allow, service_trust

__all__ = ["CONTROL_PLANE_LOGS", "OIDC_ROOT_CA_THUMBPRINT", "Cluster", "NodePool"]

CONTROL_PLANE_LOGS = ("api", "audit", "authenticator", "controllerManager", "scheduler")
# SHA-1 of the root CA that signs every regional oidc.eks.<region>.amazonaws.com certificate.
# Fetching it at plan time would need a `tls_certificate` data source (another provider, network
# access); IAM no longer checks it for EKS issuers (it trusts its own CA store), but the API still
# wants a value, and the well-known root keeps plans offline and deterministic.
OIDC_ROOT_CA_THUMBPRINT = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"
AWS_MANAGED = "arn:aws:iam::aws:policy"
NODE_POLICIES = ("AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly")


@dataclass(frozen=True)
class NodePool:
    """One managed node group. Sizes come from the catalog; the rest says what the pool is for.

    Args:
        instance_types: the EC2 instance types the group may launch.
        min_size, max_size: the bounds the cluster autoscaler keeps the group within.
        desired_size: the size at creation; the autoscaler owns it afterwards.
        capacity_type: ON_DEMAND or SPOT ("ON_DEMAND").
        ami_type: the EKS-optimized image family ("AL2023_x86_64_STANDARD"; the NVIDIA one for GPUs).
        disk_gb: the root volume's size (50).
        labels: node labels pods select the pool by (none).
        taints: taints that keep every pod without the matching toleration off the pool (none).
    """

    instance_types: Sequence[str]
    min_size: int
    max_size: int
    desired_size: int
    capacity_type: str = "ON_DEMAND"
    ami_type: str = "AL2023_x86_64_STANDARD"
    disk_gb: int = 50
    labels: Mapping[str, str] = field(default_factory=dict)
    taints: Sequence[naming.Taint] = ()


class Cluster(Construct):
    """A private-by-default EKS cluster whose secrets are envelope-encrypted with our key.

    Nodes get the EKS-created cluster security group (no custom node security group), so data
    stores admit exactly `cluster_security_group_id`.

    Args:
        account: the account of the cluster and node roles (their trust is pinned to it).
        name: the cluster's name (catalog.naming.eks_cluster_name); its roles, log group and launch
            templates are named after it.
        version: the Kubernetes minor version, e.g. "1.33" (catalog: kubernetes_version).
        subnet_ids: private subnets of the control plane's network interfaces and of every node group.
        public_endpoint: whether the API is reachable from the internet as well as from the VPC.
        public_access_cidrs: the only sources of the public endpoint; ignored when it is off.
        pools: the managed node groups by name (NodePool says what each is for).
        secrets_key_arn: the KMS key Kubernetes secrets are envelope-encrypted with.
        volume_key_arn: the KMS key of node disks and of the EBS CSI driver's volumes.
        log_key_arn: the KMS key of the control plane log group.
        ebs_csi_role_name: the EBS CSI driver's IRSA role (catalog.naming.addon_role_name).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        account: AwsAccount,
        name: str,
        version: str,
        subnet_ids: Sequence[str],
        public_endpoint: bool,
        public_access_cidrs: Sequence[str],
        pools: Mapping[str, NodePool],
        secrets_key_arn: str,
        volume_key_arn: str,
        log_key_arn: str,
        ebs_csi_role_name: str,
    ) -> None:
        super().__init__(scope, construct_id)
        logs = log_group(self, "control_plane_logs", name=naming.cluster_log_group(name), key_arn=log_key_arn)
        role = IamRole(self, "cluster_role", name=naming.cluster_role_name(name),
                       assume_role_policy=service_trust(account, "eks.amazonaws.com"))
        cluster_policy = IamRolePolicyAttachment(self, "cluster_policy", role=role.name,
                                                 policy_arn=f"{AWS_MANAGED}/AmazonEKSClusterPolicy")
        self.this = EksCluster(
            self,
            "this",
            name=name,
            version=version,
            role_arn=role.arn,
            enabled_cluster_log_types=list(CONTROL_PLANE_LOGS),
            vpc_config=EksClusterVpcConfig(
                subnet_ids=list(subnet_ids),
                endpoint_private_access=True,
                endpoint_public_access=public_endpoint,
                public_access_cidrs=list(public_access_cidrs) if public_endpoint else None,
            ),
            encryption_config=EksClusterEncryptionConfig(
                resources=["secrets"], provider=EksClusterEncryptionConfigProvider(key_arn=secrets_key_arn)),
            access_config=EksClusterAccessConfig(authentication_mode="API",
                                                 bootstrap_cluster_creator_admin_permissions=True),
            upgrade_policy=EksClusterUpgradePolicy(support_type="STANDARD"),
            # Fixed, not picked by EKS: the NetworkPolicies to the Kubernetes API name this range.
            kubernetes_network_config=EksClusterKubernetesNetworkConfig(
                service_ipv4_cidr=naming.KUBERNETES_SERVICE_CIDR, ip_family="ipv4"),
            depends_on=[logs, cluster_policy],
        )
        issuer_url = self.this.identity.get(0).oidc.get(0).issuer
        self.oidc_provider = IamOpenidConnectProvider(
            self, "oidc", url=issuer_url, client_id_list=["sts.amazonaws.com"],
            thumbprint_list=[OIDC_ROOT_CA_THUMBPRINT])
        host = TerraformLocal(self, "oidc_issuer_host", Fn.replace(issuer_url, "https://", ""))
        self.issuer = OidcIssuer(provider_arn=self.oidc_provider.arn, host=host.as_string)
        self.security_group_id = self.this.vpc_config.cluster_security_group_id

        node_role = IamRole(self, "node_role", name=naming.node_role_name(name),
                            assume_role_policy=service_trust(account, "ec2.amazonaws.com"))
        attachments = [
            IamRolePolicyAttachment(self, f"node_{policy}", role=node_role.name, policy_arn=f"{AWS_MANAGED}/{policy}")
            for policy in NODE_POLICIES
        ]
        self.node_role_arn = node_role.arn
        groups = [
            self._node_group(pool_name, pool, cluster=name, subnet_ids=subnet_ids, role_arn=node_role.arn,
                             volume_key_arn=volume_key_arn, depends_on=attachments)
            for pool_name, pool in pools.items()
        ]
        self._addons(ebs_csi_role_name=ebs_csi_role_name, volume_key_arn=volume_key_arn, after_nodes=groups)

    def _node_group(self, pool_name: str, pool: NodePool, *, cluster: str, subnet_ids: Sequence[str],
                    role_arn: str, volume_key_arn: str, depends_on: list) -> EksNodeGroup:
        # IMDSv2 only, one hop: pods cannot reach the node's credentials; they use IRSA instead.
        name = naming.launch_template_name(cluster, pool_name)
        template = LaunchTemplate(
            self, f"{pool_name}_launch_template",
            name=name,
            update_default_version=True,
            metadata_options=LaunchTemplateMetadataOptions(
                http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=1,
                instance_metadata_tags="disabled"),
            block_device_mappings=[LaunchTemplateBlockDeviceMappings(
                device_name="/dev/xvda",
                ebs=LaunchTemplateBlockDeviceMappingsEbs(
                    volume_size=pool.disk_gb, volume_type="gp3", encrypted="true", kms_key_id=volume_key_arn,
                    delete_on_termination="true"))],
            monitoring=LaunchTemplateMonitoring(enabled=True),
            tag_specifications=[
                LaunchTemplateTagSpecifications(resource_type=kind, tags={"Name": name})
                for kind in ("instance", "volume")
            ],
        )
        return EksNodeGroup(
            self, f"{pool_name}_nodes",
            cluster_name=self.this.name,
            node_group_name=pool_name,
            node_role_arn=role_arn,
            subnet_ids=list(subnet_ids),
            capacity_type=pool.capacity_type,
            ami_type=pool.ami_type,
            instance_types=list(pool.instance_types),
            scaling_config=EksNodeGroupScalingConfig(
                min_size=pool.min_size, max_size=pool.max_size, desired_size=pool.desired_size),
            update_config=EksNodeGroupUpdateConfig(max_unavailable_percentage=33),
            launch_template=EksNodeGroupLaunchTemplate(id=template.id, version=Fn.tostring(template.latest_version)),
            labels=dict(pool.labels),
            taint=[EksNodeGroupTaint(key=t.key, value=t.value, effect=_eks_effect(t.effect)) for t in pool.taints]
            or None,
            # The cluster autoscaler owns the running size after creation.
            lifecycle=TerraformResourceLifecycle(ignore_changes=["scaling_config[0].desired_size"]),
            depends_on=depends_on,
        )

    def _addons(self, *, ebs_csi_role_name: str, volume_key_arn: str, after_nodes: list) -> None:
        ebs = naming.ADDON_SERVICE_ACCOUNTS["ebs-csi"]
        ebs_role = IrsaRole(
            self, "ebs_csi_role",
            name=ebs_csi_role_name,
            issuer=self.issuer,
            service_account=ebs,
            managed_policy_arns=[f"{AWS_MANAGED}/service-role/AmazonEBSCSIDriverPolicy"],
            statements=[
                allow(["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"], [volume_key_arn],
                      sid="GrantVolumeKeyToEbs", condition={"Bool": {"kms:GrantIsForAWSResource": "true"}}),
                allow(["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKeyWithoutPlaintext",
                       "kms:ReEncryptFrom", "kms:ReEncryptTo"], [volume_key_arn], sid="UseVolumeKey"),
            ],
        )
        # The VPC CNI enforces NetworkPolicies only with its policy agent on; without it every
        # policy in gitops_out/ would be accepted by the API server and silently not enforced.
        EksAddon(self, "vpc_cni", cluster_name=self.this.name, addon_name="vpc-cni",
                 configuration_values=json.dumps({"enableNetworkPolicy": "true"}),
                 resolve_conflicts_on_create="OVERWRITE", resolve_conflicts_on_update="OVERWRITE")
        EksAddon(self, "kube_proxy", cluster_name=self.this.name, addon_name="kube-proxy",
                 resolve_conflicts_on_create="OVERWRITE", resolve_conflicts_on_update="OVERWRITE")
        # These run as pods, so they wait for nodes (otherwise the add-on stays DEGRADED and apply times out).
        EksAddon(self, "coredns", cluster_name=self.this.name, addon_name="coredns",
                 resolve_conflicts_on_create="OVERWRITE", resolve_conflicts_on_update="OVERWRITE",
                 depends_on=after_nodes)
        # EKS marks no StorageClass default since 1.30; the platform's default class (k8s_charts.storage) is
        # gp3 encrypted with the volume key. The add-on's own default class would be a second default, with
        # no encryption parameters, so it stays off.
        EksAddon(self, "ebs_csi", cluster_name=self.this.name, addon_name="aws-ebs-csi-driver",
                 service_account_role_arn=ebs_role.arn,
                 configuration_values=json.dumps({"defaultStorageClass": {"enabled": False}}),
                 resolve_conflicts_on_create="OVERWRITE", resolve_conflicts_on_update="OVERWRITE",
                 depends_on=after_nodes)
        self.ebs_csi_role_arn = ebs_role.arn


def _eks_effect(kubernetes_effect: str) -> str:
    """NoSchedule -> NO_SCHEDULE: the EKS API spells taint effects in upper snake case."""
    return "".join(f"_{c}" if c.isupper() and i else c for i, c in enumerate(kubernetes_effect)).upper()
