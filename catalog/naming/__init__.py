"""Names and addresses shared by the Terraform and Kubernetes sides: the one place that derives them.

Both sides import these functions, never spell a name themselves, so an IRSA role, a secret
path or a bucket is named once; tests/test_infra_cross_side.py and tests/test_edge_cross_side.py
prove the two outputs agree.

Every name is checked where it is made, against the rules of the service that will hold it
(`NameRule`), and a name that breaks one raises InvalidName. Nothing is ever cut short: a
truncated name can collide with another one or stop saying what it names. catalog.rules calls
every derivation for every environment and service, so a catalog that would make a bad name is
refused when it loads, at the catalog path the name comes from.
"""

from catalog.naming import aws, backup, delivery, edge, kubernetes, platform, rules
from catalog.naming.aws import *  # noqa: F403
from catalog.naming.backup import *  # noqa: F403
from catalog.naming.delivery import *  # noqa: F403
from catalog.naming.edge import *  # noqa: F403
from catalog.naming.kubernetes import *  # noqa: F403
from catalog.naming.platform import *  # noqa: F403
from catalog.naming.rules import *  # noqa: F403

__all__ = [*rules.__all__, *platform.__all__, *aws.__all__, *backup.__all__, *delivery.__all__, *edge.__all__,
           *kubernetes.__all__]
