"""Benchmark: median wall time and peak memory of the whole process tree, per command.

    python bench/benchmark.py [--runs 5] [--only NAME ...] [--scaling 11,110,550] [--no-warmup]
    python bench/benchmark.py --only rehearse [--rehearse-env dev|staging|prod|all]

Each command runs `--runs` times in a fresh process (after one unmeasured warm-up run, so
caches such as jsii's package cache and the fast provider's repacked tarball exist, as on a
developer's machine after the first synth). Memory is the peak, over the run, of the summed
RSS of the command's process and all its descendants (Python, the jsii Node.js kernel and its
child), sampled from /proc every 10 ms. Summed RSS counts shared pages once per process, so it
overstates a little; it is the figure the targets are stated in.

Measured:
  reference      python -c "import cdktf_cdktf_provider_aws"  (same venv, no fast path)
  synth          python main.py synth            (Terraform + Kubernetes, all environments)
  synth-tf       python main.py synth --only terraform
  synth-k8s      python main.py synth --only kubernetes
  check          python main.py check            (against the committed gitops_out/)
  diff-env       python main.py diff --env <first environment>   (against HEAD; both sides)
  scaling        per N in --scaling: generated catalog of N services (bench/gen_catalog.py),
                 `main.py synth --only kubernetes --catalog <file> --out <tmp>` beside
                 `kubectl kustomize` over the same output (one kustomization.yaml per
                 environment folder listing its files; the three runs in sequence;
                 --kustomize-runs times, default 1: at 550 services it takes minutes)
  synth-slow     (opt-in) main.py synth with PAYLEDGER_FAST_PROVIDER=0
  rehearse       (opt-in) `python -m rehearsal --env E` once (it takes minutes): wall time and peak
                 memory of the whole tree (Terraform, the provider, the emulator), and the seconds
                 per stack from the rehearsal's own summary lines

All output goes to a temporary folder; the working tree is only read. Runs by hand
(`make bench`) or in CI's benchmark job, never as a test.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import gen_catalog  # noqa: E402  (sibling script)

PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
SAMPLE_S = 0.01
DEFAULT = ("reference", "synth", "synth-tf", "synth-k8s", "check", "diff-env", "scaling")


# --------------------------------------------------------------------------- measuring


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                kids.extend(int(k) for k in handle.read().split())
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return kids


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as handle:
            return int(handle.read().split()[1]) * PAGE_KB
    except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
        return 0


def tree_rss_kb(root: int) -> int:
    """Summed RSS of `root` and all its descendants right now."""
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += _rss_kb(pid)
        stack.extend(_children(pid))
    return total


@dataclass
class Run:
    seconds: float
    peak_kb: int
    returncode: int
    stdout: str = ""


def run_once(argv: list[str], env: dict[str, str], capture: bool = False) -> Run:
    """`capture` keeps the command's stdout (the rehearsal's summary lines); otherwise it is discarded."""
    peak = 0
    started = time.perf_counter()
    process = subprocess.Popen(
        argv, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE if capture else subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    chunks: dict[str, list[bytes]] = {"stdout": [], "stderr": []}
    streams = ("stderr", "stdout") if capture else ("stderr",)
    readers = [threading.Thread(target=lambda name=name: chunks[name].append(getattr(process, name).read()),
                                daemon=True) for name in streams]
    for reader in readers:
        reader.start()
    while process.poll() is None:
        peak = max(peak, tree_rss_kb(process.pid))
        time.sleep(SAMPLE_S)
    seconds = time.perf_counter() - started
    for reader in readers:
        reader.join()
    if process.returncode != 0:
        tail = b"".join(chunks["stderr"]).decode(errors="replace").strip().splitlines()[-3:]
        print(f"    ! exit {process.returncode}: {' | '.join(tail)}", file=sys.stderr)
    return Run(seconds, peak, process.returncode, b"".join(chunks["stdout"]).decode(errors="replace"))


@dataclass
class Result:
    name: str
    command: str
    runs: list[Run] = field(default_factory=list)

    @property
    def median_s(self) -> float:
        return statistics.median(r.seconds for r in self.runs)

    @property
    def peak_mb(self) -> float:
        return max(r.peak_kb for r in self.runs) / 1024

    @property
    def median_peak_mb(self) -> float:
        return statistics.median(r.peak_kb for r in self.runs) / 1024

    def row(self) -> str:
        codes = sorted({r.returncode for r in self.runs})
        status = "ok" if codes == [0] else f"exit {','.join(map(str, codes))}"
        return (
            f"| {self.name} | {self.median_s:6.2f} s | {min(r.seconds for r in self.runs):6.2f} s "
            f"| {self.median_peak_mb:7.0f} MB | {self.peak_mb:7.0f} MB | {len(self.runs)} | {status} |"
        )


def measure(name: str, argv: list[str], runs: int, warmup: bool, env: dict[str, str] | None = None) -> Result:
    env = {**BASE_ENV, **(env or {})}
    shown = " ".join(a if " " not in a else repr(a) for a in argv).replace(sys.executable, "python")
    print(f"  {name}: {shown}", file=sys.stderr, flush=True)
    if warmup:
        run_once(argv, env)
    result = Result(name, shown)
    for _ in range(runs):
        result.runs.append(run_once(argv, env))
    print(f"    median {result.median_s:.2f} s, peak {result.peak_mb:.0f} MB", file=sys.stderr, flush=True)
    return result


BASE_ENV = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
BASE_ENV.pop("PAYLEDGER_FAST_PROVIDER", None)


# --------------------------------------------------------------------------- scenarios


def write_kustomizations(out: Path) -> list[Path]:
    """One kustomization.yaml per environment folder, listing every manifest in it."""
    folders = []
    for env_dir in sorted(p for p in out.iterdir() if p.is_dir()):
        files = sorted(
            str(p.relative_to(env_dir))
            for p in env_dir.rglob("*")
            if p.suffix in (".yaml", ".yml") and p.name != "kustomization.yaml"
        )
        lines = ["apiVersion: kustomize.config.k8s.io/v1beta1", "kind: Kustomization", "resources:"]
        (env_dir / "kustomization.yaml").write_text("\n".join(lines + [f"- {f}" for f in files]) + "\n")
        folders.append(env_dir)
    return folders


def scaling(counts: list[int], runs: int, warmup: bool, tmp: Path, kustomize_runs: int) -> list[Result]:
    results = []
    kubectl = shutil.which("kubectl")
    for count in counts:
        catalog = gen_catalog.write(count, tmp / f"catalog-{count}.yaml")
        out = tmp / f"gitops-{count}"
        synth = [sys.executable, "main.py", "synth", "--only", "kubernetes", "--catalog", str(catalog)]
        results.append(measure(f"k8s synth, {count} services", [*synth, "--out", str(out)], runs, warmup))
        if not out.is_dir():
            print("    synth wrote nothing: skipping the kustomize comparison", file=sys.stderr)
            continue
        if kubectl is None or kustomize_runs < 1:
            print("    kustomize comparison skipped (no kubectl, or --kustomize-runs 0)", file=sys.stderr)
            continue
        folders = write_kustomizations(out)
        script = " && ".join(f"{kubectl} kustomize {f} > /dev/null" for f in folders)
        label = f"kubectl kustomize, {count} services ({len(folders)} env folders)"
        # kustomize has no cache to warm, and it grows superlinearly (minutes at 550 services)
        results.append(measure(label, ["sh", "-c", script], kustomize_runs, warmup=False))
    return results


def rehearse(env_name: str) -> Result:
    """One rehearsal; its summary lines give the seconds per stack (Terraform's time for that stack)."""
    from rehearsal.summary import parse

    argv = [sys.executable, "-m", "rehearsal", "--env", env_name]
    print(f"  rehearse: python -m rehearsal --env {env_name} (minutes)", file=sys.stderr, flush=True)
    run = run_once(argv, BASE_ENV, capture=True)
    result = Result(f"rehearse {env_name}", f"python -m rehearsal --env {env_name}", [run])
    print("\n| stack | seconds | applied of planned | emulator gaps | re-plan changes | destroyed |")
    print("|---|---|---|---|---|---|")
    for report in filter(None, map(parse, run.stdout.splitlines())):
        print(f"| {report.stack} | {report.seconds:.0f} s | {report.applied} of {report.planned} | {report.gaps} "
              f"| {report.replan_changes} | {'yes' if report.destroyed else 'no'} |")
    print()
    for line in run.stdout.splitlines():  # a failed environment's problems: one line each, not a figure
        if line.strip() and parse(line) is None:
            print(f"    ! {line}", file=sys.stderr)
    return result


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="measured runs per command (default 5)")
    parser.add_argument("--only", nargs="+", choices=[*DEFAULT, "synth-slow", "rehearse"], help="subset to measure")
    parser.add_argument("--rehearse-env", default="dev", help="environment for `rehearse` (default dev; or all)")
    parser.add_argument("--scaling", default="11,110,550", help="service counts (default 11,110,550)")
    parser.add_argument("--no-warmup", action="store_true", help="skip the unmeasured first run")
    parser.add_argument(
        "--kustomize-runs", type=int, default=1, help="runs of each kubectl kustomize comparison (default 1)"
    )
    return parser


def _measure_all(args: argparse.Namespace, tmp: Path) -> list[Result]:
    selected = args.only or list(DEFAULT)
    warmup = not args.no_warmup
    py = sys.executable
    outs = ["--out", str(tmp / "gitops_out"), "--tf-out", str(tmp / "cdktf.out"), "--docs-out", str(tmp / "docs")]
    commands = {
        "reference": [py, "-c", "import cdktf_cdktf_provider_aws"],
        "synth": [py, "main.py", "synth", *outs],
        "synth-tf": [py, "main.py", "synth", "--only", "terraform", *outs],
        "synth-k8s": [py, "main.py", "synth", "--only", "kubernetes", *outs],
        "check": [py, "main.py", "check"],
        "diff-env": [py, "main.py", "diff", "--env", _first_environment()],
    }
    results = [measure(name, commands[name], args.runs, warmup) for name in commands if name in selected]
    if "synth-slow" in selected:
        results.append(measure("synth-slow", commands["synth"], args.runs, warmup, {"PAYLEDGER_FAST_PROVIDER": "0"}))
    if "scaling" in selected:
        counts = [int(c) for c in args.scaling.split(",") if c]
        results.extend(scaling(counts, args.runs, warmup, tmp, args.kustomize_runs))
    if "rehearse" in selected:
        results.append(rehearse(args.rehearse_env))
    return results


def _first_environment() -> str:
    sys.path.insert(0, str(ROOT))
    from catalog import load_catalog

    return next(iter(load_catalog(ROOT / "platform.yaml").environments))


def _report(results: list[Result]) -> None:
    print("| command | median wall | min wall | median peak RSS (tree) | max peak RSS (tree) | runs | status |")
    print("|---|---|---|---|---|---|---|")
    for result in results:
        print(result.row())
    by_name = {r.name: r for r in results}
    if "reference" in by_name and "synth" in by_name:
        ratio = by_name["synth"].median_s / by_name["reference"].median_s
        print(f"\nsynth / reference import: {ratio:.2f} (target <= 0.15)")
    for base in ("synth", "synth-k8s"):
        if "check" in by_name and base in by_name:
            print(f"check - {base}: {by_name['check'].median_s - by_name[base].median_s:+.2f} s (target <= +0.5 s)")
    if "check" in by_name and "diff-env" in by_name:
        print(f"diff of one environment / check: {by_name['diff-env'].median_s / by_name['check'].median_s:.1f}")
    print("\ncommands:")
    for result in results:
        print(f"- {result.name}: `{result.command}`")


def main() -> int:
    args = _parser().parse_args()
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    print(
        f"# {platform.node()}: {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}, "
        f"Python {platform.python_version()}, node {node}",
        file=sys.stderr,
    )
    with tempfile.TemporaryDirectory(prefix="payledger-bench-") as tmp_name:
        results = _measure_all(args, Path(tmp_name))
    _report(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
