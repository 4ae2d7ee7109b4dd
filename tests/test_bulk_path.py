"""The bulk path (``desk.bulk``): the same rows, trail and KPIs as the one-action API, all or
nothing per batch, historical times kept and never going back."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select, text

from bpsm import Desk
from bpsm import bulk as bulk_module
from bpsm.errors import (
    GuardFailed,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from bpsm.store.tables import AuditEventRow, CallRow
from bpsm.store.tables.kpi import KpiDirtyRow
from tests.bulk_scenarios import NOW, START, Op, bulk_path, fresh_desks, one_action, snapshot

__all__ = ["fresh_desks"]

L = "laptop"

#: every path of the reactive process, and refusals of each kind (marked: the error expected)
SCENARIO: list[tuple[Op, type[Exception] | None]] = [
    # 0: resolved at the first contact, closed with answers
    (
        Op(
            "register",
            None,
            {
                "caller": "Kim",
                "channel": "phone",
                "summary": "slow laptop",
                "service": L,
                "accept": True,
                "solution": "restarted",
            },
            0,
        ),
        None,
    ),
    (Op("close", 0, {"effort": 1, "satisfaction": 5}, 3), None),
    # 1: escalated to second line, resolved there, closed without answers
    (
        Op(
            "register",
            None,
            {"caller": "Ann", "channel": "email", "summary": "screen broken", "service": L},
            10,
        ),
        None,
    ),
    (Op("accept", 1, {}, 12), None),
    (Op("escalate", 1, {"to_group": "second-line-it", "reason": "hardware"}, 15), None),
    (Op("escalate", 1, {"to_group": "second-line-it", "reason": "again"}, 16), GuardFailed),
    (Op("resolve", 1, {"solution": "screen replaced"}, 300, "ben"), None),
    (Op("close", 1, {}, 301), GuardFailed),  # the policy asks: answers or not_answered
    (Op("close", 1, {"survey": "not_answered"}, 302), None),
    # 2: resolved, reopened, resolved again, closed
    (
        Op(
            "register",
            None,
            {"caller": "Bo", "channel": "phone", "summary": "no wifi", "service": L},
            20,
            "omar",
        ),
        None,
    ),
    (Op("accept", 2, {}, 21, "omar"), None),
    (Op("resolve", 2, {"solution": "driver"}, 40, "omar"), None),
    (Op("reopen", 2, {"reason": "still no wifi"}, 2000), None),
    (Op("resolve", 2, {"solution": "new card"}, 2500), None),
    (Op("close", 2, {"effort": 4, "satisfaction": 3}, 2600), None),
    # 3: no service: accept refused; an exception, waiting for the customer, their reply
    (
        Op(
            "register",
            None,
            {"caller": "Cy", "channel": "walk-in", "summary": "odd request", "service": None},
            30,
        ),
        None,
    ),
    (Op("accept", 3, {}, 31), GuardFailed),
    (Op("make_exception", 3, {"reason": "board member"}, 32), None),
    (Op("wait", 3, {"for_": "customer", "reason": "asked for the serial"}, 33), None),
    (Op("resume", 3, {"note": "sent it"}, 700), None),
    (
        Op("escalate", 3, {"to_group": "second-line-it", "reason": "x"}, 701, "eve"),
        PermissionDenied,
    ),
    (Op("resolve", 3, {"solution": "done by hand"}, 800), None),
    (Op("close", 3, {"effort": 2}, 801), None),
    # 4: referred to relation management; resolving it afterwards is refused
    (
        Op(
            "register",
            None,
            {"caller": "Di", "channel": "portal", "summary": "a new app", "service": None},
            50,
        ),
        None,
    ),
    (Op("refer", 4, {"reason": "not something we offer"}, 51), None),
    (Op("resolve", 4, {"solution": "?"}, 52), InvalidTransition),
    # 5: flagged as self-service at registration, a second contact, service corrected, cancelled
    (
        Op(
            "register",
            None,
            {
                "caller": "Ed",
                "channel": "chat",
                "summary": "how to reset",
                "service": L,
                "self_service_faq": 1,
            },
            60,
        ),
        None,
    ),
    (Op("log_contact", 5, {"channel": "email", "note": "called back"}, 61), None),
    (Op("set_service", 5, {"service": "password-reset", "reason": "it is a password"}, 62), None),
    (Op("log_contact", 5, {"channel": "fax"}, 63), ValidationError),
    (Op("cancel", 5, {"reason": "found it in the FAQ"}, 64), None),
    # 6: waiting for a supplier, resumed, resolved at a later contact
    (
        Op(
            "register",
            None,
            {"caller": "Fa", "channel": "phone", "summary": "dock", "service": "peripherals"},
            70,
        ),
        None,
    ),
    (Op("accept", 6, {}, 71), None),
    (Op("wait", 6, {"for_": "supplier"}, 72), None),
    (Op("resume", 6, {}, 3000), None),
    (Op("resolve", 6, {"solution": "delivered"}, 3001), None),
]


def test_the_scenario_gives_the_same_rows_trail_and_kpis_on_both_paths(
    fresh_desks: Callable[[], Desk],
) -> None:
    ops = [op for op, _ in SCENARIO]
    expected = [err for _, err in SCENARIO]
    desk = fresh_desks()
    assert one_action(desk, ops).errors == expected
    wanted = snapshot(desk)
    desk.close()
    assert len(wanted["calls"]) == 7 and len(wanted["audit"]) > 30

    desk = fresh_desks()
    assert bulk_path(desk, ops, expected, refresh=True).errors == expected
    got = snapshot(desk)
    for part in wanted:  # one part at a time: a difference is then easy to read
        assert got[part] == wanted[part], part
    # the roll-up built between the batches, brought up to date again, gives the same KPIs
    with freeze_time(NOW):
        desk.kpis.refresh()
    assert snapshot(desk)["kpis"] == wanted["kpis"]


def test_one_batch_with_a_refusal_in_it_writes_nothing(
    fresh_desks: Callable[[], Desk],
) -> None:
    desk = fresh_desks()
    ops = [op for op, _ in SCENARIO]
    before = snapshot(desk)
    with freeze_time(NOW), pytest.raises(InvalidTransition) as refused:  # noqa: SIM117 (the batch inside the expected refusal)
        with desk.bulk(by="anna") as batch:
            ids: list[int] = []
            for op, err in SCENARIO:
                if op.method == "register":
                    ids.append(batch.register(**op.kwargs, by=op.by, at=op.at))
                elif err is None or err is InvalidTransition:
                    getattr(batch, op.method)(ids[op.call], **op.kwargs, by=op.by, at=op.at)
    assert str(refused.value).startswith(f"call C-{ids[4]:06d}: cannot 'resolve' from state")
    assert snapshot(desk) == before
    assert len(ops) == len(SCENARIO)


@pytest.mark.parametrize(
    ("action", "kind", "words"),
    [
        (lambda b, n: b.accept(n, by="eve"), PermissionDenied, "'eve' may not call.accept"),
        (lambda b, n: b.resolve(n, solution="x"), InvalidTransition, "cannot 'resolve'"),
        (lambda b, n: b.make_exception(n, reason=" "), GuardFailed, "exception_reason"),
        (lambda b, n: b.escalate(n + 99, to_group="x", reason="y"), NotFound, "no call"),
        (lambda b, n: b.log_contact(n, channel="fax"), ValidationError, "'fax'"),
    ],
)
def test_a_refused_action_raises_the_one_action_error_naming_the_call_and_rolls_back(
    desk: Desk, action: Callable, kind: type[Exception], words: str
) -> None:
    with freeze_time(NOW):
        kept = desk.calls.register(caller="Kim", channel="phone", summary="s", by="anna")
        with pytest.raises(kind) as refused, desk.bulk(by="anna") as batch:
            n = batch.register(caller="Ann", channel="phone", summary="s", service=None)
            assert n == kept.id + 1
            try:
                action(batch, n)
            except kind:
                pass  # caught: the batch still rolls back, and leaving it says why
            else:
                pytest.fail("not refused")
            with pytest.raises(kind):  # a refused batch takes no more actions
                batch.accept(kept.id)
    message = str(refused.value)
    assert words in message
    if kind is not NotFound:
        assert f"C-{kept.id + 1:06d}" in message
    with desk.transaction() as s:
        assert s.scalar(select(func.count()).select_from(CallRow)) == 1


def test_times_are_kept_and_may_not_go_back_or_into_the_future(desk: Desk) -> None:
    t = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with freeze_time(NOW):
        with desk.bulk(by="anna") as batch:
            n = batch.register(caller="Kim", channel="phone", summary="s", service=L, at=t)
            batch.accept(n, at=t + timedelta(minutes=5))
        call = desk.calls.get(n)
        assert call.registered_at == t
        with desk.transaction() as s:
            row = s.get(CallRow, n)
            assert (row.responded_at, row.updated_at) == (t + timedelta(minutes=5),) * 2
        assert [e.at for e in desk.history(call)] == [t, t + timedelta(minutes=5)]
        for at, words in [
            (t + timedelta(minutes=4), "is before the call's last event"),
            (NOW + timedelta(seconds=1), "is in the future"),
            (datetime(2026, 3, 2, 10, 0), "must be a datetime with a time zone"),
        ]:
            with pytest.raises(ValidationError, match=words) as refused:  # noqa: SIM117
                with desk.bulk(by="anna") as batch:
                    batch.resolve(n, solution="x", at=at)
            assert str(refused.value).startswith(f"C-{n:06d} resolve: at: ")
        # a later action on a call of an earlier batch: loaded, changed, its version counted
        with desk.bulk(by="ben") as batch:
            batch.resolve(n, solution="x", at=t + timedelta(hours=1))
        assert desk.calls.get(n).version == call.version + 1


def test_the_kpi_dirty_marks_and_the_search_index_see_the_batch(desk: Desk) -> None:
    with freeze_time(NOW):
        desk.kpis.refresh()
        with desk.transaction() as s:
            marks = s.scalar(select(func.count()).select_from(KpiDirtyRow))
        with desk.bulk(by="anna") as batch:
            for i in range(3):
                batch.register(
                    caller=f"Zebediah {i}",
                    channel="phone",
                    summary="quixotic printer",
                    service=L,
                    accept=True,
                    solution="ok",
                    at=START + timedelta(days=i),
                )
        with desk.transaction() as s:
            assert s.scalar(select(func.count()).select_from(KpiDirtyRow)) > marks
            assert s.scalar(select(func.count()).select_from(AuditEventRow)) > 9
        assert desk.calls.count(filter="all", search="quixotic") == 3
        assert desk.calls.count(filter="all", search="Zebediah 1") == 1


def _marks_and_triggers(desk: Desk) -> tuple[list[tuple[str, object]], list[tuple[str, str]]]:
    with desk.transaction() as s:
        marks = sorted((m.anchor, m.at) for m in s.scalars(select(KpiDirtyRow)))
        triggers = []
        if s.get_bind().dialect.name == "sqlite":
            triggers = sorted(
                s.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")).all()
            )
    return marks, triggers


def test_a_batch_leaves_the_marks_its_triggers_would_and_the_triggers_as_they_were(
    fresh_desks: Callable[[], Desk], monkeypatch: pytest.MonkeyPatch
) -> None:
    """On SQLite the batch writes the search entries and KPI marks of its new calls itself (the
    row-by-row insert triggers taken away inside its transaction): the same as the triggers."""
    ops = [op for op, err in SCENARIO if err is None]
    with monkeypatch.context() as m:
        m.setattr(bulk_module, "_KNOWN_TRIGGERS", {})  # the triggers fire, row by row
        desk = fresh_desks()
        bulk_path(desk, ops, [None] * len(ops))
        wanted, triggers = _marks_and_triggers(desk)
        desk.close()
    desk = fresh_desks()
    with freeze_time(NOW), pytest.raises(InvalidTransition):  # noqa: SIM117
        with desk.bulk(by="anna") as batch:  # refused at the end: everything rolls back
            n = batch.register(caller="Kim", channel="phone", summary="s", at=START)
            batch.resolve(n, solution="x", at=START)
    assert _marks_and_triggers(desk) == ([], triggers)
    bulk_path(desk, ops, [None] * len(ops))
    assert _marks_and_triggers(desk) == (wanted, triggers)
    assert desk.calls.count(filter="all", search="wifi") == 1  # the search index saw them
    if triggers:  # SQLite: the batch did stand in for both (their text is the one it knows)
        live = {name: " ".join(sql.split()) for name, sql in triggers}
        assert {k: live.get(k) for k in bulk_module._KNOWN_TRIGGERS} == bulk_module._KNOWN_TRIGGERS
