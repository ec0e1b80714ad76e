"""rehearsal.gaps: the emulator's known gaps, one per line, refused loudly when malformed."""

from __future__ import annotations

from pathlib import Path

import pytest

from rehearsal.gaps import EFFECTS, GAPS_FILE, GapError, load_gaps

ROOT = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "gaps.yaml"
    path.write_text("# header\n" + "\n".join(lines) + "\n")
    return path


def test_the_committed_file_parses_and_every_line_has_reason_and_version() -> None:
    gaps = load_gaps(GAPS_FILE)
    assert gaps.entries
    assert {gap.effect for gap in gaps.entries} <= set(EFFECTS)
    assert all(gap.reason and gap.emulator.startswith("moto ") for gap in gaps.entries)


def test_the_committed_file_records_the_pinned_emulator() -> None:
    pins = [line.split("==")[1].strip() for line in (ROOT / "requirements-rehearsal.txt").read_text().splitlines()
            if line.startswith("moto")]
    assert load_gaps().emulators() == {f"moto {pin}" for pin in pins}


def test_entries_keep_type_attribute_and_line(tmp_path: Path) -> None:
    gaps = load_gaps(write(
        tmp_path,
        '- {what: aws_eks_addon, effect: unsupported, emulator: moto 5.2.5, reason: "no add-on API"}',
        "- {what: aws_eks_cluster.vpc_config.cluster_security_group_id, effect: unset, emulator: moto 1, reason: r}",
    ))
    addon, group = gaps.entries
    assert (addon.resource_type, addon.attribute, addon.line, addon.what) == ("aws_eks_addon", None, 2, "aws_eks_addon")
    assert (group.resource_type, group.attribute, group.line) == ("aws_eks_cluster",
                                                                  "vpc_config.cluster_security_group_id", 3)
    assert gaps.of("unset") == [group]


@pytest.mark.parametrize(("line", "message"), [
    ("- {what: aws_eks_addon, effect: gone, emulator: moto 1, reason: r}", "effect 'gone': expected one of"),
    ("- {what: aws_eks_addon, effect: unsupported, reason: r}", "expected a mapping with exactly what, effect"),
    ("- {what: aws_kms_key.policy, effect: unsupported, emulator: moto 1, reason: r}", "names a resource type"),
    ("- {what: aws_kms_key, effect: read-back, emulator: moto 1, reason: r}", "names type.attribute"),
    ("- {what: aws_kms_key.policy, effect: read-back, emulator: moto 1, reason: ''}", "must be non-empty strings"),
    ("- aws_eks_addon", "expected a mapping"),
])
def test_malformed_lines_are_named_with_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    path = write(tmp_path, line)
    with pytest.raises(GapError, match=message) as error:
        load_gaps(path)
    assert str(error.value).startswith(f"{path}:2: ")


def test_every_problem_is_listed_and_duplicates_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path,
                 "- {what: aws_eks_addon, effect: unsupported, emulator: moto 1, reason: r}",
                 "- {what: aws_eks_addon, effect: unsupported, emulator: moto 1, reason: again}",
                 "- {what: x, effect: nope, emulator: moto 1, reason: r}")
    with pytest.raises(GapError) as error:
        load_gaps(path)
    assert str(error.value).splitlines() == [
        f"{path}:3: aws_eks_addon is listed twice (first on line 2)",
        f"{path}:4: effect 'nope': expected one of unsupported, unset, read-back",
    ]


def test_a_file_that_is_no_list_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "gaps.yaml"
    path.write_text("what: aws_eks_addon\n")
    with pytest.raises(GapError, match="expected a list of gaps"):
        load_gaps(path)
