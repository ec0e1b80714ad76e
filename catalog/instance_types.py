"""What one node of each EC2 instance type offers pods: allocatable CPU, memory, pod slots and GPUs.

Sources:
- vCPUs, memory and GPUs: the EC2 instance type specifications (docs.aws.amazon.com/ec2/latest/instancetypes).
- Network interfaces and IPv4 addresses per interface: the EKS AMI's own table, awslabs/amazon-eks-ami
  `nodeadm/internal/kubelet/instance-info.jsonl` (it replaced `eni-max-pods.txt`; read at 81fec2e, 2026-07-23).
- Reservations: nodeadm's kubelet configuration (`nodeadm/internal/kubelet/config.go`, as AL2's bootstrap.sh):
      max pods            = interfaces x (IPv4 addresses per interface - 1) + 2     (VPC CNI, no prefix delegation)
      kube-reserved CPU   = 6% of the first core + 1% of the second + 0.5% of the third and fourth
                            + 0.25% of every further core
      kube-reserved memory = 255 MiB + 11 MiB x max pods
      eviction threshold  = 100 MiB (evictionHard memory.available); nodeadm sets no system-reserved
  allocatable = capacity - kube-reserved - eviction threshold, which is what the scheduler fills.
- Memory capacity: the kubelet reports what the kernel sees, less than the nominal size; counted here as
  nominal x (1 - 7.5%), Karpenter's conservative estimate (its VM_MEMORY_OVERHEAD_PERCENT default).

DaemonSets are not subtracted here: catalog.platform_pods counts them per node. A type missing from the table
is refused when the catalog loads (catalog.rules.capacity), naming this file.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["INSTANCE_TYPES", "InstanceType"]

MIB = 1024**2
# CPU reserved for the kubelet and container runtime: (up to this many millicores, per ten thousand).
CPU_RESERVATION = ((1000, 600), (2000, 100), (4000, 50), (None, 25))
VM_MEMORY_OVERHEAD_PER_MILLE = 75
EVICTION_MIB = 100


class InstanceType(NamedTuple):
    """One EC2 instance type as the EKS AMI's kubelet sees it."""

    vcpus: int
    memory_gib: int
    interfaces: int
    ipv4_per_interface: int
    gpus: int = 0

    @property
    def max_pods(self) -> int:
        return self.interfaces * (self.ipv4_per_interface - 1) + 2

    @property
    def allocatable_cpu_millis(self) -> int:
        total, reserved, start = self.vcpus * 1000, 0, 0
        for end, per_ten_thousand in CPU_RESERVATION:
            stop = total if end is None else min(total, end)
            reserved += max(stop - start, 0) * per_ten_thousand // 10_000
            start = stop
        return total - reserved

    @property
    def allocatable_memory_bytes(self) -> int:
        capacity_mib = self.memory_gib * 1024 * (1000 - VM_MEMORY_OVERHEAD_PER_MILLE) // 1000
        return (capacity_mib - (255 + 11 * self.max_pods) - EVICTION_MIB) * MIB


# The general-purpose families the pools use and their neighbours, large to 4xlarge, and the NVIDIA types
# the EKS NVIDIA AMI runs (catalog.rules.environment.NVIDIA_X86), xlarge to 4xlarge.
INSTANCE_TYPES: dict[str, InstanceType] = {
    **{f"{family}.{size}": InstanceType(vcpus, memory, interfaces, addresses)
       for family in ("m5", "m6i", "m6a", "m7i")
       for size, vcpus, memory, interfaces, addresses in (
           ("large", 2, 8, 3, 10), ("xlarge", 4, 16, 4, 15), ("2xlarge", 8, 32, 4, 15), ("4xlarge", 16, 64, 8, 30))},
    "g5.xlarge": InstanceType(4, 16, 4, 15, gpus=1),
    "g5.2xlarge": InstanceType(8, 32, 4, 15, gpus=1),
    "g5.4xlarge": InstanceType(16, 64, 8, 30, gpus=1),
    "g4dn.xlarge": InstanceType(4, 16, 3, 10, gpus=1),
    "g4dn.2xlarge": InstanceType(8, 32, 3, 10, gpus=1),
    "g4dn.4xlarge": InstanceType(16, 64, 3, 10, gpus=1),
}
