"""The VPC: public, private (nodes and pods) and data subnets in every zone of the environment."""

from __future__ import annotations

from collections.abc import Sequence

from cdktf_cdktf_provider_aws.default_security_group import DefaultSecurityGroup
from cdktf_cdktf_provider_aws.eip import Eip
from cdktf_cdktf_provider_aws.flow_log import FlowLog
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.internet_gateway import InternetGateway
from cdktf_cdktf_provider_aws.nat_gateway import NatGateway
from cdktf_cdktf_provider_aws.route import Route
from cdktf_cdktf_provider_aws.route_table import RouteTable
from cdktf_cdktf_provider_aws.route_table_association import RouteTableAssociation
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.subnet import Subnet
from cdktf_cdktf_provider_aws.vpc import Vpc
from cdktf_cdktf_provider_aws.vpc_endpoint import VpcEndpoint
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
from constructs import Construct

from catalog import naming
from infra_stacks.logs import log_group
from infra_stacks.policy import AwsAccount, allow, document, service_trust

__all__ = ["INTERFACE_ENDPOINTS", "Network", "cluster_only_security_group"]

# Pods pull images and get IRSA credentials without crossing the NAT gateways.
INTERFACE_ENDPOINTS = ("ecr.api", "ecr.dkr", "sts", "logs")


class Network(Construct):
    """VPC with NAT egress for private subnets and no internet route at all for data subnets.

    Args:
        account: the account and region of the VPC (flow log role trust, VPC endpoint service names).
        name: prefix of every resource name and Name tag (catalog.naming.stack_name).
        cidr: the VPC's address range.
        zones: availability zones, one subnet of each tier in each.
        plan: the subnet blocks of each tier, one per zone, in `zones` order (catalog.naming.subnet_plan).
        nat_per_zone: one NAT gateway per zone, which buys zone-independent egress (a NAT gateway is
            zonal), instead of one gateway for every zone.
        cluster_name: the EKS cluster whose load balancers may use the public and private subnets (tags).
        log_key_arn: the KMS key of the flow log group.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        account: AwsAccount,
        name: str,
        cidr: str,
        zones: Sequence[str],
        plan: naming.SubnetPlan,
        nat_per_zone: bool,
        cluster_name: str,
        log_key_arn: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.this = Vpc(self, "this", cidr_block=cidr, enable_dns_hostnames=True, enable_dns_support=True,
                        tags={"Name": naming.vpc_name(name)})
        vpc_id = self.this.id
        # AWS creates a default security group that admits everything between its members:
        # adopting it with no rules leaves nothing that can accidentally rely on it.
        DefaultSecurityGroup(self, "default_sg", vpc_id=vpc_id, tags={"Name": f"{name}-default-unused"})
        igw = InternetGateway(self, "igw", vpc_id=vpc_id, tags={"Name": name})

        cluster_tag = {f"kubernetes.io/cluster/{cluster_name}": "shared"}

        def subnets(tier: str, cidrs: Sequence[str], tags: dict[str, str]) -> list[Subnet]:
            return [
                Subnet(self, f"{tier}_{zone}", vpc_id=vpc_id, cidr_block=block, availability_zone=zone,
                       map_public_ip_on_launch=False, tags={"Name": f"{name}-{tier}-{zone}", **tags})
                for zone, block in zip(zones, cidrs, strict=True)
            ]

        public = subnets("public", plan.public, {"kubernetes.io/role/elb": "1", **cluster_tag})
        private = subnets("private", plan.private, {"kubernetes.io/role/internal-elb": "1", **cluster_tag})
        data = subnets("data", plan.data, {})

        public_routes = RouteTable(self, "public_rt", vpc_id=vpc_id, tags={"Name": f"{name}-public"})
        Route(self, "public_default", route_table_id=public_routes.id, destination_cidr_block="0.0.0.0/0",
              gateway_id=igw.id)
        for subnet, zone in zip(public, zones, strict=True):
            RouteTableAssociation(self, f"public_rta_{zone}", subnet_id=subnet.id, route_table_id=public_routes.id)

        nat_zones = list(zones) if nat_per_zone else [zones[0]]
        nats = []
        for zone, subnet in zip(nat_zones, public, strict=False):
            eip = Eip(self, f"nat_eip_{zone}", domain="vpc", tags={"Name": f"{name}-nat-{zone}"})
            nats.append(NatGateway(self, f"nat_{zone}", allocation_id=eip.allocation_id, subnet_id=subnet.id,
                                   tags={"Name": f"{name}-{zone}"}, depends_on=[igw]))

        private_tables = []
        for index, (zone, subnet) in enumerate(zip(zones, private, strict=True)):
            table = RouteTable(self, f"private_rt_{zone}", vpc_id=vpc_id, tags={"Name": f"{name}-private-{zone}"})
            nat = nats[index] if nat_per_zone else nats[0]
            Route(self, f"private_default_{zone}", route_table_id=table.id, destination_cidr_block="0.0.0.0/0",
                  nat_gateway_id=nat.id)
            RouteTableAssociation(self, f"private_rta_{zone}", subnet_id=subnet.id, route_table_id=table.id)
            private_tables.append(table)

        data_routes = RouteTable(self, "data_rt", vpc_id=vpc_id, tags={"Name": f"{name}-data"})
        for subnet, zone in zip(data, zones, strict=True):
            RouteTableAssociation(self, f"data_rta_{zone}", subnet_id=subnet.id, route_table_id=data_routes.id)

        self._flow_logs(account=account, name=name, log_key_arn=log_key_arn)
        self._endpoints(region=account.region, name=name, cidr=cidr, private=private,
                        route_table_ids=[t.id for t in (*private_tables, data_routes)])

        self.vpc_id = vpc_id
        self.public_subnet_ids = [s.id for s in public]
        self.private_subnet_ids = [s.id for s in private]
        self.data_subnet_ids = [s.id for s in data]
        self.nat_gateway_count = len(nats)

    def _flow_logs(self, *, account: AwsAccount, name: str, log_key_arn: str) -> None:
        group = log_group(self, "flow_log_group", name=naming.flow_log_group(name), key_arn=log_key_arn)
        role = IamRole(self, "flow_log_role", name=naming.flow_log_role_name(name),
                       assume_role_policy=service_trust(account, "vpc-flow-logs.amazonaws.com"))
        IamRolePolicy(self, "flow_log_policy", role=role.id, name="write-flow-logs", policy=document([
            allow(["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                  [group.arn, f"{group.arn}:*"]),
        ]))
        FlowLog(self, "flow_log", vpc_id=self.this.id, traffic_type="ALL", log_destination_type="cloud-watch-logs",
                log_destination=group.arn, iam_role_arn=role.arn, max_aggregation_interval=60)

    def _endpoints(self, *, region: str, name: str, cidr: str, private: Sequence[Subnet],
                   route_table_ids: Sequence[str]) -> None:
        sg = SecurityGroup(self, "endpoint_sg", name=naming.security_group_name(name, "vpc-endpoints"),
                           vpc_id=self.this.id,
                           description="HTTPS from inside the VPC to interface VPC endpoints")
        VpcSecurityGroupIngressRule(self, "endpoint_https", security_group_id=sg.id, ip_protocol="tcp",
                                    from_port=443, to_port=443, cidr_ipv4=cidr,
                                    description="HTTPS from the VPC")
        VpcEndpoint(self, "s3", vpc_id=self.this.id, service_name=f"com.amazonaws.{region}.s3",
                    vpc_endpoint_type="Gateway", route_table_ids=list(route_table_ids),
                    tags={"Name": f"{name}-s3"})
        for service in INTERFACE_ENDPOINTS:
            VpcEndpoint(self, service.replace(".", "_"), vpc_id=self.this.id,
                        service_name=f"com.amazonaws.{region}.{service}", vpc_endpoint_type="Interface",
                        private_dns_enabled=True, subnet_ids=[s.id for s in private],
                        security_group_ids=[sg.id], tags={"Name": f"{name}-{service}"})


def cluster_only_security_group(scope: Construct, *, name: str, engine: str, port: int, vpc_id: str,
                                client_security_group_id: str) -> SecurityGroup:
    """A data store's security group: `port` from the EKS cluster security group, nothing else."""
    group = SecurityGroup(scope, "sg", name=name, vpc_id=vpc_id,
                          description=f"{engine}: admits the EKS cluster security group only")
    VpcSecurityGroupIngressRule(scope, "from_cluster", security_group_id=group.id, ip_protocol="tcp",
                                from_port=port, to_port=port, referenced_security_group_id=client_security_group_id,
                                description=f"{engine} from EKS nodes and pods")
    return group
