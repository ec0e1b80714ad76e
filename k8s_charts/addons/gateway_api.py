"""The Gateway API's standard-channel CRDs (GatewayClass, Gateway, HTTPRoute, ...) that NGINX Gateway
Fabric implements, applied from the upstream repository at a tag before the implementation.

NGF's chart ships only its own CRDs and expects these to be installed first. v1.6.1 is what every
Gateway API object in gitops_out is validated against (../shared/crds). NGF 2.6.7 is tested with 1.5.1
and reports a newer minor in its GatewayClass status as best-effort support (SupportedVersion=False,
still Accepted); the standard channel's v1 APIs stay compatible. Server-side apply: the HTTPRoute CRD
is larger than client-side apply's annotation may hold.
"""

from __future__ import annotations

from catalog import naming
from k8s_charts.addons.base import Addon, AddonNetwork

__all__ = ["ADDON", "NAME"]

NAME = "gateway-api-crds"
REPO_URL = "https://github.com/kubernetes-sigs/gateway-api.git"
PATH = "config/crd/standard"
VERSION = "v1.6.1"
# CRDs are cluster-wide; the Application deploys next to their implementation.
NAMESPACE = naming.ADDON_NAMESPACES[NAME]
DEPENDS_ON: tuple[str, ...] = ()

ADDON = Addon(
    name=NAME,
    repo_url=REPO_URL,
    path=PATH,
    version=VERSION,
    namespace=NAMESPACE,
    depends_on=DEPENDS_ON,
    server_side_apply=True,
    # CRDs only: no pods.
    network=AddonNetwork(api_server=False),
)
