"""Security: what the WAF blocks, certificates, secret syncs, and why NetworkPolicy denials are not shown.

AWS publishes WAF metrics only to CloudWatch, and no CloudWatch exporter runs here, so the WAF panels read
Grafana's CloudWatch data source (kube_prometheus_stack, through Grafana's IRSA role) rather than
Prometheus. cert-manager and External Secrets export their metrics to Prometheus through the
ServiceMonitors their add-ons enable.
"""

from __future__ import annotations

from typing import Any

from catalog import Environment, naming
from k8s_charts.dashboards.panels import Panel, cloudwatch, dashboard, prometheus, row, stat, table, text, timeseries

__all__ = ["KIND", "NETWORK_POLICY_NOTE", "security"]

KIND = "security"
WAF_NAMESPACE = "AWS/WAFV2"
# cert-manager renews a certificate a third of its lifetime before expiry (30 days for Let's Encrypt):
# under three weeks left means renewal has been failing for days.
EXPIRY_STEPS = ((None, "red"), (7, "orange"), (21, "green"))
NONE_IS_GOOD = ((None, "green"), (1, "red"))
ES_NOT_READY = 'externalsecret_status_condition{condition="Ready", status="False"} == 1'
NETWORK_POLICY_NOTE = """\
The VPC CNI enforces the NetworkPolicies (its network policy agent, `enableNetworkPolicy`), but no
denial reaches Prometheus in this setup, so this dashboard shows none rather than an invented metric:

* the agent counts drops (`network_policy_drop_count_total`, IPv4 only) only with policy event logs on
  (`nodeAgent.enablePolicyEventLogs` in the vpc-cni add-on's configuration), which is off here;
* it serves them on port 61680 of the `aws-node` pods, which nothing scrapes.

To see denials: turn on the event logs (and `enableCloudWatchLogs` for the flow log in CloudWatch) in the
vpc-cni add-on's configuration (infra_stacks/cluster.py), and add a PodMonitor for port 61680 in kube-system.
"""


def _waf(env: Environment) -> list[Panel]:
    acl = naming.waf_acl_name(naming.stack_name(env))  # also the web ACL's CloudWatch metric name

    def requests(metric: str, rule: str = "ALL", exact: bool = True) -> dict[str, Any]:
        return cloudwatch(namespace=WAF_NAMESPACE, metric=metric, region=env.region, match_exact=exact,
                          dimensions={"WebACL": acl, "Region": env.region, "Rule": rule})

    return [
        row(f"Edge: WAF web ACL {acl} (CloudWatch {WAF_NAMESPACE})"),
        timeseries("Requests blocked and allowed", requests("BlockedRequests"), requests("AllowedRequests"),
                   unit="short"),
        timeseries("Blocked requests by rule", requests("BlockedRequests", "*", exact=False), unit="short",
                   description="Rule ALL is the web ACL's total; the others are its rules' metric names."),
    ]


def _certificates() -> list[Panel]:
    return [
        row("Certificates (cert-manager)"),
        table("Days until expiry",
              prometheus("(certmanager_certificate_expiration_timestamp_seconds - time()) / 86400", instant=True),
              width=12, unit="d", steps=EXPIRY_STEPS),
        stat("Certificates not ready", prometheus('sum(certmanager_certificate_ready_status{condition!="True"})'),
             steps=NONE_IS_GOOD),
        stat("ClusterIssuers not ready",
             prometheus('sum(certmanager_clusterissuer_ready_status{condition!="True"})'), steps=NONE_IS_GOOD),
    ]


def _secrets() -> list[Panel]:
    return [
        row("Secrets (External Secrets Operator)"),
        stat("ExternalSecrets not ready", prometheus(f"count({ES_NOT_READY}) or vector(0)"), width=4,
             steps=NONE_IS_GOOD),
        table("ExternalSecrets not ready", prometheus(ES_NOT_READY, instant=True), width=8),
        timeseries("Sync errors per hour",
                   prometheus("sum by (namespace, name) (increase(externalsecret_sync_calls_error[1h])) > 0",
                              "{{namespace}}/{{name}}"), width=12, unit="short"),
    ]


def security(env: Environment) -> dict[str, Any]:
    panels = [*_waf(env), *_certificates(), *_secrets(), row("Network policy denials"),
              text("Why no NetworkPolicy denials are shown", NETWORK_POLICY_NOTE, height=8)]
    return dashboard(uid=naming.overview_dashboard_uid(env, KIND), title=f"Security ({env.name})",
                     tags=["payledger", "overview"], panels=panels,
                     description="WAF blocks (CloudWatch), certificate expiry and readiness (cert-manager), "
                                 "ExternalSecret sync failures (External Secrets Operator). NetworkPolicy "
                                 "denials are not exported here: see the note at the bottom.")
