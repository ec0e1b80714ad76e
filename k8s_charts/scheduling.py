"""Where pods run: spread over zones and nodes, GPU services on the tainted GPU pool, PCI-scoped pods on the
tainted PCI pool and nowhere else (they select it; nothing else tolerates it)."""

from __future__ import annotations

from typing import Any

from catalog import Service, naming

__all__ = ["PCI_SCOPE_LABEL", "pci_scheduling", "pod_scheduling"]

# On the pods of the cardholder-data environment, so audits and policies can find them.
PCI_SCOPE_LABEL = "payledger.io/pci-scope"


def _spread(selector: dict[str, str]) -> list[dict[str, Any]]:
    """Zone spread is ScheduleAnyway: with DoNotSchedule, pods evicted by a zone outage could not be
    replaced in the surviving zones without breaking the skew."""
    return [{"maxSkew": 1, "topologyKey": key, "whenUnsatisfiable": "ScheduleAnyway",
             "labelSelector": {"matchLabels": selector}}
            for key in ("topology.kubernetes.io/zone", "kubernetes.io/hostname")]


def _pool(pool: str, taint: naming.Taint) -> dict[str, Any]:
    return {"nodeSelector": {naming.NODE_POOL_LABEL: pool},
            "tolerations": [{"key": taint.key, "operator": "Equal", "value": taint.value, "effect": taint.effect}]}


def pci_scheduling(selector: dict[str, str]) -> dict[str, Any]:
    return {"topologySpreadConstraints": _spread(selector), **_pool(naming.PCI_NODE_POOL, naming.PCI_TAINT)}


def pod_scheduling(service: Service, selector: dict[str, str]) -> dict[str, Any]:
    """Pod spec fields that place a service's pods (the catalog refuses a service both PCI-scoped and GPU)."""
    if service.pci_scope:
        return pci_scheduling(selector)
    scheduling: dict[str, Any] = {"topologySpreadConstraints": _spread(selector)}
    if service.gpu.enabled:
        scheduling |= _pool(naming.GPU_NODE_POOL, naming.GPU_TAINT)
    return scheduling
