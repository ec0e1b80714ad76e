"""rehearsal.emulator: the emulator process comes up on a loopback port and is always stopped.

A stand-in server takes moto's place here (same command line, same readiness URL); `make rehearse`
runs the real one.
"""

from __future__ import annotations

import os
import sys
import urllib.request
from pathlib import Path

import pytest

from rehearsal.emulator import EmulatorError, running

STAND_IN = f"""#!{sys.executable}
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer
if "--crash" in open(__file__).read().split("#flags:")[-1]:
    print("address already in use"); sys.exit(3)
args = sys.argv[1:]  # LAUNCHER [--hosted-zone NAME=ID]... -H HOST -p PORT
host, port = args[args.index("-H") + 1], int(args[args.index("-p") + 1])
class Ok(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b"{{}}")
    def log_message(self, *a):
        pass
HTTPServer((host, port), Ok).serve_forever()
#flags:{{flags}}
"""


def stand_in(tmp_path: Path, flags: str = "") -> Path:
    path = tmp_path / "python"
    path.write_text(STAND_IN.replace("{flags}", flags))
    path.chmod(0o755)
    return path


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_it_answers_on_loopback_and_is_stopped_after_the_block(tmp_path: Path) -> None:
    with running("111111111111", tmp_path / "log", python=stand_in(tmp_path)) as emulator:
        assert emulator.url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(f"{emulator.url}/moto-api/", timeout=5) as answer:
            assert answer.status == 200
    assert gone(emulator.pid)


def test_it_is_stopped_when_the_block_fails(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), running("111111111111", tmp_path / "log", python=stand_in(tmp_path)) as emulator:
        raise RuntimeError("apply failed")
    assert gone(emulator.pid)


def test_an_emulator_that_exits_says_why(tmp_path: Path) -> None:
    with pytest.raises(EmulatorError, match="exited with 3: address already in use"), \
            running("111111111111", tmp_path / "log", python=stand_in(tmp_path, "--crash")):
        pass


def test_a_zone_the_catalog_names_gets_the_catalogs_id_when_it_is_created(monkeypatch: pytest.MonkeyPatch) -> None:
    """The launcher registers the ids before moto's server starts; here moto runs in-process."""
    import boto3
    from moto import mock_aws
    from moto.utilities.id_generator import moto_id_manager

    from rehearsal.moto_server import hosted_zone, register

    fake = {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "MOTO_ACCOUNT_ID": "111111111111"}
    for name, value in fake.items():
        monkeypatch.setenv(name, value)
    rest = register(["--hosted-zone", "dev.example.com=Z0DEVEXAMPLE0001", "-H", "127.0.0.1", "-p", "5000"],
                    "111111111111")
    try:
        assert rest == ["-H", "127.0.0.1", "-p", "5000"]
        with mock_aws():
            route53 = boto3.client("route53", region_name="us-east-1")
            made = route53.create_hosted_zone(Name="dev.example.com", CallerReference="r")["HostedZone"]["Id"]
            other = route53.create_hosted_zone(Name="other.example.com", CallerReference="o")["HostedZone"]["Id"]
    finally:
        moto_id_manager.unset_custom_id(hosted_zone("111111111111", "dev.example.com"))
    assert made == "/hostedzone/Z0DEVEXAMPLE0001"
    assert other != made


def test_a_failed_rehearsal_keeps_the_emulators_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    from rehearsal.__main__ import _keep_log

    work, kept = tmp_path / "work", tmp_path / "kept"
    work.mkdir()
    kept.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(kept))
    assert _keep_log(work, "dev") == ""
    (work / "emulator.log").write_text("POST / CreateRole 200\n")
    assert _keep_log(work, "dev") == f"; the emulator's log is {kept / 'payledger-rehearsal-dev-emulator.log'}"
    assert (kept / "payledger-rehearsal-dev-emulator.log").read_text() == "POST / CreateRole 200\n"
