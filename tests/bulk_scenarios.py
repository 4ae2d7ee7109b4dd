"""Running one scenario of call actions through the one-action API and through the bulk path,
and what of a desk the two must agree on (shared by tests/test_bulk_path.py and
tests/test_bulk_property.py)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from freezegun import freeze_time
from sqlalchemy import create_engine, select, text

from bpsm import Desk
from bpsm.errors import BpsmError
from bpsm.store.tables import (
    AuditEventRow,
    Base,
    CallContactRow,
    CallRow,
    RelationCaseRow,
)
from bpsm.store.tables.survey import SurveyRow
from tests.conftest import PG_URL

#: the scenarios' clock: every action happens in November 2026, looked at on 1 December
START = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)  # a Monday
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Op:
    """One action: ``register`` (``call`` None) or a method of ``desk.calls`` on the ``call``-th
    call registered, as ``by``, at ``minute`` minutes after :data:`START`."""

    method: str
    call: int | None
    kwargs: dict[str, Any]
    minute: int
    by: str = "anna"

    @property
    def at(self) -> datetime:
        return START + timedelta(minutes=self.minute)


@dataclass
class Outcome:
    """What one path did: each op's error type (None: it happened)."""

    errors: list[type[BaseException] | None] = field(default_factory=list)


def one_action(desk: Desk, ops: list[Op]) -> Outcome:
    """Each op through ``desk.calls``, at its time (freezegun), a refused one skipped."""
    ids: list[int] = []
    out = Outcome()
    for op in ops:
        with freeze_time(op.at):
            try:
                if op.method == "register":
                    ids.append(desk.calls.register(**op.kwargs, by=op.by).id)
                else:
                    getattr(desk.calls, op.method)(ids[op.call], **op.kwargs, by=op.by)  # type: ignore[index]
            except BpsmError as err:
                out.errors.append(type(err))
                continue
        out.errors.append(None)
    return out


def bulk_path(
    desk: Desk, ops: list[Op], refused: list[type[BaseException] | None], *, refresh: bool = False
) -> Outcome:
    """The ops through ``desk.bulk``: the ops between two refusals in one batch each (committed),
    each refused op in a batch of its own (which must roll back, leaving the desk as it was).
    With ``refresh``, the KPI roll-up is rebuilt between batches (so later batches change calls
    on rolled-up days)."""
    ids: list[int] = []
    out = Outcome()
    runs: list[list[tuple[Op, type[BaseException] | None]]] = [[]]
    for op, err in zip(ops, refused, strict=True):
        if err is None:
            runs[-1].append((op, None))
        else:
            runs += [[(op, err)], []]
    with freeze_time(NOW):
        for run in runs:
            if not run:
                continue
            if run[0][1] is not None:
                before = snapshot(desk)
                try:
                    with desk.bulk(by="anna") as batch:
                        _apply(batch, run[0][0], ids)
                except BpsmError as err:
                    out.errors.append(type(err))
                else:
                    out.errors.append(None)
                assert snapshot(desk) == before, "a refused batch left rows behind"
                continue
            with desk.bulk(by="anna") as batch:
                for op, _ in run:
                    _apply(batch, op, ids)
                    out.errors.append(None)
            if refresh:
                desk.kpis.refresh()
    return out


def _apply(batch: Any, op: Op, ids: list[int]) -> None:
    if op.method == "register":
        ids.append(batch.register(**op.kwargs, by=op.by, at=op.at))
    else:
        getattr(batch, op.method)(ids[op.call], **op.kwargs, by=op.by, at=op.at)  # type: ignore[index]


# -- what must be the same ---------------------------------------------------------------------


def snapshot(desk: Desk) -> dict[str, Any]:
    """The desk's process rows and trail, ids replaced by their rank (PostgreSQL's sequences
    leave gaps where the one-action path and the batches drew ids differently), and its KPIs."""
    with desk.transaction() as s:

        def rows(table: Any, *, order: Any) -> list[dict[str, Any]]:
            return [dict(r._mapping) for r in s.execute(select(table).order_by(*order))]

        calls = rows(CallRow.__table__, order=[CallRow.id])
        surveys = rows(SurveyRow.__table__, order=[SurveyRow.id])
        cases = rows(RelationCaseRow.__table__, order=[RelationCaseRow.id])
        contacts = rows(CallContactRow.__table__, order=[CallContactRow.id])
        events = rows(
            AuditEventRow.__table__,
            order=[AuditEventRow.id],
        )
    rank = {
        "call": {r["id"]: i for i, r in enumerate(calls)},
        "survey": {r["id"]: i for i, r in enumerate(surveys)},
        "relation": {r["id"]: i for i, r in enumerate(cases)},
    }
    for kind, table in (("call", calls), ("survey", surveys), ("relation", cases)):
        for r in table:
            r["id"] = rank[kind][r["id"]]
    for r in [*surveys, *cases, *contacts]:
        if r.get("call_id") is not None:
            r["call_id"] = rank["call"][r["call_id"]]
    for r in contacts:
        del r["id"]
    trail = []
    for r in events:
        if r["record_type"] not in rank:
            continue  # the catalogue's seed, made when each desk was opened
        del r["id"]
        r["record_id"] = rank[r["record_type"]][int(r["record_id"])]
        if r["data"] and "call_id" in r["data"]:
            r["data"] = {**r["data"], "call_id": rank["call"][r["data"]["call_id"]]}
        trail.append(r)
    with freeze_time(NOW):
        report = desk.kpis.report(START - timedelta(days=1), NOW, by="day")
        today = desk.kpis.window(START, NOW)
    return {
        "calls": calls,
        "surveys": surveys,
        "relation_cases": cases,
        "contacts": contacts,
        "audit": trail,
        "kpis": report.model_dump(),
        "window": today.model_dump(),
    }


# -- two empty desks ---------------------------------------------------------------------------


@pytest.fixture
def fresh_desks(_template: str, tmp_path: Path, catalogue: Any) -> Iterator[Callable[[], Desk]]:
    """Makes empty desks one after the other (SQLite: a file each; PostgreSQL: the worker's
    database emptied again, so close a desk before making the next)."""
    opened: list[Desk] = []

    def make() -> Desk:
        if PG_URL:
            engine = create_engine(_template)
            tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
            with engine.begin() as conn:
                conn.execute(
                    text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_truncate")
                )
                conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
                conn.execute(
                    text("ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_truncate")
                )
            engine.dispose()
            url = _template
        else:
            target = tmp_path / f"desk{len(opened)}.sqlite3"
            shutil.copyfile(_template, target)
            url = f"sqlite:///{target}"
        with freeze_time(START - timedelta(days=30)):
            desk = Desk.open(url, catalogue=catalogue)
        opened.append(desk)
        return desk

    yield make
    for desk in opened:
        desk.close()
