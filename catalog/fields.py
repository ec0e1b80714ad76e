"""Field types of the catalog: constrained strings and numbers, each capped where its target imposes a limit.

pydantic reports a value that breaks one with its field path; catalog.models composes them.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated

from pydantic import AfterValidator, Field, StrictInt, StrictStr

__all__ = [
    "ACCOUNT_ID",
    "CACHE_NODE_TYPE",
    "DB_INSTANCE_CLASS",
    "IMAGE_REPOSITORY",
    "IMAGE_TAG",
    "INSTANCE_TYPE",
    "K8S_VERSION",
    "METRIC_NAME",
    "REGION",
    "AnyCidr",
    "Cidr",
    "Cpu",
    "Hostname",
    "HttpPath",
    "Memory",
    "Name",
    "Port",
    "cpu_millis",
    "matching",
    "memory_bytes",
    "shown",
]


DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
# An image repository path (registry host and tag are derived per environment).
IMAGE_REPOSITORY = re.compile(r"^[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*$")
IMAGE_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
CPU = re.compile(r"^([0-9]+m|[0-9]+(\.[0-9]{1,3})?)$")
MEMORY = re.compile(r"^[0-9]+(Ki|Mi|Gi|Ti)$")
HTTP_PATH = re.compile(r"^/[A-Za-z0-9._~/-]*$")
ACCOUNT_ID = re.compile(r"^[0-9]{12}$")
REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-[0-9]$")
K8S_VERSION = re.compile(r"^1\.(2[5-9]|3[0-7])$")
# Prometheus allows [a-zA-Z_:][a-zA-Z0-9_:]*; colons are for recording rules, and we keep to snake case.
METRIC_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
# The lookahead demands a digit without a second unbounded run, so matching stays linear in the length.
INSTANCE_TYPE = re.compile(
    r"^(?=[a-z][a-z0-9-]*[0-9])[a-z][a-z0-9-]*\.(nano|micro|small|medium|large|[0-9]*xlarge|metal)$")
DB_INSTANCE_CLASS = re.compile(r"^db\.(t3|t4g|m5|m6g|m6i|m7g|r5|r6g|r6i|r7g)\.(micro|small|medium|large|[0-9]*xlarge)$")
CACHE_NODE_TYPE = re.compile(r"^cache\.(t3|t4g|m5|m6g|m7g|r5|r6g|r7g)\.(micro|small|medium|large|[0-9]*xlarge)$")


def shown(value: object, limit: int = 60) -> str:
    """repr() of input for a one-line message, shortened: a catalog value can be a megabyte long."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def matching(pattern: re.Pattern[str], what: str):
    def check(value: str) -> str:
        if not pattern.fullmatch(value):
            raise ValueError(f"{shown(value)} is not a valid {what}")
        return value

    return AfterValidator(check)


def cpu_millis(value: str) -> int:
    return int(value[:-1]) if value.endswith("m") else round(float(value) * 1000)


def memory_bytes(value: str) -> int:
    unit = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4}[value[-2:]]
    return int(value[:-2]) * 1024**unit


def _cidr(value: str) -> str:
    try:
        network = ipaddress.IPv4Network(value, strict=True)
    except ValueError as error:
        raise ValueError(f"{value!r} is not a valid IPv4 CIDR block ({error})") from None
    if not 16 <= network.prefixlen <= 24:
        raise ValueError(f"{value!r} must have a prefix between /16 and /24 to hold the subnets")
    return value


def _any_cidr(value: str) -> str:
    try:
        ipaddress.IPv4Network(value, strict=True)
    except ValueError as error:
        raise ValueError(f"{value!r} is not a valid IPv4 CIDR block ({error})") from None
    return value


Name = Annotated[StrictStr, matching(DNS_LABEL, "DNS-1123 label (lowercase letters, digits, '-')")]
# Real quantities are a few characters; the cap keeps their arithmetic in the validators cheap.
Cpu = Annotated[StrictStr, Field(max_length=20), matching(CPU, "CPU quantity such as 250m or 2")]
Memory = Annotated[StrictStr, Field(max_length=20), matching(MEMORY, "memory quantity such as 512Mi or 4Gi")]
# Nothing downstream limits URLs and paths, but they are copied into many objects: keep them URL-sized.
URL_MAX_LENGTH = 2048
HttpPath = Annotated[StrictStr, Field(max_length=URL_MAX_LENGTH), matching(HTTP_PATH, "HTTP path starting with '/'")]
Hostname = Annotated[StrictStr, matching(HOSTNAME, "hostname")]
Port = Annotated[StrictInt, Field(ge=1, le=65535)]
# The longest IPv4 CIDR block is 255.255.255.255/32.
Cidr = Annotated[StrictStr, Field(max_length=18), AfterValidator(_cidr)]
AnyCidr = Annotated[StrictStr, Field(max_length=18), AfterValidator(_any_cidr)]
