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
from operations import verify_aws
from rehearsal import proof
from rehearsal.emulator import running
from rehearsal.existing import create_existing, existing_zones, final_snapshot_problems
from rehearsal.gaps import Gaps
from rehearsal.override import apply_override, replan_override, services
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
    """One stack through Terraform; its report fills in as the steps pass."""

    name: str
    source: Path
    workdir: Path
    config: Path
    gaps: Gaps
    stack: dict[str, Any] = field(init=False)
    selection: Selection = field(init=False)
    terraform: Terraform = field(init=False)
    report: StackReport = field(init=False)

    def __post_init__(self) -> None:
        self.stack = json.loads((self.source / "cdk.tf.json").read_text())
        self.selection = select(self.stack, self.gaps)
        self.terraform = Terraform(self.name, self.workdir, self.config)
        self.report = StackReport(self.name, gaps=len(self.selection.excluded))

    @property
    def targets(self) -> tuple[str, ...]:
        """Every resource not left out; none at all (the whole stack) when nothing is."""
        return self.selection.targets if self.selection.excluded else ()

    def apply(self, url: str, progress: Progress) -> None:
        shutil.copytree(self.source, self.workdir)
        (self.workdir / "rehearsal_override.tf.json").write_text(json.dumps(apply_override(self.stack, url)))
        for address, reason in self.selection.excluded.items():
            progress(f"{self.name}: left out {address}: {reason}")
        self.terraform.init()
        self.report.planned = self.terraform.planned()
        progress(f"{self.name}: applying {self.report.planned - self.report.gaps} of {self.report.planned} resources")
        self.terraform.apply(self.targets)
        self.report.applied = len(self.terraform.state())
        if self.report.applied + self.report.gaps != self.report.planned:
            raise Failed([f"{self.name}: applied {self.report.applied} and left out {self.report.gaps}, "
                          f"but the plan has {self.report.planned} resources"])

    def replan(self) -> None:
        override = replan_override(self.stack, self.gaps)
        (self.workdir / "rehearsal_replan_override.tf.json").write_text(json.dumps(override))
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


def _prove(env: Environment, url: str, run: StackRun, settings: Settings) -> None:
    """Cross-side names and verify's AWS half, on what was just applied."""
    def progress(message: str) -> None:
        settings.progress(f"{run.name}: {message}")

    excluded = run.selection.excluded
    problems = proof.prove_cross_side(env, url, settings.gitops_out, run.stack, excluded, progress)
    problems += proof.run_verify(env, url, settings.catalog, settings.gitops_out, excluded, progress)
    if problems:
        raise Failed(problems)


def rehearse(env: Environment, settings: Settings, tmp: Path) -> list[StackReport]:
    progress = settings.progress
    stacks = _synthesize(env, settings, tmp / "cdktf.out")
    config = cli_config(tmp)
    runs = [StackRun(name, stacks / name, tmp / "work" / name, config, settings.gaps)
            for name in (naming.state_stack_name(env), naming.stack_name(env))]
    for run in runs:
        services(run.stack)  # every resource type has an emulator endpoint, before anything is created
    with running(env.account_id, log=tmp / "emulator.log", hosted_zones=existing_zones(env)) as emulator:
        progress(f"rehearsal {env.name}: emulator pid {emulator.pid} at {emulator.url}")
        aws = verify_aws.connect(env, emulator.url)
        create_existing(env, aws, progress)
        for run in runs:
            run.apply(emulator.url, progress)
            run.replan()
            progress(f"{run.name}: applied {run.report.applied}, re-plan has no changes")
        _prove(env, emulator.url, runs[-1], settings)
        for run in reversed(runs):
            run.destroy()
        problems = final_snapshot_problems(env, aws)
        if problems:
            raise Failed(problems)
        progress(f"rehearsal {env.name}: the teardown left a final snapshot of its own beside the earlier one")
    return [run.report for run in runs]
