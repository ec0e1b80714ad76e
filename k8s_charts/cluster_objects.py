"""Cluster-wide objects that need the add-ons' CRDs: certificate issuers, secret stores, the edge.

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
    nginx_gateway_fabric,
)
from k8s_charts.edge import EdgeObjects
from k8s_charts.manifest import FolderChart, emit, standard_labels

__all__ = [
    "ACME_SERVERS",
    "AWS_STORE",
    "DEPENDS_ON",
    "FOLDER",
    "PRODUCTION_ISSUER",
    "VAULT_STORE",
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
VAULT_STORE = "vault"
AWS_STORE = "aws-secrets-manager"
VAULT_KV_MOUNT = "secret"
VAULT_AUTH_MOUNT = "kubernetes"
VAULT_ROLE = "external-secrets"
COMPONENT = "cluster-config"


class ClusterObjectsChart(FolderChart):
    """ClusterIssuers (Let's Encrypt production and staging), ClusterSecretStores (Vault, Secrets Manager)
    and the edge in front of the one public service (k8s_charts.edge)."""

    def __init__(self, scope: Construct, construct_id: str, *, catalog: Catalog, env: Environment) -> None:
        super().__init__(scope, construct_id, folder=FOLDER)
        self.env = env
        self.workload_namespaces = sorted(name for name, ns in catalog.namespaces.items() if ns.workloads)
        for issuer, server in ACME_SERVERS.items():
            emit(self, f"issuer-{issuer}", self._issuer(issuer, server))
        emit(self, f"store-{VAULT_STORE}", self._vault_store())
        emit(self, f"store-{AWS_STORE}", self._aws_store())
        # catalog.rules makes sure there is exactly one.
        public = next(service for service in env.services.values() if service.public)
        stack = naming.stack_name(env)
        EdgeObjects(self, "edge", host=naming.public_host(env), service=public, issuer=PRODUCTION_ISSUER,
                    target_group_name=naming.target_group_name(stack),
                    load_balancer_cidrs=naming.subnet_plan(env).public, replicas=env.addon_replicas)

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

    def _store_conditions(self) -> list[dict[str, Any]]:
        """Only workload namespaces may read through the cluster-wide stores."""
        return [{"namespaces": self.workload_namespaces}]

    def _vault_store(self) -> dict[str, Any]:
        """Application secrets: Vault KV v2, Kubernetes auth as the external-secrets ServiceAccount."""
        account = naming.ADDON_SERVICE_ACCOUNTS[external_secrets.NAME]
        return {
            "apiVersion": "external-secrets.io/v1",
            "kind": "ClusterSecretStore",
            "metadata": self._metadata(VAULT_STORE),
            "spec": {
                "conditions": self._store_conditions(),
                "provider": {"vault": {
                    "server": f"https://vault.{self.env.domain}",
                    "path": VAULT_KV_MOUNT,
                    "version": "v2",
                    "auth": {"kubernetes": {
                        "mountPath": VAULT_AUTH_MOUNT,
                        "role": VAULT_ROLE,
                        "serviceAccountRef": {"name": account.name, "namespace": account.namespace},
                    }},
                }},
            },
        }

    def _aws_store(self) -> dict[str, Any]:
        """What Terraform writes (database and Redis endpoints): Secrets Manager through external-secrets' IRSA role."""
        account = naming.ADDON_SERVICE_ACCOUNTS[external_secrets.NAME]
        return {
            "apiVersion": "external-secrets.io/v1",
            "kind": "ClusterSecretStore",
            "metadata": self._metadata(AWS_STORE),
            "spec": {
                "conditions": self._store_conditions(),
                "provider": {"aws": {
                    "service": "SecretsManager",
                    "region": self.env.region,
                    "auth": {"jwt": {"serviceAccountRef": {"name": account.name, "namespace": account.namespace}}},
                }},
            },
        }
