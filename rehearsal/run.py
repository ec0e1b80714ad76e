"""One environment's rehearsal: synthesize, then for the state stack and the environment stack apply,
re-plan to no changes, prove the cross-side names and run verify, and tear everything down.

Each stack runs in a working copy in the rehearsal's temporary folder: the endpoint override is
written there, never into a synthesized output folder.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from catalog import naming
from catalog.models import Environment
from rehearsal import proof
from rehearsal.emulator import Emulator, running
from rehearsal.gaps import Gaps
from rehearsal.override import apply_override, replan_override
from rehearsal.summary import Failed, StackReport
from rehearsal.targets import Selection, select
from rehearsal.terraform import Terraform, cli_config

__all__ = ["Settings", "rehearse"]

ROOT = Path(__file__).resolve().parent.parent
Progress = Callable[[str], None]


@dataclass(frozen=True)
class Settings:
    catalog: Path
    gitops_out: Path
    gaps: Gaps
    progress: Progress


@dataclass
class StackRun:
    """One stack through Terraform; the report fills in as the steps pass."""

    name: str
    source: Path
    workdir: Path
    config: Path
    stack: dict[str, Any] = field(init=False)
    selection: Selection = field(init=False)
    terraform: Terraform = field(init=False)
    report: StackReport = field(init=False)

    def __post_init__(self) -> None:
        self.stack = json.loads((self.source / "cdk.tf.json").read_text())
        self.terraform = Terraform(self.name, self.workdir, self.config)
        self.report = StackReport(self.name)

    @property
    def targets(self) -> tuple[str, ...]:
        return self.selection.targets if self.selection.excluded else ()

    def apply(self, emulator: Emulator, gaps: Gaps, progress: Progress) -> None:
        shutil.copytree(self.source, self.workdir)
        (self.workdir / "rehearsal_override.tf.json").write_text(json.dumps(apply_override(self.stack, emulator.url)))
        self.selection = select(self.stack, gaps)
        for address, reason in self.selection.excluded.items():
            progress(f"{self.name}: left out {address}: {reason}")
        self.terraform.init()
        self.report.planned = self.terraform.planned()
        progress(f"{self.name}: applying {self.report.planned - len(self.selection.excluded)} "
                 f"of {self.report.planned} resources")
        self.terraform.apply(self.targets)
        self.report.applied = len(self.terraform.state())
        self.report.gaps = len(self.selection.excluded)
        if self.report.applied + self.report.gaps != self.report.planned:
            raise Failed([f"{self.name}: applied {self.report.applied} and left out {self.report.gaps}, "
                                   f"but the plan has {self.report.planned} resources"])

    def replan(self, gaps: Gaps) -> None:
        (self.workdir / "rehearsal_replan_override.tf.json").write_text(json.dumps(replan_override(self.stack, gaps)))
        changes = self.terraform.replan(self.targets)
        self.report.replan_changes = len(changes)
        if changes:
            raise Failed(changes)

    def destroy(self) -> None:
        self.terraform.destroy()
        left = self.terraform.state()
        if left:
            raise Failed([f"{address}: still in the state after destroy" for address in left])
        self.report.destroyed = True
        self.report.seconds = self.terraform.seconds


def _synthesize(env: Environment, settings: Settings, out: Path) -> Path:
    command = [sys.executable, str(ROOT / "main.py"), "synth", "--only", "terraform", "--local-backend",
               "--env", env.name, "--catalog", str(settings.catalog), "--tf-out", str(out)]
    result = subprocess.run(command, cwd=ROOT, text=True, capture_output=True, check=False)
    if result.returncode != 0:
        raise Failed([f"synth {env.name}: {line}" for line in result.stderr.strip().splitlines()[-5:]])
    return out / "stacks"


def _prove(env: Environment, emulator: Emulator, run: StackRun, settings: Settings) -> None:
    """Cross-side names and verify's AWS half, on what was just applied."""
    found = proof.prove_cross_side(env, emulator.url, settings.gitops_out, run.stack, run.selection.excluded)
    for line in (*found.gaps, *found.warnings):
        settings.progress(f"{run.name}: cross-side {line}")
    settings.progress(f"{run.name}: cross-side: {found.checked - len(found.failures) - len(found.gaps)} "
                      f"of {found.checked} names proven, {len(found.gaps)} not checkable (emulator gaps)")
    skips = proof.verify_skips(run.selection.excluded)
    for check, why in skips.items():
        settings.progress(f"{run.name}: verify skips {check}: {why}")
    verified = proof.run_verify(env, emulator.url, settings.catalog, settings.gitops_out, skips)
    settings.progress(f"{run.name}: {verified.stderr.strip().splitlines()[-1] if verified.stderr.strip() else ''}")
    problems = [f"cross-side {finding}" for finding in found.failures]
    problems += [f"verify {line}" for line in verified.stdout.splitlines()]
    if verified.returncode not in (0, 1):
        problems.append(f"verify exited {verified.returncode}: {verified.stderr.strip()}")
    if problems:
        raise Failed(problems)


def rehearse(env: Environment, settings: Settings, tmp: Path) -> list[StackReport]:
    progress = settings.progress
    stacks = _synthesize(env, settings, tmp / "cdktf.out")
    config = cli_config(tmp)
    runs = [StackRun(name, stacks / name, tmp / "work" / name, config)
            for name in (naming.state_stack_name(env), naming.stack_name(env))]
    with running(env.account_id, log=tmp / "emulator.log") as emulator:
        progress(f"rehearsal {env.name}: emulator pid {emulator.pid} at {emulator.url}")
        for run in runs:
            run.apply(emulator, settings.gaps, progress)
            run.replan(settings.gaps)
            progress(f"{run.name}: applied {run.report.applied}, re-plan has no changes")
        _prove(env, emulator, runs[-1], settings)
        for run in reversed(runs):
            run.destroy()
    return [run.report for run in runs]
