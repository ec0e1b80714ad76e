"""The cluster side of the edge: the Gateway NGINX Gateway Fabric serves, the public service's route and
NGINX policies, its certificate, and the binding of the data plane into the ALB's target group.

Path of a request: internet -> ALB (WAF, ACM certificate, HTTP redirect; infra_stacks.edge) -> HTTPS to a
data plane pod (this Gateway's listener, certificate from cert-manager) -> HSTS added, client rate limit
and 1m body limit applied -> the public service.

The ALB sends no SNI to its targets, so the HTTPS listener has no hostname: NGF then terminates TLS in
its default server with this certificate and routes by Host header (without a hostname-less listener it
rejects such handshakes). cert-manager's Gateway support issues only for listeners with a hostname,
which is why the certificate is a Certificate object here rather than a Gateway annotation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from catalog import naming
from catalog.models import Service
from k8s_charts.addons import nginx_gateway_fabric
from k8s_charts.addons.base import MAX_UNAVAILABLE
from k8s_charts.addons.nginx_gateway_fabric import METRICS_PORT, data_plane_labels
from k8s_charts.manifest import ChartPart, FolderChart, emit, standard_labels
from k8s_charts.network_policy import edge_egress, edge_ingress

__all__ = ["GATEWAY_API", "HSTS", "HTTPS_REDIRECT_ROUTE", "EdgeObjects"]

GATEWAY_API = "gateway.networking.k8s.io"
NGINX_API = "gateway.nginx.org/v1alpha1"
HTTPS_REDIRECT_ROUTE = "https-redirect"
# What ingress-nginx sent by default: a year, subdomains included.
HSTS = "max-age=31536000; includeSubDomains"
COMPONENT = "edge"


class EdgeObjects(ChartPart):
    """Gateway, routes, NGINX policies, certificate, TargetGroupBinding, NetworkPolicy and disruption budget.

    Inputs:
        host: the public host name (catalog.naming.public_host), the route's only hostname.
        service: the one public service the route sends traffic to.
        issuer: the ClusterIssuer that signs the Gateway's certificate.
        target_group_name: the ALB target group Terraform made (catalog.naming.target_group_name).
        load_balancer_cidrs: the public subnets the ALB's nodes send from (naming.subnet_plan(env).public).
        replicas: data plane pods; above one they get a disruption budget of one pod.
        namespace: where the Gateway and its data plane run (naming.EDGE_NAMESPACE).
        gateway: the Gateway's name (naming.EDGE_GATEWAY).
        gateway_class: its GatewayClass (naming.EDGE_GATEWAY_CLASS).
        rate: requests a client may send on average ("50r/s", as ingress-nginx's limit-rps).
        burst: requests a client may send above the rate at once (250, ingress-nginx's 5x multiplier).
        body_limit: the largest request body ("1m").
    """

    def __init__(
        self,
        scope: FolderChart | ChartPart,
        construct_id: str,
        *,
        host: str,
        service: Service,
        issuer: str,
        target_group_name: str,
        load_balancer_cidrs: Sequence[str],
        replicas: int,
        namespace: str = naming.EDGE_NAMESPACE,
        gateway: str = naming.EDGE_GATEWAY,
        gateway_class: str = naming.EDGE_GATEWAY_CLASS,
        rate: str = "50r/s",
        burst: int = 250,
        body_limit: str = "1m",
    ) -> None:
        super().__init__(scope, construct_id)
        self.namespace, self.gateway = namespace, gateway
        secret = naming.gateway_tls_secret(gateway)
        data_plane = naming.data_plane_name(gateway, gateway_class)
        manifests = [
            self._certificate(secret, host, issuer),
            self._gateway(gateway_class, secret, service.namespace),
            self._redirect(),
            *self._public_route(host, service, rate=rate, burst=burst, body_limit=body_limit),
            self._target_group_binding(data_plane, target_group_name),
            edge_ingress(namespace=namespace, selector=data_plane_labels(gateway),
                         load_balancer_cidrs=load_balancer_cidrs,
                         ports=(naming.EDGE_HTTPS_PORT, naming.EDGE_HEALTH_PORT), metrics_port=METRICS_PORT,
                         labels=standard_labels(name=naming.EDGE_INGRESS_POLICY, component=COMPONENT)),
            edge_egress(namespace=namespace, selector=data_plane_labels(gateway), service=service,
                        labels=standard_labels(name=naming.EDGE_EGRESS_POLICY, component=COMPONENT)),
        ]
        if replicas > 1:
            manifests += [self._disruption_budget(data_plane, data_plane_labels(gateway)),
                          self._disruption_budget(nginx_gateway_fabric.NAME, nginx_gateway_fabric.CONTROL_PLANE_LABELS)]
        for manifest in manifests:
            emit(self, f"{manifest['kind']}-{manifest['metadata']['namespace']}-{manifest['metadata']['name']}",
                 manifest)

    def _metadata(self, name: str, namespace: str | None = None) -> dict[str, Any]:
        return {"name": name, "namespace": namespace or self.namespace,
                "labels": standard_labels(name=name, component=COMPONENT)}

    def _certificate(self, secret: str, host: str, issuer: str) -> dict[str, Any]:
        return {
            "apiVersion": "cert-manager.io/v1",
            "kind": "Certificate",
            "metadata": self._metadata(secret),
            "spec": {
                "secretName": secret,
                "dnsNames": [host],
                "issuerRef": {"group": "cert-manager.io", "kind": "ClusterIssuer", "name": issuer},
                "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
            },
        }

    def _gateway(self, gateway_class: str, secret: str, route_namespace: str) -> dict[str, Any]:
        """HTTPS for routes from the public service's namespace; HTTP only for the redirect beside it."""
        return {
            "apiVersion": f"{GATEWAY_API}/v1",
            "kind": "Gateway",
            "metadata": self._metadata(self.gateway),
            "spec": {
                "gatewayClassName": gateway_class,
                "listeners": [
                    {"name": "https", "protocol": "HTTPS", "port": naming.EDGE_HTTPS_PORT,
                     "tls": {"mode": "Terminate", "certificateRefs": [{"kind": "Secret", "name": secret}]},
                     "allowedRoutes": {"kinds": [{"kind": "HTTPRoute"}], "namespaces": {
                         "from": "Selector",
                         "selector": {"matchLabels": {"kubernetes.io/metadata.name": route_namespace}}}}},
                    {"name": "http", "protocol": "HTTP", "port": naming.EDGE_HTTP_PORT,
                     "allowedRoutes": {"kinds": [{"kind": "HTTPRoute"}], "namespaces": {"from": "Same"}}},
                ],
            },
        }

    def _parent(self, section: str) -> dict[str, Any]:
        return {"group": GATEWAY_API, "kind": "Gateway", "namespace": self.namespace, "name": self.gateway,
                "sectionName": section}

    def _redirect(self) -> dict[str, Any]:
        """Plain HTTP to the data plane gets a permanent redirect to HTTPS, whatever the host."""
        return {
            "apiVersion": f"{GATEWAY_API}/v1",
            "kind": "HTTPRoute",
            "metadata": self._metadata(HTTPS_REDIRECT_ROUTE),
            "spec": {
                "parentRefs": [self._parent("http")],
                "rules": [{"filters": [{"type": "RequestRedirect",
                                        "requestRedirect": {"scheme": "https", "statusCode": 301}}]}],
            },
        }

    def _public_route(self, host: str, service: Service, *, rate: str, burst: int,
                      body_limit: str) -> list[dict[str, Any]]:
        """The service's route with HSTS on every response, and the NGINX policies attached to it."""
        target = {"group": GATEWAY_API, "kind": "HTTPRoute", "name": service.name}
        route = {
            "apiVersion": f"{GATEWAY_API}/v1",
            "kind": "HTTPRoute",
            "metadata": self._metadata(service.name, service.namespace),
            "spec": {
                "parentRefs": [self._parent("https")],
                "hostnames": [host],
                "rules": [{
                    "matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                    "filters": [{"type": "ResponseHeaderModifier", "responseHeaderModifier": {
                        "set": [{"name": "Strict-Transport-Security", "value": HSTS}]}}],
                    "backendRefs": [{"kind": "Service", "name": service.name, "port": service.port}],
                }],
            },
        }
        rate_limit = {
            "apiVersion": NGINX_API,
            "kind": "RateLimitPolicy",
            "metadata": self._metadata(service.name, service.namespace),
            "spec": {"targetRefs": [target], "rateLimit": {
                # The client's address, as NGINX rewrote it from the ALB's X-Forwarded-For.
                "local": {"rules": [{"key": "$binary_remote_addr", "rate": rate, "burst": burst, "noDelay": True,
                                     "zoneSize": "10m"}]},
                "rejectCode": 429,
            }},
        }
        client_settings = {
            "apiVersion": NGINX_API,
            "kind": "ClientSettingsPolicy",
            "metadata": self._metadata(service.name, service.namespace),
            "spec": {"targetRef": target, "body": {"maxSize": body_limit}},
        }
        return [route, rate_limit, client_settings]

    def _target_group_binding(self, data_plane: str, target_group_name: str) -> dict[str, Any]:
        """The AWS Load Balancer Controller keeps the data plane pods registered in the ALB's target group."""
        return {
            "apiVersion": "elbv2.k8s.aws/v1beta1",
            "kind": "TargetGroupBinding",
            "metadata": self._metadata(data_plane),
            "spec": {"targetGroupName": target_group_name, "targetType": "ip",
                     "serviceRef": {"name": data_plane, "port": naming.EDGE_HTTPS_PORT}},
        }

    def _disruption_budget(self, name: str, pods: dict[str, str]) -> dict[str, Any]:
        """Node drains take one pod at a time: NGF's chart has no budget for its control plane, nor its
        NginxProxy for the data plane."""
        return {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": self._metadata(name),
            "spec": {"maxUnavailable": MAX_UNAVAILABLE, "selector": {"matchLabels": pods}},
        }
