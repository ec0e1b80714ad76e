"""Nothing lost, nothing half-done: which folders synth may replace, one transaction across both trees
(also under kill -9 and a full disk), one writer per checkout, a drift check that misses nothing,
ordinary file modes. Everything here runs real processes, real signals and real file systems."""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from crash_support import trees

import cli.write
import main
from output import transaction, tree
from output.tree import read_tree

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "platform.yaml"
CRASH = Path(__file__).with_name("crash_support.py")


def snapshot(folder: Path) -> dict[str, tuple[int, bytes | str]]:
    """Every entry under `folder` with its mode and content (or link target): to prove nothing changed."""
    found: dict[str, tuple[int, bytes | str]] = {}
    for path in sorted(folder.rglob("*")):
        info = path.lstat()
        content = os.readlink(path) if path.is_symlink() else path.read_bytes() if path.is_file() else ""
        found[str(path.relative_to(folder))] = (info.st_mode, content)
    return found


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A checkout of our own: main.py in a temporary folder (the packages come from the installed project),
    so a refusal that failed would cost a copy, and its lock and journal are private to the test."""
    folder = tmp_path / "checkout"
    folder.mkdir()
    shutil.copy(ROOT / "main.py", folder / "main.py")
    shutil.copy(CATALOG, folder / "platform.yaml")
    return folder


@pytest.fixture(scope="module")
def dev_trees(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """gitops_out/ and cdktf.out/ of dev as a real synth writes them, made once: tests copy them in place."""
    folder = tmp_path_factory.mktemp("dev-trees")
    checkout = folder / "checkout"
    checkout.mkdir()
    shutil.copy(ROOT / "main.py", checkout / "main.py")
    assert run(checkout, "synth", "--env", "dev", "--catalog", str(CATALOG), "--out", str(folder / "gitops_out"),
               "--tf-out", str(folder / "cdktf.out")).returncode == 0
    return folder


def place(trees: Path, target: Path) -> None:
    for name in ("gitops_out", "cdktf.out"):
        shutil.copytree(trees / name, target / name, symlinks=True)


def run(checkout: Path, *args: str, **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(checkout / "main.py"), *args], cwd=checkout, capture_output=True,
                          text=True, timeout=120, check=False, **kwargs)


def in_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    """main.main in this process, with the lock and journal in `tmp_path` instead of the real checkout's."""
    monkeypatch.setattr(main, "STATE_DIR", tmp_path / "state")
    return main.main(list(args))


# --- 1. Only our own output is ever replaced ----------------------------------------------------------


@pytest.mark.parametrize(("out", "expected"), [
    (".", "is the checkout or a folder above it"),
    ("..", "is the checkout or a folder above it"),
    ("/", "is the checkout or a folder above it"),
])
def test_the_checkout_and_its_ancestors_are_refused(checkout: Path, out: str, expected: str) -> None:
    (checkout / "work-in-progress.txt").write_text("uncommitted\n")
    before = snapshot(checkout.parent)
    result = run(checkout, "synth", "--only", "kubernetes", "--out", out)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [f"error: --out {out}: {expected}; synth replaces its output folder "
                                          "as a whole"]
    assert snapshot(checkout.parent) == before


def refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
            *args: str) -> str:
    """Run synth in this process; assert exit 2, one line, and nothing under tmp_path touched."""
    before = snapshot(tmp_path)
    capsys.readouterr()
    assert in_process(tmp_path, monkeypatch, "synth", "--catalog", str(CATALOG), *args) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert snapshot(tmp_path) == before
    return line


def test_unsafe_output_folders_are_refused_before_anything_is_touched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "state").mkdir()
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    foreign = tmp_path / "notes"
    foreign.mkdir()
    (foreign / "todo.txt").write_text("mine\n")
    (tmp_path / "README.md").write_text("# readme\n")
    ours = tmp_path / "gitops_out"
    (ours / "prod").mkdir(parents=True)
    (ours / transaction.MARKER).write_bytes(transaction.marker_content("kubernetes"))
    (tmp_path / "link").symlink_to(ours)
    tf = str(tmp_path / "cdktf.out")
    cases = {
        ("--out", str(repo), "--tf-out", tf): "holds a .git repository",
        ("--out", str(tmp_path / "README.md"), "--tf-out", tf): "is not a folder",
        ("--out", str(foreign), "--tf-out", tf): "was not created by synth (no .payledger-output in it)",
        ("--out", str(tmp_path / "x"), "--tf-out", str(ours)): "is the kubernetes output; the terraform output "
                                                               "needs a folder of its own",
        ("--out", str(ours / "prod"), "--tf-out", tf): "is inside the output folder",
        ("--out", str(tmp_path / "link"), "--tf-out", tf): "is a symbolic link",
        ("--out", str(tmp_path / "x"), "--tf-out", str(tmp_path / "x")): "--out and --tf-out name the same folder",
        ("--out", str(tmp_path / "x"), "--tf-out", str(tmp_path / "x" / "tf")): "the two outputs must not nest",
        ("--out", str(tmp_path / "x" / "k8s"), "--tf-out", str(tmp_path / "x")): "the two outputs must not nest",
    }
    for args, expected in cases.items():
        line = refused(tmp_path, monkeypatch, capsys, *args)
        assert line.startswith("error: --") and expected in line, (args, line)


def test_a_new_or_empty_folder_becomes_marked_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "empty").mkdir()
    for out in (tmp_path / "empty", tmp_path / "new" / "gitops_out"):
        assert in_process(tmp_path, monkeypatch, "synth", "--only", "kubernetes", "--env", "dev",
                          "--catalog", str(CATALOG), "--out", str(out)) == 0
        assert (out / transaction.MARKER).read_bytes() == transaction.marker_content("kubernetes")


# --- 2. One transaction across both trees ---------------------------------------------------------------


def state_of(out_dir: Path) -> str:
    """"old" or "new" when both trees are wholly that variant; anything else is a broken transaction."""
    variants = {variant for variant in ("old", "new")
                if all(read_tree(out_dir / name) == {transaction.MARKER: transaction.marker_content(side),
                                                      **files[side]}
                       for side, name, files in ((s, n, trees(variant)) for s, n in
                                                 (("kubernetes", "gitops_out"), ("terraform", "cdktf.out"))))}
    assert len(variants) == 1, "the two trees are not from one transaction"
    return variants.pop()


def crash(state: Path, out: Path, variant: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(CRASH), str(state), str(out), variant, *extra],
                          capture_output=True, text=True, timeout=60, check=False)


def test_kill_9_at_every_step_leaves_both_trees_old_or_both_new(tmp_path: Path) -> None:
    """A real SIGKILL before each rename, replace and unlink the transaction makes (counted, not typed):
    after the next run's recovery, both trees are the old ones or both the new ones, and nothing is left over."""
    counted = tmp_path / "counted"
    assert crash(counted / "state", counted, "old").returncode == 0
    steps = len(crash(counted / "state", counted, "new").stdout.splitlines())
    outcomes = set()
    for step in range(1, steps + 1):
        out = tmp_path / f"kill-{step}"
        assert crash(out / "state", out, "old").returncode == 0
        killed = crash(out / "state", out, "new", "--kill-at", str(step))
        assert killed.returncode == -signal.SIGKILL, killed.stderr
        transaction.recover(out / "state", [out / "gitops_out", out / "cdktf.out"])
        outcomes.add(state_of(out))
        assert sorted(p.name for p in out.iterdir()) == ["cdktf.out", "gitops_out", "state"], f"left over: {step}"
        assert list((out / "state").iterdir()) == [], "the journal outlived its recovery"
    assert outcomes == {"old", "new"}, "the kills fell on both sides of the commit point"


def test_a_killed_synth_is_recovered_by_the_next_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Killed between the two renames of a swap: gitops_out is gone until a reader (check) completes the swap."""
    out = tmp_path / "out"
    assert crash(tmp_path / "state", out, "old").returncode == 0
    counted = tmp_path / "counted"
    assert crash(counted / "state", counted, "old").returncode == 0
    steps = [json.loads(line) for line in crash(counted / "state", counted, "new").stdout.splitlines()]
    swap = next(number for number, (call, *paths) in enumerate(steps, start=1)
                if call == "rename" and ".gitops_out.staging-" in paths[0])
    assert crash(tmp_path / "state", out, "new", "--kill-at", str(swap)).returncode == -signal.SIGKILL
    assert not (out / "gitops_out").exists()
    in_process(tmp_path, monkeypatch, "check", "--catalog", str(CATALOG), "--out", str(out / "gitops_out"))
    assert state_of(out) == "new"


def test_a_real_synth_killed_at_any_moment_is_old_or_new_after_recovery(
    checkout: Path, dev_trees: Path, tmp_path: Path
) -> None:
    """The whole CLI, both sides, SIGKILLed from outside at moments spread over its run; after recovery
    the trees are both what they were or both what the killed run was making."""
    out, tf = tmp_path / "gitops_out", tmp_path / "cdktf.out"
    args = ("synth", "--env", "dev", "--out", str(out), "--tf-out", str(tf))
    (tmp_path / "tmp").mkdir()
    env = {**os.environ, "TMPDIR": str(tmp_path / "tmp")}  # jsii's folder of a killed kernel lands here
    place(dev_trees, tmp_path)
    newer = checkout / "newer.yaml"
    newer.write_text(CATALOG.read_text().replace('image_tag: "1.0.0"', 'image_tag: "1.0.1"')
                     .replace("snapshot_retention_days: 1}", "snapshot_retention_days: 2}"))
    current, other = str(CATALOG), str(newer)
    for delay in (0.3, 0.9, 1.5):
        before = read_tree(out), read_tree(tf)
        process = subprocess.Popen([sys.executable, str(checkout / "main.py"), *args, "--catalog", other],
                                   cwd=checkout, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        transaction.recover(checkout / ".payledger-synth", [out, tf])
        now = read_tree(out), read_tree(tf)
        assert (now[0] == before[0]) == (now[1] == before[1]), f"one tree old, the other new after {delay} s"
        assert not [p for p in tmp_path.iterdir() if ".staging-" in p.name or ".old-" in p.name]
        if now != before:  # killed after the commit point: the next kill interrupts the way back
            current, other = other, current


def test_a_terraform_failure_leaves_the_kubernetes_tree_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, tf = tmp_path / "gitops_out", tmp_path / "cdktf.out"
    shutil.copytree(ROOT / "gitops_out", out)
    (out / "dev" / "stale.yaml").write_text("old\n")
    before = snapshot(tmp_path)

    def failing(*args, **kwargs):
        raise RuntimeError("injected: the Terraform side failed after Kubernetes was staged")

    monkeypatch.setattr(cli.write, "terraform_stacks", failing)
    with pytest.raises(RuntimeError, match="injected"):
        in_process(tmp_path, monkeypatch, "synth", "--catalog", str(CATALOG), "--out", str(out), "--tf-out", str(tf))
    after = snapshot(tmp_path)
    assert {k: v for k, v in after.items() if not k.startswith("state")} == \
           {k: v for k, v in before.items() if not k.startswith("state")}


def test_strays_of_killed_runs_are_cleaned_by_the_next_synth(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "gitops_out"
    for stray in (".gitops_out.staging-abc123", ".gitops_out.old-def456"):
        (tmp_path / stray / "dev").mkdir(parents=True)
    assert in_process(tmp_path, monkeypatch, "synth", "--only", "kubernetes", "--env", "dev",
                      "--catalog", str(CATALOG), "--out", str(out)) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gitops_out", "state"]


DISK_FULL = """
set -e
mount -t tmpfs -o size=8m tmpfs "$MNT"
cp -a "$OLD/gitops_out" "$OLD/cdktf.out" "$MNT/"
avail=$(df -k --output=avail "$MNT" | tail -1)
fallocate -l $(( (avail - 48) * 1024 )) "$MNT/ballast"
set +e
"$PYTHON" "$CHECKOUT/main.py" synth --env dev --catalog "$CATALOG" --out "$MNT/gitops_out" --tf-out "$MNT/cdktf.out"
echo "exit=$?"
rm "$MNT/ballast"
cp -a "$MNT/gitops_out" "$MNT/cdktf.out" "$AFTER/"
ls -a "$MNT" > "$AFTER/listing"
"""


@pytest.mark.skipif(not shutil.which("unshare"), reason="needs unshare(1) for a private tmpfs")
@pytest.mark.parametrize("full_side", ["kubernetes", "terraform"])
def test_a_full_disk_on_either_side_changes_nothing(
    checkout: Path, dev_trees: Path, tmp_path: Path, full_side: str
) -> None:
    """A real 8 MB tmpfs (in a private mount namespace) filled up while the new trees are staged."""
    old = tmp_path / "old"
    place(dev_trees, old)
    text = CATALOG.read_text()
    newer = checkout / "newer.yaml"  # what changes decides which side runs out of space first
    newer.write_text(text.replace('image_tag: "1.0.0"', 'image_tag: "1.0.1"') if full_side == "kubernetes" else
                     text.replace("snapshot_retention_days: 1}", "snapshot_retention_days: 2}"))
    (tmp_path / "mnt").mkdir()
    (tmp_path / "after").mkdir()
    env = {**os.environ, "MNT": str(tmp_path / "mnt"), "OLD": str(old), "AFTER": str(tmp_path / "after"),
           "PYTHON": sys.executable, "CHECKOUT": str(checkout), "CATALOG": str(newer)}
    result = subprocess.run(["unshare", "-rm", "sh", "-c", DISK_FULL], env=env, capture_output=True, text=True,
                            timeout=120, check=False)
    if "mount:" in result.stderr and "exit=" not in result.stdout:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip()}")
    assert "exit=1" in result.stdout, result.stderr
    error = result.stderr.strip().splitlines()[-1]
    assert error.startswith("error: cannot write") and error.endswith(
        "o space left on device; the previous output is unchanged"), error
    for name in ("gitops_out", "cdktf.out"):
        assert read_tree(tmp_path / "after" / name) == read_tree(old / name)
    assert (tmp_path / "after" / "listing").read_text().split() == [".", "..", "cdktf.out", "gitops_out"]


# --- 3. One writer at a time ----------------------------------------------------------------------------

HOLD = """
import sys
from pathlib import Path
sys.argv = ["main.py", "synth", "--env", "prod"]
from output.lock import checkout_lock
with checkout_lock(Path(sys.stdin.readline().strip()), exclusive=True, timeout=1):
    print("held", flush=True)
    sys.stdin.readline()
"""


def test_a_second_synth_waits_for_the_holder_or_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    holder = subprocess.Popen([sys.executable, "-c", HOLD], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    holder.stdin.write(f"{tmp_path / 'state'}\n")
    holder.stdin.flush()
    assert holder.stdout.readline() == "held\n"
    args = ("synth", "--only", "kubernetes", "--env", "dev", "--catalog", str(CATALOG),
            "--out", str(tmp_path / "gitops_out"))
    capsys.readouterr()
    assert in_process(tmp_path, monkeypatch, *args, "--wait", "0.3") == 2
    [line] = capsys.readouterr().err.splitlines()[-1:]
    assert f"held by pid {holder.pid} (main.py synth --env prod) for more than 0.3 s" in line
    assert not (tmp_path / "gitops_out").exists()

    subprocess.Popen(["sh", "-c", f"sleep 0.5; kill -9 {holder.pid}"])  # dies holding it: the kernel releases it
    assert in_process(tmp_path, monkeypatch, *args, "--wait", "30") == 0
    assert f"waiting for pid {holder.pid}" in capsys.readouterr().err
    holder.wait()


def test_two_synths_at_once_both_land(checkout: Path, tmp_path: Path) -> None:
    """`--env dev` and `--env prod` started together on one checkout: neither update is lost."""
    out = tmp_path / "gitops_out"
    assert run(checkout, "synth", "--only", "kubernetes", "--out", str(out)).returncode == 0
    old = read_tree(out)
    newer = checkout / "newer.yaml"
    newer.write_text(CATALOG.read_text().replace('image_tag: "1.0.0"', 'image_tag: "1.0.1"'))
    processes = [subprocess.Popen([sys.executable, str(checkout / "main.py"), "synth", "--only", "kubernetes",
                                   "--env", env, "--catalog", str(newer), "--out", str(out)], cwd=checkout,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                 for env in ("dev", "prod")]
    assert [process.wait(timeout=120) for process in processes] == [0, 0]
    now = read_tree(out)
    for path, content in now.items():
        env = path.split("/")[0]
        if env in ("dev", "prod") and "deployment-" in path and b"1.0.0" in old[path]:  # the services' images
            assert content != old[path] and b"1.0.1" in content, f"lost update: {path}"
        if env == "staging":
            assert content == old[path]


# --- 5. check misses nothing and stays bounded -----------------------------------------------------------


def test_check_sees_links_modes_and_special_files_and_reads_only_what_it_needs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "gitops_out"
    shutil.copytree(ROOT / "gitops_out", out)
    linked = out / "prod/services/billing-service/service-billing-service.yaml"
    (tmp_path / "elsewhere.yaml").write_bytes(linked.read_bytes())
    linked.unlink()
    linked.symlink_to(tmp_path / "elsewhere.yaml")
    executable = out / "dev/services/audit-log-service/service-audit-log-service.yaml"
    executable.chmod(0o755)
    os.mkfifo(out / "staging" / "pipe.yaml")
    big = out / "prod/services/billing-service/deployment-billing-service.yaml"
    with open(big, "r+b") as handle:  # 2 GB, sparse: never to be read
        handle.truncate(2 * 1024**3)
    with open(out / "huge-extra.bin", "wb") as handle:
        handle.truncate(2 * 1024**3)
    opened: list[str] = []
    real_open = open
    monkeypatch.setattr(tree, "open", lambda path, *a, **k: opened.append(str(path)) or real_open(path, *a, **k),
                        raising=False)
    capsys.readouterr()
    assert in_process(tmp_path, monkeypatch, "check", "--catalog", str(CATALOG), "--out", str(out)) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"removed: {out}/huge-extra.bin",
        f"removed: {out}/staging/pipe.yaml (a special file)",
        f"changed: {out}/dev/services/audit-log-service/service-audit-log-service.yaml "
        "(executable, expected mode 0644)",
        f"changed: {out}/prod/services/billing-service/deployment-billing-service.yaml",
        f"changed: {out}/prod/services/billing-service/service-billing-service.yaml (a symbolic link, "
        "expected a regular file)",
    ]
    assert not {str(big), str(out / "huge-extra.bin"), str(out / "staging" / "pipe.yaml")} & set(opened)


def test_check_says_plainly_when_the_folder_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert in_process(tmp_path, monkeypatch, "check", "--catalog", str(CATALOG), "--out", str(tmp_path / "gone")) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert (f"check: {tmp_path / 'gone'} is missing (or not a folder); run `make synth` and commit the result"
            in captured.err.splitlines())


# --- 6. Ordinary modes ----------------------------------------------------------------------------------


def test_output_gets_ordinary_modes_whatever_the_umask(checkout: Path, tmp_path: Path) -> None:
    out, tf = tmp_path / "gitops_out", tmp_path / "cdktf.out"
    result = run(checkout, "synth", "--env", "dev", "--out", str(out), "--tf-out", str(tf),
                 preexec_fn=lambda: os.umask(0o077))
    assert result.returncode == 0, result.stderr
    for root in (out, tf):
        for path in (root, *root.rglob("*")):
            mode = stat.S_IMODE(path.lstat().st_mode)
            assert mode == (0o755 if path.is_dir() else 0o644), f"{path}: {oct(mode)}"
