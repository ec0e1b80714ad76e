"""The local AWS emulator (moto's server) as a child process on a free loopback port.

It runs from its own virtualenv (.venv-rehearsal, requirements-rehearsal.txt) and answers as the
environment's account, so every ARN the stacks and manifests spell lines up. It is stopped by its
PID when the `running` block ends, however it ends.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

__all__ = ["EMULATOR_PYTHON", "Emulator", "EmulatorError", "emulator_version", "running"]

ROOT = Path(__file__).resolve().parent.parent
EMULATOR_PYTHON = ROOT / ".venv-rehearsal" / "bin" / "python"
LAUNCHER = Path(__file__).with_name("moto_server.py")  # moto's server, with the ids of existing zones
HOST = "127.0.0.1"
START_TIMEOUT_S = 60
STOP_TIMEOUT_S = 10


class EmulatorError(Exception):
    """The emulator is missing or did not come up."""


@dataclass(frozen=True)
class Emulator:
    url: str
    pid: int


def emulator_version(python: Path = EMULATOR_PYTHON) -> str:
    """`moto X.Y.Z`, the spelling the gaps file records."""
    if not python.exists():
        raise EmulatorError(f"{python}: missing; `make rehearse` creates it from requirements-rehearsal.txt")
    version = subprocess.run([str(python), "-c", "import importlib.metadata as m; print(m.version('moto'))"],
                             capture_output=True, text=True, check=True).stdout.strip()
    return f"moto {version}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _wait_until_up(process: subprocess.Popen, url: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = " | ".join(log.read_text(errors="replace").strip().splitlines()[-3:])
            raise EmulatorError(f"the emulator exited with {process.returncode}: {tail}")
        try:
            with urllib.request.urlopen(f"{url}/moto-api/", timeout=2):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    raise EmulatorError(f"the emulator did not answer on {url} within {START_TIMEOUT_S} s")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def running(account_id: str, log: Path, python: Path = EMULATOR_PYTHON,
            hosted_zones: Mapping[str, str] | None = None) -> Iterator[Emulator]:
    """The emulator answering as `account_id`, with AWS managed policies loaded (node and service
    roles attach them); its request log goes to `log`. `hosted_zones` (name -> id): the id a zone of
    that name gets when it is created, for zones the catalog says exist outside Terraform."""
    port = free_port()
    env = {**os.environ, "MOTO_ACCOUNT_ID": account_id, "MOTO_IAM_LOAD_MANAGED_POLICIES": "true"}
    zones = [argument for name, zone_id in sorted((hosted_zones or {}).items())
             for argument in ("--hosted-zone", f"{name}={zone_id}")]
    with log.open("wb") as output:
        process = subprocess.Popen([str(python), str(LAUNCHER), *zones, "-H", HOST, "-p", str(port)], env=env,
                                   stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
                                   start_new_session=True)  # a terminal's Ctrl-C reaches us; we stop it
    try:
        url = f"http://{HOST}:{port}"
        _wait_until_up(process, url, log)
        yield Emulator(url, process.pid)
    finally:
        _stop(process)
