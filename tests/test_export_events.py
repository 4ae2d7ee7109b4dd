"""``export_events``: the desk's reactive history as an event-log CSV that the shipped ``bpsm``
mapping reads back (reader and replayer) to the same cases, state paths and call facts."""

from __future__ import annotations

import csv
import gzip
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from bpsm import Desk
from bpsm.demo import seed_demo
from bpsm.errors import ValidationError
from bpsm.importing import import_file, load_mapping, shipped
from bpsm.importing.export import COLUMNS, PAGE, case_number, export_events
from bpsm.importing.mapping import CASE_FACTS, Mapping
from bpsm.importing.reader import BadRow, RawCase, Skipped, read_cases, split_cases
from bpsm.importing.replay import CaseRefused, Plan, Replayer
from bpsm.processes.calls.steps import REACTIVE
from bpsm.store.tables import AuditEventRow, CallRow, ServiceRow

SERVICE = "laptop"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

#: the steps the mapping leaves out (no state, no contact: their effect is a case fact)
IGNORED = {"set_service", "flag_self_service", "unflag_self_service", "log_effort"}
#: the call's columns the replay must give back as the desk has them
FACTS = (
    "state",
    "caller",
    "channel",
    "summary",
    "service_id",
    "service_version",
    "registered_by",
    "group",
    "registered_at",
    "resolved_at",
    "closed_at",
    "responded_at",
    "contact_count",
    "resolved_at_contact",
    "escalation_count",
    "reopen_count",
    "waiting_for",
    *CASE_FACTS,
)


def _mapping() -> Mapping:
    return load_mapping(shipped("bpsm"))


def _replayer(desk: Desk, mapping: Mapping) -> Replayer:
    with desk.transaction() as s:
        services = {i: v for i, v in s.execute(select(ServiceRow.id, ServiceRow.current_version))}
    return Replayer(
        mapping,
        by="admin",
        by_group="service-desk",
        source=mapping.name,
        staff=frozenset(p.id for p in desk.config.staff),
        services=services,
    )


def _read_back(desk: Desk, text: str) -> tuple[dict[str, Plan], list[BadRow | Skipped]]:
    mapping = _mapping()
    replayer = _replayer(desk, mapping)
    split = split_cases(io.StringIO(text), mapping, "events.csv")
    plans, other = {}, []
    for got in read_cases(io.StringIO(text), mapping, "events.csv", split):
        if isinstance(got, RawCase):
            plans[got.case_id] = replayer.plan(got)
        else:
            other.append(got)
    return plans, other


def _desk_history(desk: Desk) -> dict[str, tuple[dict[str, Any], list[tuple[str, str | None]]]]:
    """Each call's facts and its (step, state after) path, the ignored steps left out."""
    out = {}
    with desk.transaction() as s:
        for call in s.scalars(select(CallRow).order_by(CallRow.id)):
            path = [
                (e.trigger, e.to_state)
                for e in s.scalars(
                    select(AuditEventRow)
                    .where(
                        AuditEventRow.record_type == "call",
                        AuditEventRow.record_id == str(call.id),
                    )
                    .order_by(AuditEventRow.id)
                )
                if e.trigger not in IGNORED
            ]
            out[case_number(call.id)] = ({f: getattr(call, f) for f in FACTS}, path)
    return out


def _plan_path(plan: Plan) -> list[tuple[str, str | None]]:
    """The replayed path: implied steps merged into the step the row names (make_exception is
    written as make_exception, the mapping's steps:)."""
    path = []
    for e in plan.events:
        if e["data"].get("implied"):
            continue
        path.append((e["trigger"], e["to_state"]))
    return path


def _desk_path(path: list[tuple[str, str | None]]) -> list[tuple[str, str | None]]:
    return list(path)


@pytest.fixture
def demo(desk: Desk) -> Desk:
    with freeze_time(NOW):
        seed_demo(desk)
    return desk


def test_the_demo_desk_reads_back_to_the_same_cases_paths_and_facts(demo: Desk) -> None:
    out = io.StringIO()
    written = export_events(demo, out)
    text = out.getvalue()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert written == len(rows) > 0
    assert tuple(rows[0]) == COLUMNS
    history = _desk_history(demo)
    plans, other = _read_back(demo, text)

    assert other == []
    assert set(plans) == set(history)
    for case, plan in plans.items():
        facts, path = history[case]
        assert _plan_path(plan) == _desk_path(path), case
        got = {f: plan.call.get(f) for f in FACTS}
        assert got == facts, case
        assert len(plan.contacts) == facts["contact_count"], case
    # what the paths hold, so the comparison above is not vacuous
    steps = {t for _, path in history.values() for t, _ in path}
    assert {"escalate", "reopen", "resume", "close", "make_exception", "refer"} <= steps


def test_contacts_waits_and_regrouping_read_back(desk: Desk) -> None:
    with freeze_time(NOW) as clock:
        c = desk.calls.register(
            caller="Kim", channel="phone", summary="printer", service=SERVICE, by="anna"
        )
        desk.calls.accept(c.id, by="anna")
        clock.tick(timedelta(minutes=5))
        desk.calls.log_contact(c.id, channel="email", note="sent a photo", by="anna")
        clock.tick(timedelta(minutes=5))
        desk.calls.wait(c.id, for_="customer", reason="model number?", by="anna")
        clock.tick(timedelta(hours=1))
        desk.calls.resume(c.id, note="got it", by="anna")
        desk.calls.escalate(c.id, to_group="second-line-it", reason="hardware", by="anna")
        clock.tick(timedelta(hours=2))
        desk.calls.resolve(c.id, solution="new fuser", by="ben")
    out = io.StringIO()
    export_events(desk, out)
    plans, other = _read_back(desk, out.getvalue())
    assert other == []
    call = plans[case_number(c.id)].call
    assert (call["contact_count"], call["resolved_at_contact"]) == (3, 3)
    assert (call["escalation_count"], call["group"], call["state"]) == (
        1,
        "second-line-it",
        "resolved",
    )


def test_pages_and_the_registration_window(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bpsm.importing.export.PAGE", 2)
    with freeze_time(NOW) as clock:
        ids = []
        for i in range(5):
            ids.append(
                desk.calls.register(caller=f"c{i}", channel="phone", summary="x", by="anna").id
            )
            clock.tick(timedelta(hours=1))
    out = io.StringIO()
    assert export_events(desk, out) == 5
    assert [r["case_id"] for r in csv.DictReader(io.StringIO(out.getvalue()))] == [
        case_number(i) for i in ids
    ]
    out = io.StringIO()
    window = dict(since=NOW + timedelta(hours=1), until=NOW + timedelta(hours=3))
    assert export_events(desk, out, **window) == 2
    got = [r["case_id"] for r in csv.DictReader(io.StringIO(out.getvalue()))]
    assert got == [case_number(ids[1]), case_number(ids[2])]
    assert PAGE != 2  # the module's own page size is untouched outside the test


def test_a_bound_without_a_zone_or_an_unwritable_file_is_one_problem(
    desk: Desk, tmp_path: Any
) -> None:
    with pytest.raises(ValidationError, match="has no time zone"):
        export_events(desk, io.StringIO(), since=datetime(2026, 1, 1))
    with pytest.raises(ValidationError, match="cannot write the file"):
        export_events(desk, tmp_path / "no" / "such" / "dir.csv")


def test_every_step_of_the_reactive_process_is_mapped() -> None:
    assert {s.trigger for s in REACTIVE.table} <= set(_mapping().states)


def test_a_failed_export_leaves_no_file(
    desk: Desk, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    with freeze_time(NOW):
        desk.calls.register(caller="Kim", channel="phone", summary="x", by="anna")
    target = tmp_path / "out" / "events.csv"
    target.parent.mkdir()
    target.write_text("an older export\n", encoding="utf-8")

    def broken(*args: Any) -> Any:
        raise RuntimeError("the database went away")

    monkeypatch.setattr("bpsm.importing.export._rows", broken)
    with pytest.raises(RuntimeError):
        export_events(desk, target)
    assert target.read_text(encoding="utf-8") == "an older export\n"
    assert sorted(p.name for p in target.parent.iterdir()) == ["events.csv"]


def _one_case(**facts: str) -> str:
    """A two-row case in the export's format, with ``facts`` on its rows."""
    cols = list(COLUMNS)
    rows = []
    for seq, activity in ((1, "register"), (2, "accept")):
        values = dict.fromkeys(cols, "")
        values.update(
            case_id="C-000001",
            seq=str(seq),
            timestamp="2026-03-02T09:00:00+00:00",
            activity=activity,
            group="service-desk",
            person="anna",
            channel="phone",
            caller="Kim",
            summary="x",
            **facts,
        )
        rows.append(values)
    out = io.StringIO()
    w = csv.DictWriter(out, cols, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return out.getvalue()


@pytest.mark.parametrize(
    ("facts", "reason"),
    [
        ({"effort_score": "8"}, "effort_score '8' is not a whole number 1–7"),
        ({"satisfaction": "good"}, "satisfaction 'good' is not a whole number 1–5"),
        ({"is_exception": "maybe"}, "is_exception 'maybe' is not true or false"),
        ({"survey": "later"}, "survey 'later' is not one of pending, sent, answered"),
    ],
)
def test_a_bad_case_fact_refuses_the_case_naming_its_row(
    desk: Desk, facts: dict[str, str], reason: str
) -> None:
    mapping = _mapping()
    (case,) = read_cases(io.StringIO(_one_case(**facts)), mapping, "events.csv")
    assert isinstance(case, RawCase)
    with pytest.raises(CaseRefused) as err:
        _replayer(desk, mapping).plan(case)
    assert (err.value.row, err.value.reason[: len(reason)]) == (2, reason)


def test_service_ids_the_desk_has_are_kept_others_are_no_service(desk: Desk) -> None:
    mapping = _mapping()
    for given, kept in ((SERVICE, SERVICE), ("no-such-service", None)):
        (case,) = read_cases(io.StringIO(_one_case(service=given)), mapping, "events.csv")
        assert isinstance(case, RawCase)
        call = _replayer(desk, mapping).plan(case).call
        assert call["service_id"] == kept
        assert (call["service_version"] is None) == (kept is None)


def test_a_group_taken_on_on_another_step_is_the_group_of_the_rows_after_it(
    desk: Desk, tmp_path: Any
) -> None:
    """INC0002437 of the real ServiceNow log goes back to its first group as it resumes after a
    wait (the import records that on the resume: no escalation), then is escalated five times
    between two groups: every exported escalation is a change of group, and the rows follow
    the group the audit trail gives."""
    from tests.real_log import LOG

    if not LOG.exists():
        pytest.skip(f"the real log is not here ({LOG.name})")
    with gzip.open(LOG, "rt", encoding="utf-8", newline="") as f:
        lines = [line for n, line in enumerate(f) if n == 0 or line.startswith("INC0002437,")]
    source = tmp_path / "inc.csv"
    source.write_text("".join(lines), encoding="utf-8")
    result = import_file(desk, source, load_mapping(shipped("servicenow")), by="admin")
    assert result.cases_imported == 1
    out = tmp_path / "events.csv"
    export_events(desk, out)
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    resumed = [r for r in rows if r["activity"] == "resume"]
    assert [r["group"] for r in resumed] == ["Group 20"]
    escalations = [
        (rows[i - 1]["group"], r["group"])
        for i, r in enumerate(rows)
        if r["activity"] == "escalate"
    ]
    assert len(escalations) == 6 and all(before != after for before, after in escalations)
    [call] = desk.calls.queue(states=None).items
    assert rows[-1]["group"] == call.group


def test_each_row_names_the_contact_it_made_and_every_row_the_call_counters(desk: Desk) -> None:
    """The registration is contact 1, a logged contact its own, the customer's reply on a resume
    from waiting for them the next: the mapping reads back these contacts and no others."""
    d = desk.calls
    with freeze_time(NOW) as clock:
        c = d.register(caller="Kim", channel="phone", summary="s", service=SERVICE, by="anna")
        d.accept(c.id, by="anna")
        d.log_contact(c.id, channel="email", note="again", by="anna")
        d.wait(c.id, for_="customer", reason="details", by="anna")
        clock.tick(timedelta(minutes=5))
        d.resume(c.id, note="back", by="anna")
        d.escalate(c.id, to_group="second-line-it", reason="second line", by="anna")
        d.wait(c.id, for_="supplier", reason="parts", by="anna")
        d.resume(c.id, note="parts in", by="anna")  # the supplier: no contact
        d.resolve(c.id, solution="fixed", by="anna")
    out = io.StringIO()
    export_events(desk, out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [(r["activity"], r["contact"]) for r in rows] == [
        ("register", "1"),
        ("accept", ""),
        ("log_contact", "2"),
        ("wait_for_customer", ""),
        ("resume", "3"),
        ("escalate", ""),
        ("wait_for_supplier", ""),
        ("resume", ""),
        ("resolve", ""),
    ]
    assert {(r["escalation_count"], r["reopen_count"]) for r in rows} == {("1", "0")}
    plans, other = _read_back(desk, out.getvalue())
    assert other == []
    call = plans[case_number(c.id)].call
    assert (call["contact_count"], call["resolved_at_contact"], call["escalation_count"]) == (
        3,
        3,
        1,
    )


def test_an_exception_reads_back_as_the_step_make_exception(desk: Desk) -> None:
    with freeze_time(NOW):
        c = desk.calls.register(caller="Kim", channel="phone", summary="iPad", by="anna")
        desk.calls.make_exception(c.id, reason="one-off", by="anna")
    out = io.StringIO()
    export_events(desk, out)
    plans, other = _read_back(desk, out.getvalue())
    assert other == []
    plan = plans[case_number(c.id)]
    assert [e["trigger"] for e in plan.events] == ["register", "make_exception"]
    assert (plan.call["is_exception"], plan.call["exception_reason"]) == (True, "one-off")
