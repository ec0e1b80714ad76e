"""The PromQL the platform asks of each service, written once.

The SLO recording rules and alerts (k8s_charts.service_extras), the service's own dashboard and the
overview dashboards (k8s_charts.dashboards) read the same series: the metric contract of catalog.metrics,
selected by the service's namespace and its scrape job (the ServiceMonitor's job is the Service's name).
"""

from __future__ import annotations

from catalog import Service
from catalog.metrics import HTTP_DURATION, HTTP_REQUESTS, BusinessMetric

__all__ = ["ERROR_BUDGET", "SLO_TARGET", "SLO_WINDOW", "availability", "budget_left", "business_absent",
           "business_value", "error_ratio", "error_ratio_record", "p99_latency", "recorded_error_ratio",
           "request_rate", "selector"]

SLO_TARGET = 0.999
ERROR_BUDGET = 1 - SLO_TARGET
# The period the budget is spent over; the burn-rate alerts' multiples assume it.
SLO_WINDOW = "30d"
SERVER_ERRORS = 'code=~"5.."'


def selector(service: Service) -> str:
    return f'namespace="{service.namespace}", job="{service.name}"'


def error_ratio_record(window: str) -> str:
    """The recording rule of the 5xx ratio over `window`."""
    return f"slo:http_error_ratio:rate{window}"


def error_ratio(service: Service, window: str) -> str:
    """What error_ratio_record(window) records: 5xx responses over all responses, per second over `window`."""
    total = f"sum by (namespace, job) (rate({HTTP_REQUESTS}{{{selector(service)}}}[{window}]))"
    errors = f"sum by (namespace, job) (rate({HTTP_REQUESTS}{{{selector(service)}, {SERVER_ERRORS}}}[{window}]))"
    return f"{errors}\n/\n{total}"


def recorded_error_ratio(service: Service, window: str) -> str:
    return f"{error_ratio_record(window)}{{{selector(service)}}}"


def request_rate(service: Service) -> str:
    return f"sum(rate({HTTP_REQUESTS}{{{selector(service)}}}[5m]))"


def p99_latency(service: Service) -> str:
    return f"histogram_quantile(0.99, sum by (le) (rate({HTTP_DURATION}_bucket{{{selector(service)}}}[5m])))"


def _window_error_ratio(service: Service) -> str:
    """5xx over all requests in the SLO window, weighted by requests (not an average of short-window ratios).
    A service that never answered 5xx has no such series, hence `or vector(0)`."""
    errors = f"sum(increase({HTTP_REQUESTS}{{{selector(service)}, {SERVER_ERRORS}}}[{SLO_WINDOW}]))"
    total = f"sum(increase({HTTP_REQUESTS}{{{selector(service)}}}[{SLO_WINDOW}]))"
    return f"({errors} or vector(0)) / {total}"


def availability(service: Service) -> str:
    """The share of requests answered without a 5xx over the SLO window."""
    return f"1 - {_window_error_ratio(service)}"


def budget_left(service: Service) -> str:
    """The share of the window's error budget not yet spent; below zero once the SLO is missed."""
    return f"1 - ({_window_error_ratio(service)}) / {ERROR_BUDGET:.3f}"


def business_value(service: Service, metric: BusinessMetric) -> str:
    """A counter as a rate per second, a gauge as it is; summed over the service's pods."""
    series = f"{metric.name}{{{selector(service)}}}"
    return f"sum(rate({series}[5m]))" if metric.type == "counter" else f"sum({series})"


def business_absent(service: Service, metric: BusinessMetric) -> str:
    return f"absent({metric.name}{{{selector(service)}}})"
