"""Streaming an event log into cases, replayed on the reactive step table: the real log's facts,
bad rows reported with their row and reason, a case with one skipped whole."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pytest

from bpsm.errors import ValidationError
from bpsm.importing import load_mapping, shipped
from bpsm.importing.mapping import Mapping
from bpsm.importing.reader import BadRow, RawCase, Skipped, read_cases, split_cases
from bpsm.importing.replay import CaseRefused, Plan, Replayer
from tests.real_log import LOG

HEADER = "number,incident_state,reassignment_count,reopen_count,sys_mod_count,sys_updated_at,"
HEADER += "contact_type,category,assignment_group,assigned_to\n"


def _row(n: str, state: str, seq: int, at: str = "1/3/2016 10:00", group: str = "G1") -> str:
    return f"{n},{state},0,0,{seq},{at},Phone,Cat 1,{group},?\n"


def _replayer(mapping: Mapping) -> Replayer:
    return Replayer(
        mapping, by="admin", by_group="service-desk", source="x.csv", staff=frozenset(), services={}
    )


def _plans(text: str, mapping: Mapping) -> tuple[dict[str, Plan], list[BadRow | Skipped]]:
    split = split_cases(io.StringIO(text), mapping, "x.csv")
    plans, other = {}, []
    for got in read_cases(io.StringIO(text), mapping, "x.csv", split):
        if isinstance(got, RawCase):
            plans[got.case_id] = _replayer(mapping).plan(got)
        else:
            other.append(got)
    return plans, other


def _first_time_right(call: dict[str, object]) -> bool:
    """The KPI engine's definition (bpsm.processes.calls.views.first_time_right), on a row."""
    return (
        call["resolved_at_contact"] == 1
        and call["escalation_count"] == 0
        and call["reopen_count"] == 0
    )


@pytest.mark.slow
def test_the_full_real_log_replays_legally_with_the_readme_facts_in_counter_mode() -> None:
    if not LOG.exists():
        pytest.skip("the real log is not beside the repository")
    mapping = load_mapping(shipped("servicenow"))
    with gzip.open(LOG, "rt", encoding=mapping.encoding, newline="") as f:
        split = split_cases(f, mapping, LOG.name)
    replayer, calls = _replayer(mapping), []
    with gzip.open(LOG, "rt", encoding=mapping.encoding, newline="") as f:
        for got in read_cases(f, mapping, LOG.name, split):
            assert isinstance(got, RawCase), got
            calls.append(replayer.plan(got).call)
    assert len(calls) == 24_918
    assert sum(c["state"] == "closed" and c["resolved_at"] is not None for c in calls) == 24_918
    assert sum(_first_time_right(c) for c in calls) == 13_487
    assert sum(c["reopen_count"] > 0 for c in calls) == 275  # type: ignore[operator]


def test_bad_rows_are_reported_and_their_cases_skipped_whole() -> None:
    text = (
        HEADER
        + _row("A", "New", 0)
        + _row("A", "Closed", 1)
        + _row("B", "New", 0)
        + _row("B", "Exploded", 1)  # unknown state: B is skipped
        + _row("C", "New", 0, at="31/2/2016 10:00")  # bad date: C is skipped
        + "D,New,0\n"  # truncated: D is skipped
        + 'D,New,0,0,0,"1/3/2016 10:00"x,Phone,Cat 1,G1,?\n'  # broken quotes: the case read
        + _row("E", "Closed", 1)
        + _row("E", "New", 0)  # sequence orders it first
        + _row("A", "Closed", 2)  # A again after other cases: A is skipped whole
    )
    plans, other = _plans(text, load_mapping(shipped("servicenow")))
    bad = sorted((b.row, b.reason) for b in other if isinstance(b, BadRow))
    assert [r for r, _ in bad] == [2, 5, 6, 7, 8, 11]
    reasons = dict(bad)
    assert "split" in reasons[2] and "unknown state 'Exploded'" in reasons[5]
    assert "31/2/2016" in reasons[6] and "truncated" in reasons[7]
    assert "broken quotes" in reasons[8] and "appears again" in reasons[11]
    assert {s.case_id for s in other if isinstance(s, Skipped)} >= {"A", "B", "C", "D"}
    assert set(plans) == {"E"}
    triggers = [e["trigger"] for e in plans["E"].events]
    assert triggers == ["register", "accept", "resolve", "close"]
    assert [e["data"].get("implied", False) for e in plans["E"].events] == [
        False,
        True,
        True,
        False,
    ]
    assert [e["data"]["row"] for e in plans["E"].events] == [10, 9, 9, 9]
    assert plans["E"].call["channel"] == "phone" and _first_time_right(plans["E"].call)


def test_sequence_mode_counts_escalations_in_progress_and_returns_after_resolution() -> None:
    mapping = load_mapping(shipped("servicenow"))
    mapping = mapping.model_copy(
        update={"facts": mapping.facts.model_copy(update={"mode": "sequence"})}
    )
    text = (
        HEADER
        + _row("A", "New", 0)
        + _row("A", "Active", 1)
        + _row("A", "Active", 2, group="G2")  # a hand-over while in progress: an escalation
        + _row("A", "Resolved", 3, group="G2")
        + _row("A", "Closed", 4, group="G2")  # closed, then worked on: read as resolved
        + _row("A", "Active", 5, group="G2")  # a return to work after resolution: a reopen
        + _row("A", "Closed", 6, group="G2")
    )
    plans, other = _plans(text, mapping)
    assert other == []
    call = plans["A"].call
    assert (call["escalation_count"], call["reopen_count"], call["state"]) == (1, 1, "closed")
    assert not _first_time_right(call)
    triggers = [e["trigger"] for e in plans["A"].events]
    assert triggers == [
        "register",
        "accept",
        "escalate",
        "resolve",
        "reopen",
        "resolve",
        "close",
    ]


def test_a_state_no_step_leads_to_is_refused_with_its_row() -> None:
    mapping = load_mapping(shipped("servicenow")).model_copy(
        update={"closed_then_worked": "refuse"}
    )
    text = HEADER + _row("A", "New", 0) + _row("A", "Closed", 1) + _row("A", "Active", 2)
    (case,) = read_cases(io.StringIO(text), mapping, "x.csv")
    assert isinstance(case, RawCase)
    with pytest.raises(CaseRefused) as err:
        _replayer(mapping).plan(case)
    assert err.value.row == 3 and "close is final" in err.value.reason


#: a generic log naming its steps and contacts (the shape of a bpsm export)
STEPS_HEADER = "case,seq,at,step,group,contact\n"
STEPS_MAPPING = """
name: steps
case_id: case
timestamp: {column: at}
state: step
group: group
order: {by: sequence, column: seq}
states: {open: registered, take: in_progress, wait: waiting_customer, back: in_progress,
         handover: in_progress, call: contact, fix: resolved, done: closed}
facts:
  mode: sequence
  escalation: {by: activity, activities: [handover]}
  contacts: {by: activities, column: contact}
"""


def _steps(tmp_path: Path, rows: list[str]) -> Plan:
    path = tmp_path / "steps.yaml"
    path.write_text(STEPS_MAPPING, encoding="utf-8")
    plans, other = _plans(STEPS_HEADER + "".join(rows), load_mapping(path))
    assert other == []
    return plans["A"]


def test_escalation_by_activity_counts_only_the_named_rows(tmp_path: Path) -> None:
    plan = _steps(
        tmp_path,
        [
            "A,1,2026-03-02T09:00:00+00:00,open,G1,1\n",
            "A,2,2026-03-02T09:01:00+00:00,take,G1,\n",
            "A,3,2026-03-02T09:02:00+00:00,wait,G1,\n",
            "A,4,2026-03-02T09:03:00+00:00,back,G2,\n",  # a regrouping on a resume: no hand-over
            "A,5,2026-03-02T09:04:00+00:00,handover,G3,\n",  # the named hand-over
            "A,6,2026-03-02T09:05:00+00:00,fix,G3,\n",
        ],
    )
    triggers = [e["trigger"] for e in plan.events]
    assert triggers == ["register", "accept", "wait_for_customer", "resume", "escalate", "resolve"]
    assert plan.call["escalation_count"] == 1 and plan.call["group"] == "G3"
    assert plan.events[3]["data"]["group"] == "G2"
    assert (plan.events[4]["data"]["from_group"], plan.events[4]["data"]["to_group"]) == (
        "G2",
        "G3",
    )


def test_contacts_by_a_column_are_the_rows_it_names_and_no_others(tmp_path: Path) -> None:
    plan = _steps(
        tmp_path,
        [
            "A,1,2026-03-02T09:00:00+00:00,open,G1,1\n",
            "A,2,2026-03-02T09:01:00+00:00,take,G1,\n",
            "A,3,2026-03-02T09:02:00+00:00,wait,G1,\n",
            "A,4,2026-03-02T09:03:00+00:00,back,G1,\n",  # no contact named: the reply was none
            "A,5,2026-03-02T09:04:00+00:00,wait,G1,\n",
            "A,6,2026-03-02T09:05:00+00:00,back,G1,2\n",  # the customer's reply
            "A,7,2026-03-02T09:06:00+00:00,call,G1,\n",  # a contact row not named: none
            "A,8,2026-03-02T09:07:00+00:00,call,G1,3\n",
            "A,9,2026-03-02T09:08:00+00:00,fix,G1,\n",
            "A,10,2026-03-02T09:09:00+00:00,done,G1,\n",
        ],
    )
    assert [(c["seq"], c["at"].minute, c["note"]) for c in plan.contacts] == [
        (1, 0, "registered"),
        (2, 5, "customer replied"),
        (3, 7, "call"),
    ]
    call = plan.call
    assert (call["contact_count"], call["resolved_at_contact"]) == (3, 3)
    assert [e["trigger"] for e in plan.events].count("log_contact") == 1
    assert call["updated_at"] == plan.events[-1]["at"]


@pytest.mark.parametrize(
    ("facts", "message"),
    [
        ("{escalation: {by: activity}}", "escalation by activity needs its activities"),
        ("{contacts: {by: no_handovers, column: c}}", "contacts by a column needs by: activities"),
    ],
)
def test_an_incomplete_rule_is_refused(tmp_path: Path, facts: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    text = STEPS_MAPPING.split("facts:")[0] + f"facts: {facts}\n"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValidationError) as err:
        load_mapping(path)
    assert message in str(err.value) and "bad.yaml" in str(err.value)


def test_a_row_that_is_no_step_leaves_updated_at_at_the_last_step() -> None:
    plans, _ = _plans(
        HEADER
        + _row("A", "New", 0, at="29/2/2016 15:42")
        + _row("A", "Resolved", 1, at="29/2/2016 15:43")
        + _row("A", "Closed", 2, at="29/2/2016 15:44")
        + _row("A", "Closed", 3, at="9/3/2016 16:27"),  # a later update that changes nothing
        load_mapping(shipped("servicenow")),
    )
    call = plans["A"].call
    assert call["updated_at"] == call["closed_at"] == plans["A"].events[-1]["at"]
