"""``desk.pilots``: define a pilot, list and end it, and compare its KPIs.

>>> desk.pilots.define("finance-laptops", services=["laptop"], group="Finance",
...                    callers=["Finance *"], since=monday, until=monday + weeks(4),
...                    by="carla")                                              # doctest: +SKIP
>>> desk.pilots.compare("finance-laptops")                                      # doctest: +SKIP

Who may define and end a pilot: the change manager (a pilot is how a change to the catalogue
is tested with customers before the board passes it: ``docs/change-board.md``), the manager
(who decides to roll out) and the admin. Everyone reads. Each definition and end writes an audit
event on the pilot (record type ``pilot``); a stale ``expected_version`` is refused.
"""

from __future__ import annotations

import builtins
import dataclasses
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select

from bpsm import clock
from bpsm.errors import NotFound, Problem, ValidationError
from bpsm.kpis.engine import KpiFilter, Kpis
from bpsm.pilots.views import PilotComparison, PilotView
from bpsm.port import DeskPort
from bpsm.processes.base import audit, load_row
from bpsm.roles import ADMIN, CHANGE_MANAGER, MANAGER, require
from bpsm.store.tables import PublishedCatalogueRow, ServiceRow
from bpsm.store.tables.pilot import PilotRow
from bpsm.validation import clean_text, limit_of, moment, shown

__all__ = ["PILOT_ROLES", "Pilots"]

#: who may define and end a pilot
PILOT_ROLES = frozenset({CHANGE_MANAGER, MANAGER, ADMIN})
#: a pilot's name: a short slug, its handle on the command line
NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
#: most caller patterns one pilot may have
MAX_CALLERS = 50


def _bad(field: str, message: str) -> ValidationError:
    return ValidationError(Problem(message, field=field))


class Pilots:
    """The pilots of one desk."""

    def __init__(self, desk: DeskPort, kpis: Kpis):
        self._desk = desk
        self._kpis = kpis

    def define(
        self,
        name: str,
        *,
        group: str,
        callers: Iterable[str],
        since: datetime,
        until: datetime,
        by: str,
        services: Iterable[str] | None = None,
        note: str | None = None,
    ) -> PilotView:
        """Define a pilot: ``services`` (None: the whole catalogue, at its published revision)
        for the customer ``group`` — the calls whose caller matches one of ``callers`` (``*``
        any text, ``?`` one character, case-insensitive) — in ``[since, until)``.

        Raises:
            PermissionDenied: ``by`` is not a change manager, manager or admin.
            ValidationError: a bad or taken name, an unknown service, no caller pattern, a bad
                window — naming the field; nothing is stored.
        """
        person = self._desk.person(by)
        require(person, "pilot.define", PILOT_ROLES)
        if not isinstance(name, str) or not NAME.fullmatch(name):
            raise _bad(
                "name", f"{shown(name)} is not a pilot name (lower-case letters, digits, '-')"
            )
        group = clean_text("group", group, limit=limit_of(PilotRow.group_name))
        patterns = _patterns(callers)
        since, until = moment("since", since), moment("until", until)
        if until <= since:
            raise _bad("until", f"{until.isoformat()} must be after since {since.isoformat()}")
        if note is not None:
            note = clean_text("note", note, required=False)
        chosen = None if services is None else _names("services", services)
        with self._desk.unit() as uow:
            s = uow.session
            if s.scalar(select(PilotRow.id).where(PilotRow.name == name)) is not None:
                raise _bad("name", f"there is already a pilot {name!r}")
            revision = None
            if chosen is None:
                revision = s.scalar(
                    select(PublishedCatalogueRow.revision)
                    .order_by(PublishedCatalogueRow.id.desc())
                    .limit(1)
                )
            else:
                known = set(s.scalars(select(ServiceRow.id).where(ServiceRow.id.in_(chosen))))
                unknown = [x for x in chosen if x not in known]
                if unknown:
                    raise _bad("services", f"{unknown[0]!r} is not a catalogue service")
            now = clock.now()
            row = PilotRow(
                name=name,
                scope="catalogue" if chosen is None else "services",
                services=chosen,
                catalogue_revision=revision,
                group_name=group,
                callers=patterns,
                since=since,
                until=until,
                state="active",
                note=note or None,
                defined_by=person.id,
                defined_at=now,
                updated_at=now,
            )
            s.add(row)
            s.flush()
            audit(
                s,
                person,
                "pilot",
                row.id,
                "define",
                None,
                "active",
                row.note,
                {
                    "name": name,
                    "scope": row.scope,
                    "services": chosen,
                    "catalogue_revision": revision,
                    "group": group,
                    "callers": patterns,
                    "since": since.isoformat(),
                    "until": until.isoformat(),
                },
            )
            return PilotView.model_validate(row)

    def get(self, pilot: str | int) -> PilotView:
        """One pilot, by name or id.

        Raises:
            NotFound: there is no such pilot.
        """
        with self._desk.unit() as uow:
            return PilotView.model_validate(_load(uow.session, pilot))

    def list(self, *, state: str | None = None) -> builtins.list[PilotView]:
        """The pilots, newest first; only ``active`` or ``ended`` ones if ``state`` is given.

        Raises:
            ValidationError: an unknown state.
        """
        stmt = select(PilotRow).order_by(PilotRow.since.desc(), PilotRow.id.desc())
        if state is not None:
            if state not in ("active", "ended"):
                raise _bad("state", f"{shown(state)} is not one of active, ended")
            stmt = stmt.where(PilotRow.state == state)
        with self._desk.unit() as uow:
            return [PilotView.model_validate(r) for r in uow.session.scalars(stmt)]

    def end(
        self,
        pilot: str | int,
        *,
        by: str,
        reason: str | None = None,
        expected_version: int | None = None,
    ) -> PilotView:
        """End a pilot now: an early end moves its ``until`` to now (its window stays what it
        was if it already ran out).

        Raises:
            PermissionDenied: ``by`` is not a change manager, manager or admin.
            NotFound: no such pilot. ValidationError: it has ended already.
            ConcurrentModification: it changed since ``expected_version``.
        """
        person = self._desk.person(by)
        require(person, "pilot.end", PILOT_ROLES)
        if reason is not None:
            reason = clean_text("reason", reason, required=False)
        with self._desk.unit() as uow:
            s = uow.session
            row = _load(s, pilot, expected_version)
            if row.state == "ended":
                raise _bad("pilot", f"pilot {row.name!r} has ended already")
            now = clock.now()
            data: dict[str, Any] = {"until": row.until.isoformat()}
            if now < row.until:
                row.until = max(now, row.since)
                data["ended_early"] = row.until.isoformat()
            row.state, row.ended_at, row.ended_by, row.updated_at = "ended", now, person.id, now
            s.flush()
            audit(s, person, "pilot", row.id, "end", "active", "ended", reason or None, data)
            return PilotView.model_validate(row)

    def compare(
        self,
        pilot: str | int,
        *,
        by: Any = None,
        group_by: Any = None,
        filters: KpiFilter | None = None,
        kpis: Iterable[str] | None = None,
    ) -> PilotComparison:
        """Every KPI (or those named) for the pilot's calls vs the rest of its scope during the
        pilot, and vs its own customers in the window of the same length before it — three
        reports of the KPI engine, each with the pilot's population as a filter (in SQL).

        ``during`` is ``[since, min(until, now))``; ``filters`` narrow all three alike (their
        ``population`` is the pilot's).

        Raises:
            NotFound: no such pilot.
            ValidationError: the pilot has not begun, or a bad period, group, filter or KPI.
        """
        p = self.get(pilot)
        now = clock.now()
        end = min(p.until, now)
        if end <= p.since:
            raise _bad("pilot", f"pilot {p.name!r} begins {p.since.isoformat()}: nothing yet")
        if filters is not None and filters.population is not None:
            raise _bad("population", "a comparison's population is the pilot's")
        base = filters or KpiFilter()
        mine = p.filters(base)
        assert mine.population is not None
        rest = dataclasses.replace(mine, population=mine.population.rest())
        chosen = None if kpis is None else builtins.list(kpis)
        kw: dict[str, Any] = {"by": by, "group_by": group_by, "kpis": chosen}
        length = end - p.since
        return PilotComparison(
            pilot=p,
            pilot_report=self._kpis.report(p.since, end, filters=mine, **kw),
            rest=self._kpis.report(p.since, end, filters=rest, **kw),
            before=self._kpis.report(p.since - length, p.since, filters=mine, **kw),
        )


def _load(s: Any, pilot: str | int, expected_version: int | None = None) -> PilotRow:
    if isinstance(pilot, str) and not pilot.isdigit():
        ident = s.scalar(select(PilotRow.id).where(PilotRow.name == pilot))
        if ident is None:
            raise NotFound("pilot", pilot)
        pilot = ident
    return load_row(s, PilotRow, "pilot", pilot, expected_version)


def _names(field: str, values: Iterable[str]) -> list[str]:
    if isinstance(values, str):
        values = [values]
    out: list[str] = []
    for v in values:
        v = clean_text(field, v, limit=limit_of(ServiceRow.id))
        if v not in out:
            out.append(v)
    if not out:
        raise _bad(field, "name at least one service (or none at all: the whole catalogue)")
    return out


def _patterns(callers: Iterable[str]) -> list[str]:
    if isinstance(callers, str):
        callers = [callers]
    out: list[str] = []
    for c in callers:
        c = clean_text("callers", c, limit=200)
        if c not in out:
            out.append(c)
    if not out:
        raise _bad("callers", "give at least one caller or caller pattern (e.g. 'Finance *')")
    if len(out) > MAX_CALLERS:
        raise _bad("callers", f"{len(out)} patterns: at most {MAX_CALLERS}")
    return out
