"""Amazon EKS Kubernetes versions and their support windows: what a cluster may be created at, and until when.

From the EKS documentation's release calendar ("Understand the Kubernetes version lifecycle on EKS",
https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html), read on 2026-11-30.
Standard support lasts 14 months from the EKS release, extended support 12 more. 1.36 is offered
too, but its dates were not in the documentation available when this table was written: add a
version here, with its dates, before an environment may use it.
"""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

__all__ = ["EKS_VERSIONS", "WARN_DAYS", "SupportWindow"]

# Warn this many days before a version leaves standard support: time to plan and rehearse an upgrade.
WARN_DAYS = 90


class SupportWindow(NamedTuple):
    end_of_standard: date
    end_of_extended: date


EKS_VERSIONS: dict[str, SupportWindow] = {
    "1.29": SupportWindow(date(2025, 3, 23), date(2026, 3, 23)),
    "1.30": SupportWindow(date(2025, 7, 23), date(2026, 7, 23)),
    "1.31": SupportWindow(date(2025, 11, 26), date(2026, 11, 26)),
    "1.32": SupportWindow(date(2026, 3, 23), date(2027, 3, 23)),
    "1.33": SupportWindow(date(2026, 7, 29), date(2027, 7, 29)),
    "1.34": SupportWindow(date(2026, 12, 2), date(2027, 12, 2)),
    "1.35": SupportWindow(date(2027, 3, 27), date(2028, 3, 27)),
}
