"""Rules about the services' half of the metric contract (catalog.metrics)."""

from __future__ import annotations

from collections.abc import Iterator

from catalog import naming
from catalog.models import Catalog, Environment
from catalog.rules.finding import Finding

__all__ = ["business_metrics"]


def business_metrics(catalog: Catalog, env: Environment) -> Iterator[Finding]:
    """Each business metric is named under the project's prefix, so it can never be an exporter's or the
    platform's own series, and is declared once: its dashboard panel and absence alert name one owner."""
    prefix = naming.metric_prefix(catalog.project)
    declared: dict[str, tuple[str, int]] = {}
    for service in env.services.values():
        for index, metric in enumerate(service.business_metrics):
            at = ("services", service.name, "business_metrics", str(index), "name")
            if not metric.name.startswith(prefix):
                yield Finding(at, f"{metric.name!r} must start with {prefix!r}, the project's metric prefix", env.name)
            owner, first = declared.setdefault(metric.name, (service.name, index))
            if (owner, first) != (service.name, index):
                where = "this service" if owner == service.name else repr(owner)
                yield Finding(at, f"{metric.name!r} is already declared by {where}", env.name)
