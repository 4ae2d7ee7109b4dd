"""``desk.effort``: log the minutes staff spend on any record; the balance of the team's time.

>>> desk.effort.log("call", 7, 15, by="anna", note="called the supplier")  # doctest: +SKIP
>>> desk.effort.balance(since=monday, until=next_monday)                   # doctest: +SKIP

An entry is never changed or removed: the log is a record of time spent, like the audit trail.
Each entry writes one ``log_effort``
event on the record's own audit trail (its state unchanged), in the same transaction.
"""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from bpsm import clock
from bpsm.catalogue.policies import WORK_KINDS
from bpsm.errors import Problem, ValidationError
from bpsm.port import DeskPort
from bpsm.processes.base import audit
from bpsm.processes.effort.records import RECORD_KINDS, load_record, work_of
from bpsm.processes.effort.views import EffortBalance, EffortEntry, WorkShare
from bpsm.roles import DESK_ACTIONS, Person, require
from bpsm.store.tables import EffortRow, StaffRow
from bpsm.validation import clean_text, limit_of, moment, one_of, paging, whole_number
from bpsm.views import Page

__all__ = ["Effort"]


class Effort:
    """The effort log on one desk."""

    roles: ClassVar[frozenset[str]] = DESK_ACTIONS["effort.log"]
    """The roles that may log effort (every member of staff whose time goes into records)."""

    def __init__(self, desk: DeskPort):
        self._desk = desk

    def log(
        self,
        kind: str,
        record_id: int,
        minutes: int,
        *,
        by: str,
        note: str | None = None,
    ) -> EffortEntry:
        """Log ``minutes`` of ``by``'s time on a record, now.

        Args:
            kind: ``call``, ``relation``, ``change``, ``task`` (a maintenance task),
                ``improvement`` or ``recommendation``.
            record_id: the record's id.
            minutes: 1 … ``desk.yaml``'s ``effort.max_minutes`` (default 720).
            by: the staff id of the person whose time it was.
            note: what the time went on (optional).

        Raises:
            PermissionDenied: ``by`` is not on the staff list, or may not log effort.
            ValidationError: an unknown kind, minutes out of range or not whole, a bad note.
            NotFound: there is no such record.
        """
        person = self._desk.person(by)
        self.check(person)
        kind = one_of("kind", kind, RECORD_KINDS, what="records effort is logged on")
        limit = self._desk.config.effort.max_minutes
        minutes = whole_number("minutes", minutes, low=1, high=limit)
        if note is not None:
            note = clean_text("note", note, limit=limit_of(EffortRow.note), required=False)
        with self._desk.unit() as uow:
            s = uow.session
            row = load_record(s, kind, record_id)
            entry = EffortRow(
                record_type=kind,
                record_id=row.id,
                work=work_of(s, kind, row),
                minutes=minutes,
                by=person.id,
                at=clock.now(),
                note=note or None,
            )
            s.add(entry)
            s.flush()
            audit(
                s,
                person,
                kind,
                row.id,
                "log_effort",
                row.state,
                row.state,
                entry.note,
                {"effort": entry.id, "minutes": minutes, "work": entry.work},
            )
            return EffortEntry.model_validate(entry)

    @staticmethod
    def check(person: Person) -> None:
        """Raise :class:`~bpsm.errors.PermissionDenied` now if ``person`` may not log effort (a
        screen asks before it opens its dialog); :meth:`log` checks the same."""
        require(person, "effort.log")

    def list(
        self,
        kind: str | None = None,
        record_id: int | None = None,
        *,
        by: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> Page[EffortEntry]:
        """Entries, newest first: of one record (``kind`` and ``record_id``), of every record of
        a ``kind``, of one person (``by``), logged in ``[since, until)`` — any combination.

        Raises:
            ValidationError: an unknown kind, a ``record_id`` without its ``kind``, bad bounds or
                paging.
            NotFound: ``kind`` and ``record_id`` name no record.
        """
        offset, limit = paging(offset, limit)
        where = self._where(since, until)
        if kind is not None:
            kind = one_of("kind", kind, RECORD_KINDS, what="records effort is logged on")
            where.append(EffortRow.record_type == kind)
        elif record_id is not None:
            raise ValidationError(Problem("give the record's kind with its id", field="kind"))
        if by is not None:
            where.append(EffortRow.by == clean_text("by", by, limit=limit_of(EffortRow.by)))
        with self._desk.unit() as uow:
            s = uow.session
            if kind is not None and record_id is not None:
                load_record(s, kind, record_id)
                where.append(EffortRow.record_id == record_id)
            total = s.scalar(select(func.count()).select_from(EffortRow).where(*where)) or 0
            rows = s.scalars(
                select(EffortRow)
                .where(*where)
                .order_by(EffortRow.at.desc(), EffortRow.id.desc())
                .offset(offset)
                .limit(limit)
            ).all()
            return Page([EffortEntry.model_validate(r) for r in rows], offset, limit, total)

    def total(self, kind: str, record_id: int) -> int:
        """All minutes logged on one record.

        Raises:
            ValidationError, NotFound: as :meth:`list`.
        """
        kind = one_of("kind", kind, RECORD_KINDS, what="records effort is logged on")
        with self._desk.unit() as uow:
            s = uow.session
            row = load_record(s, kind, record_id)
            stmt = select(func.coalesce(func.sum(EffortRow.minutes), 0)).where(
                EffortRow.record_type == kind, EffortRow.record_id == row.id
            )
            return int(s.scalar(stmt) or 0)

    def balance(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        group: str | None = None,
        by: str | None = None,
    ) -> EffortBalance:
        """The team's minutes logged in ``[since, until)`` by kind of work — reactive, relation,
        change, maintenance, improvement — each with its share against ``desk.yaml``'s target
        split; of one operator ``group`` or one person (``by``) if given. One SQL ``GROUP BY``.

        Raises:
            ValidationError: bad bounds, a group the desk does not have.
        """
        since = None if since is None else moment("since", since)
        until = None if until is None else moment("until", until)
        where = self._where(since, until)
        if group is not None:
            group = one_of("group", group, self._desk.config.groups, what="desk's groups")
        if by is not None:
            where.append(EffortRow.by == clean_text("by", by, limit=limit_of(EffortRow.by)))
        target: dict[str, int] = {str(k): v for k, v in self._desk.config.effort.target.items()}
        with self._desk.unit() as uow:
            found = dict(balance_minutes(uow.session, where, group))
        total = sum(found.values())
        kinds = [
            WorkShare(
                work,
                found.get(work, 0),
                100 * found.get(work, 0) / total if total else None,
                target.get(work, 0),
            )
            for work in WORK_KINDS
        ]
        return EffortBalance(since, until, total, kinds)

    @staticmethod
    def _where(
        since: datetime | None, until: datetime | None
    ) -> builtins.list[ColumnElement[bool]]:
        where: builtins.list[ColumnElement[bool]] = []
        if since is not None:
            where.append(EffortRow.at >= moment("since", since))
        if until is not None:
            where.append(EffortRow.at < moment("until", until))
        return where


def balance_minutes(
    s: Session, where: list[ColumnElement[bool]], group: str | None = None
) -> list[tuple[str, int]]:
    """``(work, minutes)`` per kind of work among the entries ``where`` selects, in SQL; of the
    staff of one ``group`` if given."""
    stmt: Any = select(EffortRow.work, func.sum(EffortRow.minutes)).where(*where)
    if group is not None:
        stmt = stmt.join(StaffRow, StaffRow.id == EffortRow.by).where(StaffRow.group == group)
    return [(w, int(m)) for w, m in s.execute(stmt.group_by(EffortRow.work)).all()]
