"""One PayLedger service on Kubernetes: identity, configuration, pods, scaling, disruption and traffic rules.

`ServiceWorkload` turns one catalog `Service` into the objects it runs as. Everything it needs is
resolved once in the constructor from the catalog, so each object below is a plain function of
those values; names come from `catalog.naming`, labels from `standard_labels`.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from catalog import Environment, Service, naming
from catalog.footprint import ISTIO_PROXY, proxy_workload, rolling_update
from k8s_charts import egress_proxy
from k8s_charts.addons import tempo
from k8s_charts.manifest import ChartPart, FolderChart, emit, restricted_container, selector_labels, standard_labels
from k8s_charts.network_policy import (
    pod_peer,
    service_egress,
    service_ingress,
)
from k8s_charts.scheduling import PCI_SCOPE_LABEL, pod_scheduling

__all__ = ["RUN_AS", "ServiceWorkload", "env_var"]

COMPONENT = "server"
CONTAINER = "app"
PORT_NAME = "http"
RUN_AS = 10001
SCALE_DOWN_STABILIZATION_SECONDS = 300
TERMINATION_GRACE_SECONDS = 30


def env_var(name: str) -> str:
    """A name as an environment variable: secret keys (envFrom) and dependency URLs."""
    return name.upper().replace("-", "_")


def _service_url(service: Service) -> str:
    return f"http://{service.name}.{service.namespace}.svc.cluster.local:{service.port}"


class ServiceWorkload(ChartPart):
    """ServiceAccount, ConfigMap, Deployment, Service, HPA, PDB and NetworkPolicies for one service.

    The Deployment has no `replicas`: the HorizontalPodAutoscaler owns the count, and a replica
    field would make every sync fight it.
    """

    def __init__(self, scope: ChartPart | FolderChart, construct_id: str, *, env: Environment,
                 service: Service) -> None:
        super().__init__(scope, construct_id)
        self.service, self.env = service, env
        self.labels = standard_labels(name=service.name, component=COMPONENT, version=service.image_tag)
        self.selector = selector_labels(service.name)
        self.image = naming.image_reference(env, service)
        self.dependencies = [env.services[name] for name in sorted(service.depends_on.services)]
        self.callers = list(env.callers[service.name])
        self.secrets = [naming.kubernetes_secret_name(service, source) for source, wanted in (
            ("app", bool(service.vault_secrets)),
            ("postgres", service.depends_on.postgres),
            ("redis", service.depends_on.redis),
        ) if wanted]
        self.proxy = proxy_workload(service)
        self.config = self._config_data()
        proxy = (pod_peer(service.namespace, selector_labels(self.proxy.name)), egress_proxy.PROXY_PORT) \
            if self.proxy else None

        for construct, manifest in (
            ("service-account", self._service_account()),
            ("config", self._config_map()),
            ("deployment", self._deployment()),
            ("service", self._service()),
            ("autoscaler", self._autoscaler()),
            ("disruption-budget", self._disruption_budget()),
            ("ingress-policy", service_ingress(service=service, callers=self.callers, selector=self.selector,
                                               labels=self.labels)),
            ("egress-policy", service_egress(
                service=service, dependencies=self.dependencies, data_subnets=naming.subnet_plan(env).data,
                internet_hosts=egress_proxy.allowed_hosts(env, service), selector=self.selector,
                labels=self.labels, proxy=proxy,
                aws_endpoints=naming.subnet_plan(env).private if service.aws_access else ())),
        ):
            emit(self, construct, manifest)
        if self.proxy:
            egress_proxy.EgressProxy(self, "egress-proxy", env=env, service=service)

    def _metadata(self, name: str | None = None, **extra: Any) -> dict[str, Any]:
        return {"name": name or self.service.name, "namespace": self.service.namespace,
                "labels": self.labels, **extra}

    def _config_data(self) -> dict[str, str]:
        """Non-secret settings, sorted so the rendered ConfigMap (and its checksum) is stable."""
        service, env = self.service, self.env
        data = {
            "PORT": str(service.port),
            "SERVICE_NAME": service.name,
            "ENVIRONMENT": env.name,
            "AWS_REGION": env.region,
            "LOG_LEVEL": "info" if env.production else "debug",
            "OTEL_SERVICE_NAME": service.name,
            "OTEL_EXPORTER_OTLP_ENDPOINT": tempo.OTLP_ENDPOINT,
            "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
            "OTEL_RESOURCE_ATTRIBUTES": (f"deployment.environment={env.name},"
                                         f"service.namespace={service.namespace}"),
            **{f"{env_var(dep.name)}_URL": _service_url(dep) for dep in self.dependencies},
        }
        if self.proxy:  # the only way out; in-cluster and AWS-internal names stay direct
            data |= {"HTTPS_PROXY": egress_proxy.proxy_url(service), "NO_PROXY": ".svc,.cluster.local,169.254.169.254"}
        return dict(sorted(data.items()))

    def _service_account(self) -> dict[str, Any]:
        """IRSA: the pod identity webhook mounts its own projected token, so the API token stays off."""
        role = naming.role_arn(self.env, naming.service_role_name(self.env, self.service))
        return {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": self._metadata(annotations={"eks.amazonaws.com/role-arn": role}),
            "automountServiceAccountToken": False,
        }

    def _config_map(self) -> dict[str, Any]:
        return {"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": self._metadata(naming.config_map_name(self.service)), "data": self.config}

    def _pod_labels(self) -> dict[str, str]:
        return self.labels | ({PCI_SCOPE_LABEL: "true"} if self.service.pci_scope else {})

    def _pod_annotations(self) -> dict[str, str]:
        """A config checksum rolls the pods when the ConfigMap changes; sidecar pins match the quota."""
        checksum = hashlib.sha256(json.dumps(self.config, sort_keys=True).encode()).hexdigest()
        annotations = {"checksum/config": checksum}
        if self.env.istio_injection:
            annotations |= {
                "sidecar.istio.io/proxyCPU": f"{ISTIO_PROXY.requests_cpu}m",
                "sidecar.istio.io/proxyMemory": f"{ISTIO_PROXY.requests_memory // 1024**2}Mi",
                "sidecar.istio.io/proxyCPULimit": f"{ISTIO_PROXY.limits_cpu}m",
                "sidecar.istio.io/proxyMemoryLimit": f"{ISTIO_PROXY.limits_memory // 1024**2}Mi",
            }
        return annotations

    def _container(self) -> dict[str, Any]:
        service = self.service
        resources = service.resources
        limits: dict[str, str] = {"cpu": resources.limits.cpu, "memory": resources.limits.memory}
        if service.gpu.enabled:
            limits["nvidia.com/gpu"] = str(service.gpu.count)

        def probe(path: str, *, period: int, failures: int) -> dict[str, Any]:
            return {"httpGet": {"path": path, "port": PORT_NAME}, "periodSeconds": period,
                    "timeoutSeconds": 2, "failureThreshold": failures}

        return {
            "name": CONTAINER,
            "image": self.image,
            "imagePullPolicy": "IfNotPresent",
            "ports": [{"name": PORT_NAME, "containerPort": service.port, "protocol": "TCP"}],
            "envFrom": [{"configMapRef": {"name": naming.config_map_name(service)}},
                        *({"secretRef": {"name": secret}} for secret in self.secrets)],
            "resources": {"requests": {"cpu": resources.requests.cpu, "memory": resources.requests.memory},
                          "limits": limits},
            # Startup allows 5 s x 30 = 150 s to boot before liveness may restart the container.
            "startupProbe": probe(service.health.startup, period=5, failures=30),
            "readinessProbe": probe(service.health.readiness, period=10, failures=3),
            "livenessProbe": probe(service.health.liveness, period=10, failures=3),
            "securityContext": restricted_container(RUN_AS),
            "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
        }

    def _deployment(self) -> dict[str, Any]:
        return {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": self._metadata(),
            "spec": {
                "revisionHistoryLimit": 5,
                "selector": {"matchLabels": self.selector},
                "strategy": rolling_update(),
                "template": {
                    "metadata": {"labels": self._pod_labels(), "annotations": self._pod_annotations()},
                    "spec": {
                        "serviceAccountName": self.service.name,
                        "automountServiceAccountToken": False,
                        "enableServiceLinks": False,
                        "terminationGracePeriodSeconds": TERMINATION_GRACE_SECONDS,
                        "securityContext": {
                            "runAsNonRoot": True,
                            "runAsUser": RUN_AS,
                            "runAsGroup": RUN_AS,
                            "fsGroup": RUN_AS,
                            "seccompProfile": {"type": "RuntimeDefault"},
                        },
                        "containers": [self._container()],
                        "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}}],
                        **pod_scheduling(self.service, self.selector),
                    },
                },
            },
        }

    def _service(self) -> dict[str, Any]:
        return {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": self._metadata(),
            "spec": {"type": "ClusterIP", "selector": self.selector,
                     "ports": [{"name": PORT_NAME, "port": self.service.port, "targetPort": PORT_NAME,
                                "protocol": "TCP"}]},
        }

    def _autoscaler(self) -> dict[str, Any]:
        scaling = self.service.autoscaling
        return {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": self._metadata(),
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": self.service.name},
                "minReplicas": scaling.min,
                "maxReplicas": scaling.max,
                "metrics": [{"type": "Resource", "resource": {
                    "name": scaling.metric,
                    "target": {"type": "Utilization", "averageUtilization": scaling.target_utilization},
                }}],
                # Scale down slowly (at most half the pods a minute, after 5 min of low load) so a
                # short lull does not shed the capacity the next burst needs.
                "behavior": {"scaleDown": {
                    "stabilizationWindowSeconds": SCALE_DOWN_STABILIZATION_SECONDS,
                    "policies": [{"type": "Percent", "value": 50, "periodSeconds": 60}],
                }},
            },
        }

    def _disruption_budget(self) -> dict[str, Any]:
        """AlwaysAllow lets drains evict pods that are not ready anyway (a crash loop must not block them)."""
        budget = self.service.disruption_budget
        bound = ({"minAvailable": budget.min_available} if budget.min_available is not None
                 else {"maxUnavailable": budget.max_unavailable})
        return {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": self._metadata(),
            "spec": {"selector": {"matchLabels": self.selector}, "unhealthyPodEvictionPolicy": "AlwaysAllow",
                     **bound},
        }
