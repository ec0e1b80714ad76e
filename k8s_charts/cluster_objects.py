"""Cluster-wide objects that need the add-ons' CRDs: certificate issuers, Grafana's admin secret, the edge.

They live in their own folder (and Argo CD Application) so they sync after cert-manager,
external-secrets, the Gateway API, NGINX Gateway Fabric and the AWS Load Balancer Controller, and
before any service asks for a certificate or a secret.
"""

from __future__ import annotations

from typing import Any

from constructs import Construct

from catalog import Catalog, Environment, naming
from k8s_charts.addons import (
    aws_load_balancer_controller,
    cert_manager,
    external_secrets,
    gateway_api,
    kube_prometheus_stack,
    nginx_gateway_fabric,
)
from k8s_charts.edge import EdgeObjects
from k8s_charts.manifest import FolderChart, emit, standard_labels
from k8s_charts.secret_stores import external_secret, vault_store

__all__ = [
    "ACME_SERVERS",
    "DEPENDS_ON",
    "FOLDER",
    "PRODUCTION_ISSUER",
    "ClusterObjectsChart",
]

FOLDER = "cluster-config"
# Add-ons whose CRDs or controllers these objects need.
DEPENDS_ON = (cert_manager.NAME, external_secrets.NAME, gateway_api.NAME, nginx_gateway_fabric.NAME,
              aws_load_balancer_controller.NAME)
ACME_SERVERS = {
    "letsencrypt-production": "https://acme-v02.api.letsencrypt.org/directory",
    "letsencrypt-staging": "https://acme-staging-v02.api.letsencrypt.org/directory",
}
PRODUCTION_ISSUER = "letsencrypt-production"
COMPONENT = "cluster-config"


class ClusterObjectsChart(FolderChart):
    """ClusterIssuers (Let's Encrypt production and staging), Grafana's admin login from Vault, and the edge
    in front of the one public service (k8s_charts.edge)."""

    def __init__(self, scope: Construct, construct_id: str, *, catalog: Catalog, env: Environment) -> None:
        super().__init__(scope, construct_id, folder=FOLDER)
        self.env = env
        for issuer, server in ACME_SERVERS.items():
            emit(self, f"issuer-{issuer}", self._issuer(issuer, server))
        for manifest in self._grafana_admin():
            emit(self, f"{manifest['kind']}-{manifest['metadata']['name']}", manifest)
        # catalog.rules makes sure there is exactly one.
        public = next(service for service in env.services.values() if service.public)
        stack = naming.stack_name(env)
        EdgeObjects(self, "edge", host=naming.public_host(env), service=public, issuer=PRODUCTION_ISSUER,
                    target_group_name=naming.target_group_name(stack),
                    load_balancer_cidrs=naming.subnet_plan(env).public,
                    replicas=nginx_gateway_fabric.DATA_PLANE.replicas(env))

    def _metadata(self, name: str, **extra: Any) -> dict[str, Any]:
        return {"name": name, "labels": standard_labels(name=name, component=COMPONENT), **extra}

    def _issuer(self, name: str, server: str) -> dict[str, Any]:
        """ACME DNS-01 in Route53 with ambient credentials: cert-manager's own IRSA role, no keys."""
        route53: dict[str, Any] = {"region": self.env.region}
        if self.env.route53_zone_id:
            route53["hostedZoneID"] = self.env.route53_zone_id
        return {
            "apiVersion": "cert-manager.io/v1",
            "kind": "ClusterIssuer",
            "metadata": self._metadata(name),
            "spec": {"acme": {
                "server": server,
                "email": f"hostmaster@{self.env.domain}",
                "privateKeySecretRef": {"name": f"{name}-account-key"},
                "solvers": [{"selector": {"dnsZones": [self.env.domain]}, "dns01": {"route53": route53}}],
            }},
        }

    def _grafana_admin(self) -> list[dict[str, Any]]:
        """Grafana's admin login from Vault, read as Grafana's own account (not the chart's default password)."""
        account = kube_prometheus_stack.GRAFANA_ACCOUNT
        store = naming.secret_store_name(kube_prometheus_stack.GRAFANA_VAULT, "vault")
        secret = kube_prometheus_stack.GRAFANA_ADMIN_SECRET
        path = naming.vault_secret_path(self.env, kube_prometheus_stack.GRAFANA_VAULT)
        keys = list(kube_prometheus_stack.GRAFANA_ADMIN_KEYS.values())
        return [
            vault_store(self.env, owner=kube_prometheus_stack.GRAFANA_VAULT, account=account,
                        metadata=self._metadata(store, namespace=account.namespace)),
            external_secret(metadata=self._metadata(secret, namespace=account.namespace), store=store, spec={
                "target": {"name": secret, "creationPolicy": "Owner"},
                "data": [{"secretKey": key, "remoteRef": {"key": path, "property": key}} for key in keys],
            }),
        ]

