"""moto's server, told beforehand the ids of what exists outside the stacks.

Run by the emulator's own interpreter (.venv-rehearsal), so it imports moto and nothing of the project:

    python rehearsal/moto_server.py [--hosted-zone NAME=ID]... -H HOST -p PORT

A hosted zone the rehearsal then creates under NAME (CreateHostedZone) gets ID, the id the catalog
names (`route53_zone_id`: a zone managed outside Terraform). moto otherwise makes ids up, and takes
custom ids only inside its own process (moto.utilities.id_generator.moto_id_manager).
"""

from __future__ import annotations

import os
import sys

from moto.route53.models import HostedZoneIdentifier
from moto.utilities.id_generator import moto_id_manager


def register(argv: list[str], account: str) -> list[str]:
    """Registers each `--hosted-zone NAME=ID`; the other arguments, for moto's server."""
    rest: list[str] = []
    arguments = iter(argv)
    for argument in arguments:
        if argument != "--hosted-zone":
            rest.append(argument)
            continue
        name, zone_id = next(arguments).split("=", 1)
        moto_id_manager.set_custom_id(hosted_zone(account, name), zone_id)
    return rest


def hosted_zone(account: str, name: str) -> HostedZoneIdentifier:
    # moto files a zone under its name with the final dot (the API adds it when it is missing)
    return HostedZoneIdentifier(account, f"{name.rstrip('.')}.", None)


if __name__ == "__main__":
    from moto import server  # needs moto[server] (Flask): the emulator's interpreter has it, the tests' not

    server.main(register(sys.argv[1:], os.environ["MOTO_ACCOUNT_ID"]))
