"""`python -m rehearsal [--env dev|staging|prod|all]` (what `make rehearse` runs).

Exit codes: 0 every stack applied, re-planned to no changes, proven and destroyed; 1 the rehearsal
failed (one `<address>: <error>` line per problem on stdout); 2 bad input (unknown environment,
no terraform or provider mirror, no emulator, a malformed gaps file).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from catalog import CatalogError, Environment, load_catalog
from rehearsal.emulator import EmulatorError, emulator_version
from rehearsal.gaps import GapError, load_gaps
from rehearsal.override import UnknownService
from rehearsal.run import Settings, rehearse
from rehearsal.summary import Failed
from rehearsal.terraform import missing_tools

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2
ROOT = Path(__file__).resolve().parent.parent
# The rehearsal never talks to AWS: every client it starts gets these keys and no profile.
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "rehearsal", "AWS_SECRET_ACCESS_KEY": "rehearsal"}
CREDENTIAL_SOURCES = ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE")


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m rehearsal", description=__doc__.split("\n\n")[0])
    parser.add_argument("--env", default="dev", help="an environment of the catalog, or `all` (default: dev)")
    parser.add_argument("--catalog", default=str(ROOT / "platform.yaml"), help="catalog file")
    parser.add_argument("--gitops-out", default=str(ROOT / "gitops_out"),
                        help="committed Kubernetes output the cross-side proof reads (default: gitops_out)")
    return parser


def _settings(args: argparse.Namespace) -> tuple[Settings, list[Environment]]:
    """Everything checked before the first resource is created; raises on bad input."""
    catalog = load_catalog(Path(args.catalog), display_name=args.catalog)
    names = list(catalog.environments) if args.env == "all" else [args.env]
    unknown = [name for name in names if name not in catalog.environments]
    if unknown:
        raise ValueError(f"--env {args.env}: not in {args.catalog} (known: {', '.join(catalog.environments)}, all)")
    tools = missing_tools()
    if tools:
        raise ValueError(tools)
    gaps = load_gaps()
    version = emulator_version()
    stale = sorted(gaps.emulators() - {version})
    if stale:
        progress(f"warning: emulator-gaps.yaml records gaps for {', '.join(stale)}; the emulator is {version}: "
                 "re-check those lines")
    settings = Settings(Path(args.catalog).resolve(), Path(args.gitops_out).resolve(), gaps, progress)
    return settings, [catalog.environments[name] for name in names]


class Terminated(BaseException):
    """SIGTERM, raised wherever the process is, so every `finally` runs: the emulator is stopped and
    the temporary folders go, as on Ctrl-C (KeyboardInterrupt)."""


def _terminate(signum: int, frame: object) -> None:
    raise Terminated(signum)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings, envs = _settings(args)
    except CatalogError as error:
        for problem in error.problems:
            progress(str(problem))
        return EXIT_BAD_INPUT
    except (ValueError, GapError, EmulatorError) as error:
        progress(f"error: {error}")
        return EXIT_BAD_INPUT
    signal.signal(signal.SIGTERM, _terminate)
    for name in CREDENTIAL_SOURCES:
        os.environ.pop(name, None)
    os.environ.update(FAKE_CREDENTIALS)
    try:
        return _rehearse_all(settings, envs)
    except (KeyboardInterrupt, Terminated) as stop:
        signum = stop.args[0] if isinstance(stop, Terminated) else signal.SIGINT
        progress(f"rehearsal: stopped by signal {signum}; the emulator and the temporary folders are gone")
        return 128 + signum


def _keep_log(tmp: Path, env_name: str) -> str:
    """The emulator's request log outlives the temporary folder of a failed rehearsal: it shows what
    the emulator was asked and answered (a retried call, an unimplemented one)."""
    log = tmp / "emulator.log"
    if not log.is_file():
        return ""
    kept = Path(tempfile.gettempdir()) / f"payledger-rehearsal-{env_name}-emulator.log"
    shutil.copyfile(log, kept)
    return f"; the emulator's log is {kept}"


def _rehearse_all(settings: Settings, envs: list[Environment]) -> int:
    failed = False
    for env in envs:
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix=f"payledger-rehearsal-{env.name}-") as tmp:
            try:
                reports = rehearse(env, settings, Path(tmp))
            except Failed as error:
                print("\n".join(error.lines), flush=True)
                progress(f"rehearsal {env.name}: failed after {time.monotonic() - started:.0f} s"
                         f"{_keep_log(Path(tmp), env.name)}")
                failed = True
                continue
            except (EmulatorError, UnknownService) as error:
                progress(f"error: {error}")
                return EXIT_BAD_INPUT
        for report in reports:
            print(report.line(), flush=True)
        progress(f"rehearsal {env.name}: passed in {time.monotonic() - started:.0f} s")
    return EXIT_FAILED if failed else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
