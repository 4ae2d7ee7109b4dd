"""Streaming an event log into cases: the real log's facts, and bad rows reported."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pytest

from bpsm.importing import load_mapping, shipped
from bpsm.importing.reader import BadRow, Case, read_cases

ROOT = Path(__file__).resolve().parents[1]
LOG = ROOT.parent / "shared" / "data" / "incident_event_log.csv.gz"

HEADER = "number,incident_state,reassignment_count,reopen_count,sys_mod_count,sys_updated_at,"
HEADER += "contact_type,category,assignment_group,assigned_to\n"


def _row(n: str, state: str, seq: int, at: str = "1/3/2016 10:00", group: str = "G1") -> str:
    return f"{n},{state},0,0,{seq},{at},Phone,Cat 1,{group},?\n"


@pytest.mark.slow
def test_the_full_real_log_gives_the_readme_facts_in_counter_mode() -> None:
    if not LOG.exists():
        pytest.skip("the real log is not beside the repository")
    mapping = load_mapping(shipped("servicenow"))
    with gzip.open(LOG, "rt", encoding=mapping.encoding, newline="") as f:
        cases = [c for c in read_cases(f, mapping, LOG.name)]
    assert not [c for c in cases if isinstance(c, BadRow)]
    calls = [c for c in cases if isinstance(c, Case)]
    assert len(calls) == 24_918
    assert sum(c.first_time_right for c in calls) == 13_487
    assert sum(c.reopen_count > 0 for c in calls) == 275


def test_bad_rows_are_reported_and_their_cases_skipped_whole() -> None:
    text = (
        HEADER
        + _row("A", "New", 0)
        + _row("A", "Closed", 1)
        + _row("B", "New", 0)
        + _row("B", "Exploded", 1)  # unknown state: B is skipped
        + _row("C", "New", 0, at="31/2/2016 10:00")  # bad date: C is skipped
        + "D,New,0\n"  # truncated
        + _row("E", "Closed", 1)
        + _row("E", "New", 0)  # sequence orders it first
        + _row("A", "Closed", 2)  # A again after other cases
    )
    out = list(read_cases(io.StringIO(text), load_mapping(shipped("servicenow")), "x.csv"))
    bad = sorted((b.row, b.reason) for b in out if isinstance(b, BadRow))
    assert [r for r, _ in bad] == [5, 6, 7, 10]
    assert "unknown state 'Exploded'" in bad[0][1] and "31/2/2016" in bad[1][1]
    assert "truncated" in bad[2][1] and "appears again" in bad[3][1]
    good = {c.case_id: c for c in out if isinstance(c, Case)}
    assert set(good) == {"A", "E"}
    assert [e.state for e in good["E"].events] == ["registered", "closed"]
    assert good["A"].channel == "phone" and good["A"].first_time_right


def test_sequence_mode_counts_group_changes_and_returns_after_resolution() -> None:
    mapping = load_mapping(shipped("servicenow"))
    mapping = mapping.model_copy(
        update={"facts": mapping.facts.model_copy(update={"mode": "sequence"})}
    )
    text = (
        HEADER
        + _row("A", "New", 0)
        + _row("A", "Active", 1, group="G2")
        + _row("A", "Resolved", 2, group="G2")
        + _row("A", "Active", 3, group="G2")
        + _row("A", "Closed", 4, group="G2")
    )
    (case,) = read_cases(io.StringIO(text), mapping, "x.csv")
    assert isinstance(case, Case)
    assert (case.escalation_count, case.reopen_count, case.first_time_right) == (1, 1, False)
