"""The brief's own figures (ARCHITECTURE.md section 1), with "replicas" read as the HPA floor.

The spec, pinned here and nowhere else. Tests check it against the catalog's production environments
only, and only for the services it names: a service added later is the catalog's alone.
"""

# name: (namespace, port, HPA min, HPA max, minAvailable, autoscaling metric, target utilization)
PRODUCTION = {
    "api-gateway": ("platform-core", 4000, 3, 10, 2, "cpu", 70),
    "auth-service": ("platform-core", 4001, 3, 8, 2, "cpu", 60),
    "tenant-service": ("platform-core", 4002, 3, 8, 2, "cpu", 60),
    "billing-service": ("services", 4003, 3, 8, 2, "cpu", 60),
    "metering-service": ("services", 4004, 2, 6, 1, "cpu", 60),
    "web3-event-service": ("services", 4005, 2, 6, 1, "cpu", 60),
    "ai-orchestrator": ("services", 4006, 2, 6, 1, "memory", 80),
    "monitoring-service": ("services", 4007, 2, 6, 1, "cpu", 60),
    "notification-service": ("services", 4008, 2, 6, 1, "cpu", 60),
    "security-service": ("services", 4009, 2, 6, 1, "cpu", 60),
    "audit-log-service": ("services", 4010, 2, 6, 1, "cpu", 60),
}

# "the AI orchestrator has 2 CPU / 4 GiB limits"
LIMITS = {"ai-orchestrator": {"cpu": "2", "memory": "4Gi"}}
