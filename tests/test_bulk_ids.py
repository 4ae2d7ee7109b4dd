"""Bulk inserts take their ids from the database: a killed bulk seed or a registration made while
one runs never collides with the ids the bulk seed uses."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager

import pytest
from sqlalchemy import func, select

from bpsm import Desk
from bpsm.demo import bulk_seed
from bpsm.store.tables import AuditEventRow, CallContactRow, CallRow
from tests.helpers import new_call


def _between_chunks(desk: Desk, monkeypatch: pytest.MonkeyPatch, act: Callable[[int], None]):
    """Run ``act(n)`` before the n-th unit of work the desk opens (n = 1, 2, ...)."""
    real, opened = desk.transaction, [0]

    @contextmanager
    def transaction():
        opened[0] += 1
        act(opened[0])
        with real() as s:
            yield s

    monkeypatch.setattr(desk, "transaction", transaction)


class Killed(Exception):
    """The bulk seed was stopped (a kill, a crash) between two chunks."""


def test_a_registration_after_a_killed_bulk_seed_works(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    def kill_at_the_third_chunk(n: int) -> None:
        if n == 3:
            raise Killed

    _between_chunks(desk, monkeypatch, kill_at_the_third_chunk)
    with pytest.raises(Killed):
        bulk_seed(desk, 50, chunk=10)
    monkeypatch.undo()
    call = new_call(desk)
    with desk.transaction() as s:
        calls = s.scalar(select(func.count()).select_from(CallRow))
        imported = s.scalar(
            select(func.count()).select_from(AuditEventRow).where(AuditEventRow.trigger == "import")
        )
        assert s.scalar(select(func.max(CallRow.id))) == call.id
    assert imported and imported % 10 == 0 and calls == imported + 1  # whole chunks, then ours


def test_a_registration_during_a_bulk_seed_does_not_collide(
    desk: Desk, monkeypatch: pytest.MonkeyPatch, db_url: str, catalogue
) -> None:
    other = Desk.open(db_url, catalogue=catalogue, seed=False)
    made: list[int] = []

    def register_meanwhile(n: int) -> None:
        if n in (2, 3):
            made.append(new_call(other).id)

    _between_chunks(desk, monkeypatch, register_meanwhile)
    assert bulk_seed(desk, 30, chunk=10) == 30
    monkeypatch.undo()
    other.close()
    with desk.transaction() as s:
        ids = list(s.scalars(select(CallRow.id)))
        imported = set(
            s.scalars(select(AuditEventRow.record_id).where(AuditEventRow.trigger == "import"))
        )
        contacts = s.scalar(select(func.count()).select_from(CallContactRow))
    assert len(ids) == len(set(ids)) == 32
    assert imported == {str(i) for i in ids if i not in made}
    assert contacts == 32
    assert new_call(desk).id > max(ids)
