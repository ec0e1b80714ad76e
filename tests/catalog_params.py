"""What the tests parametrize over, read from platform.yaml at collection time, never typed: a new
environment or service is one catalog entry, and every per-environment, per-stack and per-service test
covers it without a test edit (tests/grow_catalog.py proves it).

Test ids are an environment's name, a stack's name, or `env/service`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from catalog import Catalog, load_catalog, naming

__all__ = ["CATALOG", "ENVIRONMENTS", "ENV_SERVICES", "PRODUCTION_ENVIRONMENTS", "SERVICES", "STACKS",
           "WORKLOAD_NAMESPACES"]

ROOT = Path(__file__).resolve().parent.parent
CATALOG: Catalog = load_catalog(ROOT / "platform.yaml")

ENVIRONMENTS = list(CATALOG.environments)
# The environments the brief's production figures apply to.
PRODUCTION_ENVIRONMENTS = [name for name, env in CATALOG.environments.items() if env.production]
STACKS = [stack for env in CATALOG.environments.values()
          for stack in (naming.stack_name(env), naming.state_stack_name(env))]
SERVICES = sorted({service for env in CATALOG.environments.values() for service in env.services})
ENV_SERVICES = [pytest.param(env.name, service, id=f"{env.name}/{service}")
                for env in CATALOG.environments.values() for service in env.services]
WORKLOAD_NAMESPACES = [name for name, namespace in CATALOG.namespaces.items() if namespace.workloads]
