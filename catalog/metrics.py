"""The metric contract between the platform and its services, in two halves.

The platform's half, the same for every service: at its `metrics_path`, on its `http` port, a service
exposes the counter HTTP_REQUESTS with a `code` label (the HTTP status) and the histogram
HTTP_DURATION. The SLO recording rules, alerts and dashboards read only these (k8s_charts.service_queries).

The service's half, in platform.yaml: `business_metrics` lists what it counts of its own business
(payments processed, usage events metered, ...), each declared once, with its owner. The business
dashboard reads them and each one gets an alert on its absence, so a service must expose every metric it
declares from its start: a counter or gauge without labels, registered at zero when the process starts.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr, model_validator

from catalog.fields import METRIC_NAME, matching

__all__ = ["HTTP_DURATION", "HTTP_REQUESTS", "BusinessMetric", "http_series"]

HTTP_REQUESTS = "http_requests_total"
HTTP_DURATION = "http_request_duration_seconds"


def http_series() -> tuple[str, ...]:
    """Every series name the platform's half of the contract puts into Prometheus (a histogram is three)."""
    return (HTTP_REQUESTS, *(f"{HTTP_DURATION}_{part}" for part in ("bucket", "sum", "count")))


class BusinessMetric(BaseModel):
    """One metric a service promises to expose. catalog.rules.metrics keeps names under the project's prefix
    and each with one owner."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    name: Annotated[StrictStr, Field(max_length=200),
                    matching(METRIC_NAME, "Prometheus metric name (lowercase letters, digits and '_')")]
    type: Literal["counter", "gauge"]
    # What it counts, in a few words: the title of its dashboard panel.
    description: Annotated[StrictStr, Field(min_length=1, max_length=120)]

    @model_validator(mode="after")
    def _counters_end_in_total(self) -> BusinessMetric:
        """Prometheus' naming convention, which the dashboard relies on to take a counter's rate."""
        if self.type == "counter" and not self.name.endswith("_total"):
            raise ValueError(f"counter {self.name!r} must end with '_total'")
        if self.type == "gauge" and self.name.endswith("_total"):
            raise ValueError(f"gauge {self.name!r} must not end with '_total' (the suffix marks counters)")
        return self
