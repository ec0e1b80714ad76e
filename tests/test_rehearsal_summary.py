"""rehearsal.summary: the one line per stack, which the benchmark reads back."""

from __future__ import annotations

from rehearsal.summary import StackReport, parse


def test_the_line_says_applied_of_planned_gaps_replan_and_teardown() -> None:
    report = StackReport("payledger-dev", planned=169, applied=154, gaps=15, destroyed=True, seconds=329.4)
    assert report.line() == ("payledger-dev: applied 154 of 169, emulator gaps 15, re-plan changes 0, "
                             "destroyed in 329 s")


def test_a_stack_not_torn_down_says_so() -> None:
    assert StackReport("payledger-dev-state", 11, 11).line().endswith("not destroyed in 0 s")


def test_parse_reads_the_line_back() -> None:
    report = StackReport("payledger-prod", planned=181, applied=160, gaps=21, destroyed=True, seconds=400)
    assert parse(report.line()) == report
    assert parse("payledger-prod: applying 160 of 181 resources") is None
