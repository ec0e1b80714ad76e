"""Cluster add-ons Argo CD installs from pinned charts or manifests: one module per add-on, one contract
(base.Addon)."""

from __future__ import annotations

from catalog.graph import depths
from k8s_charts.addons import (
    alloy,
    argo_cd,
    aws_load_balancer_controller,
    cert_manager,
    external_secrets,
    gateway_api,
    kube_prometheus_stack,
    loki,
    nginx_gateway_fabric,
    tempo,
)
from k8s_charts.addons.base import Addon

__all__ = ["ADDONS", "Addon"]

ADDONS: dict[str, Addon] = {
    module.ADDON.name: module.ADDON
    for module in (argo_cd, kube_prometheus_stack, cert_manager, external_secrets, gateway_api, nginx_gateway_fabric,
                   aws_load_balancer_controller, loki, tempo, alloy)
}
# Fail at import, not at sync time, when a module names an add-on that does not exist.
depths({name: addon.depends_on for name, addon in ADDONS.items()})
