"""Real Terraform on one working copy of a stack, read through its machine-readable (`-json`) output.

Every failure becomes one line per problem, `<resource address>: <error>`, so a rehearsal that
fails says exactly which resource AWS (here: the emulator) refused and why.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rehearsal.summary import Failed

__all__ = ["MIRROR", "TERRAFORM", "Terraform", "TerraformError", "cli_config", "error_lines", "missing_tools"]

TERRAFORM = os.environ.get("TERRAFORM_BIN") or shutil.which("terraform")
MIRROR = Path(os.environ.get("TF_PLUGIN_MIRROR", "/opt/tf-plugins"))
COMMAND_TIMEOUT_S = 1800  # the provider's own waits: RDS alone takes ~3 minutes against the emulator
STOP_TIMEOUT_S = 10
NOISE = ("execution halted",)  # follows the real error when a run stops


class TerraformError(Failed):
    """A Terraform command failed; `lines` are `<address>: <error>`."""


def missing_tools() -> str | None:
    if not (TERRAFORM and shutil.which(TERRAFORM)):
        return f"terraform not found (TERRAFORM_BIN or PATH: {TERRAFORM or 'none'})"
    if not (MIRROR / "registry.terraform.io" / "hashicorp" / "aws").is_dir():
        return f"{MIRROR}: no hashicorp/aws filesystem mirror (TF_PLUGIN_MIRROR)"
    return None


def cli_config(folder: Path) -> Path:
    """Providers from the filesystem mirror only, one shared cache so each stack links the same copy."""
    (folder / "plugin-cache").mkdir(exist_ok=True)
    path = folder / "terraform.rc"
    path.write_text(f'plugin_cache_dir = "{folder / "plugin-cache"}"\n'
                    f'provider_installation {{\n  filesystem_mirror {{\n    path = "{MIRROR}"\n  }}\n}}\n')
    return path


def _one_line(*parts: str | None) -> str:
    return " ".join(": ".join(part for part in parts if part).split())


def error_lines(messages: Iterable[Mapping[str, Any]], fallback: str) -> list[str]:
    """`<address>: <summary>: <detail>` per error diagnostic. Diagnostics without an address (most
    destroy errors) take the next resource whose apply errored, in order; else `fallback`."""
    messages = list(messages)
    errored = [m["hook"]["resource"]["addr"] for m in messages if m.get("type") == "apply_errored"]
    lines = []
    for message in messages:
        diagnostic = message.get("diagnostic") if message.get("type") == "diagnostic" else None
        if not diagnostic or diagnostic.get("severity") != "error" or diagnostic.get("summary") in NOISE:
            continue
        address = diagnostic.get("address")
        if address in errored:
            errored.remove(address)
        elif not address:
            address = errored.pop(0) if errored else fallback
        lines.append(_one_line(address, diagnostic.get("summary"), diagnostic.get("detail")))
    return lines


def _stop(process: subprocess.Popen) -> None:
    """Terraform stops its plugins on SIGTERM; whatever of its group is left after that is killed."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(STOP_TIMEOUT_S)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _changed(change: Mapping[str, Any]) -> list[str]:
    before, after = change.get("before") or {}, change.get("after") or {}
    unknown = change.get("after_unknown") or {}
    return sorted(key for key in {*before, *after, *unknown} if before.get(key) != after.get(key) or key in unknown)


@dataclass
class Terraform:
    stack: str
    workdir: Path
    config: Path
    seconds: float = field(default=0.0)

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "TF_CLI_CONFIG_FILE": str(self.config), "TF_IN_AUTOMATION": "1",
               "CHECKPOINT_DISABLE": "1"}
        started = time.monotonic()
        # its own process group: Terraform and its provider plugins are stopped together (see _stop)
        process = subprocess.Popen([str(TERRAFORM), f"-chdir={self.workdir}", *args], env=env, text=True,
                                   stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   start_new_session=True)
        try:
            stdout, stderr = process.communicate(timeout=COMMAND_TIMEOUT_S)
        except subprocess.TimeoutExpired as error:
            _stop(process)
            message = f"{self.stack}: terraform {args[0]} did not finish in {COMMAND_TIMEOUT_S} s"
            raise TerraformError([message]) from error
        except BaseException:  # Ctrl-C, SIGTERM: no provider plugin may outlive the rehearsal
            _stop(process)
            raise
        finally:
            self.seconds += time.monotonic() - started
        return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)

    def _json(self, *args: str) -> list[dict[str, Any]]:
        """Run a `-json` command; its messages, or TerraformError with one line per error."""
        result = self._run(*args, "-json", "-input=false")
        messages = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
        if result.returncode != 0:
            lines = error_lines(messages, self.stack)
            tail = result.stderr.strip().splitlines()[-1:] if result.stderr.strip() else []
            raise TerraformError(lines or [_one_line(self.stack, f"terraform {args[0]}", *tail)])
        return messages

    @staticmethod
    def _summary(messages: list[dict[str, Any]]) -> dict[str, int]:
        return next(m["changes"] for m in reversed(messages) if m.get("type") == "change_summary")

    def init(self) -> None:
        result = self._run("init", "-input=false", "-no-color")
        if result.returncode != 0:
            errors = [line for line in result.stderr.splitlines() if line.strip().startswith("Error")]
            raise TerraformError([_one_line(self.stack, "terraform init", *(errors or ["failed"])[:1])])

    def planned(self) -> int:
        """How many resources the whole stack creates, by Terraform's own count."""
        return self._summary(self._json("plan", "-refresh=false", "-lock=false"))["add"]

    def apply(self, targets: Sequence[str]) -> int:
        return self._summary(self._json("apply", "-auto-approve", *(f"-target={t}" for t in targets)))["add"]

    def replan(self, targets: Sequence[str]) -> list[str]:
        """One line per resource the re-plan would change, naming the attributes; [] when none."""
        plan = "replan.tfplan"
        messages = self._json("plan", "-lock=false", f"-out={plan}", *(f"-target={t}" for t in targets))
        if not any(self._summary(messages).get(kind) for kind in ("add", "change", "remove", "import")):
            return []
        shown = json.loads(self._run("show", "-json", plan).stdout)
        return [f"{rc['address']}: re-plan would {'/'.join(rc['change']['actions'])} "
                f"{', '.join(_changed(rc['change'])) or '(no attribute)'}"
                for rc in shown.get("resource_changes", []) if rc["change"]["actions"] not in (["no-op"], ["read"])]

    def state(self) -> list[str]:
        result = self._run("state", "list")
        if result.returncode != 0:
            raise TerraformError([_one_line(self.stack, "terraform state list", result.stderr.strip())])
        return result.stdout.split()

    def destroy(self) -> None:
        self._json("destroy", "-auto-approve")
