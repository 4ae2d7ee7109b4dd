"""The bulk path: many registrations and transitions in one transaction, by the one-action rules.

Work that is not one person at a keyboard — an import, the nightly run, code that registers many
calls — opens a batch::

    with desk.bulk(by="anna") as batch:
        n = batch.register(caller="Kim", channel="phone", summary="no mail", service="email",
                           at=datetime(2025, 3, 1, 9, 0, tzinfo=UTC))
        batch.accept(n, at=...)
        batch.resolve(n, solution="mailbox quota raised", at=...)
        batch.close(n, effort=2, satisfaction=5, at=...)

Every action follows the one-action API's rules from the same shared pieces: the reactive step
table (:data:`bpsm.processes.calls.steps.REACTIVE`) gives the permission, the move (which step
fires from which state, looked up in a table built once from the rows, as the shared machine and
:meth:`Process.step <bpsm.processes.base.Process.step>` pick it), the answers the step asks
(each :class:`~bpsm.processes.base.Ask`'s own cleaning), its guards and its effect (the step's
own functions), in :meth:`Process.fire <bpsm.processes.base.Process.fire>`'s order; the batch
repeats fire's few lines (:meth:`Batch._step`) so that the audit event becomes a row to insert
rather than an ORM object. Registration repeats :func:`bpsm.processes.calls.steps.register`,
and the close's survey decision :func:`bpsm.processes.surveys.steps.at_close` for a survey
answered or declined at the close or not sampled (a sampled call goes to ``at_close`` itself).
Permissions are looked up once per person and step. The records (calls, surveys, relation cases)
are plain objects with the ORM class's columns; a stand-in for the ORM session
(:class:`_BatchSession`) hands out ids, applies column defaults, counts versions as the ORM's
flushes would and checks every text against its column
(:func:`bpsm.store.uow.refuse_unfit_values`'s rules). The rows are written once per chunk, one
``executemany`` per table (on SQLite, ``INSERT ... VALUES`` statements of 200 rows each, each value
through its column type's own bind processor), in the batch's one transaction — so a batch's
calls, contacts, surveys, relation cases and audit events are the rows the one-action API
writes for the same actions (``tests/test_bulk_property.py`` checks it on random action sequences).

* **All or nothing.** The batch commits when its block ends. A refused action raises the error
  the one-action API raises (:class:`~bpsm.errors.PermissionDenied`,
  :class:`~bpsm.errors.InvalidTransition`, :class:`~bpsm.errors.GuardFailed`,
  :class:`~bpsm.errors.ValidationError`, :class:`~bpsm.errors.NotFound`), its message naming the
  call number and the action, and the whole batch rolls back — also when the caller catches the
  error: the batch then refuses every further action, and leaving the block raises it again.
* **History.** Each action takes ``at=`` (an aware datetime, not in the future; default now): its
  audit event and timestamps carry it. Per call the times must not go back: an action before the
  call's last event (its ``updated_at``) is refused.
* **Triggers stay correct.** The call search index (SQLite FTS5) and the KPI roll-up's
  ``kpi_dirty`` marks see every call a batch writes, with its final values. On SQLite their
  row-by-row insert triggers on ``calls`` cost more than the inserts themselves, so a batch takes
  them away inside its transaction and writes the same search entries and marks per chunk,
  putting the triggers back, as they were, before it commits (a batch that fails or is killed
  rolls that back too; no other connection writes a call meanwhile, as SQLite has one writer
  and the batch holds the write lock from its start, and readers see the committed schema,
  triggers included: ``tests/test_bulk_triggers.py``); only triggers whose text is exactly the
  migrations' are stood in for, any other stays and fires. The other triggers (the audit
  trail's append-only guards, the update triggers) are left alone.
* **Replayed history** (:meth:`Batch.replayed`, for importers): a call whose whole path was
  already worked out on the reactive step table (:mod:`bpsm.importing.replay`) is written as
  it stands — its row, contacts and audit events — after the batch checks that every event is a
  step of the table from the state the previous one left, that the batch's person may fire each
  step, that times run forward and are not in the future, that the channel is one of the desk's
  and that every text fits its column. What the desk checks against its present (the catalogue
  service before ``accept``, the desk's groups before ``escalate``, the survey policy before
  ``close``) is not asked of history, and the counts (escalations, reopens) may come from the
  source. :meth:`Batch.add_row` writes another row in the batch's transaction (an importer's
  ledger), after the calls.
* **Ids** come from the database: PostgreSQL's sequences (drawn in blocks), or on SQLite the next
  rowids under the write lock the batch takes when it starts (SQLite gives a new row
  ``max(rowid) + 1``, and no other writer can come between while the lock is held).
"""

from __future__ import annotations

import contextlib
import itertools
import operator
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, bindparam, func, insert, select, text, update
from sqlalchemy.orm import Mapper, Session, class_mapper
from sqlalchemy.orm.base import instance_state

from bpsm import clock
from bpsm.errors import (
    BpsmError,
    ConcurrentModification,
    InvalidTransition,
    NotFound,
    Problem,
    ValidationError,
)
from bpsm.port import DeskPort
from bpsm.processes.base import Context, Process, Step
from bpsm.processes.calls import steps as calls_steps
from bpsm.processes.calls.steps import REACTIVE, _catalogue_service
from bpsm.processes.surveys import steps as surveys
from bpsm.roles import Person
from bpsm.store import search as search_index
from bpsm.store.tables import AuditEventRow, Base, CallContactRow, CallRow, UTCDateTime
from bpsm.store.tables.kpi import KpiDirtyRow
from bpsm.store.tables.survey import SurveyRow
from bpsm.store.uow import UnitOfWork, _fits, _texts, translate
from bpsm.validation import clean_text, limit_of, one_of, record_id, shown

__all__ = ["Batch", "bulk"]

#: rows only ever appended, whose ids nobody reads while the batch runs: the database numbers them
_LOGS = frozenset({AuditEventRow.__table__, CallContactRow.__table__})
#: the order tables are written in (a row's foreign keys point at rows written before it)
_ORDER = {t: i for i, t in enumerate(Base.metadata.sorted_tables)}
#: ``(from, trigger, to)`` of every step of the reactive table (a replayed path is made of them)
_STEPS = frozenset(
    (src, step.trigger, step.dest or src) for step in REACTIVE.table for src in step.source
) | {(None, "register", "registered")}
#: the text columns and their limits a replayed call, its contacts and events are checked against
_CALL_TEXTS = _texts(CallRow.__mapper__)
_AUDIT_TEXTS = _texts(AuditEventRow.__mapper__)


def _number(call_id: int) -> str:
    return f"C-{call_id:06d}"


class _Columns:
    """What the batch needs of one mapped table, worked out once."""

    __slots__ = ("defaults", "keys", "pk", "table", "texts", "versioned")

    _known: dict[type[Any], _Columns] = {}

    def __init__(self, mapper: Mapper[Any]):
        table = mapper.local_table
        assert isinstance(table, Table)
        self.table = table
        self.keys = tuple(mapper.get_property_by_column(c).key for c in table.columns)
        (pk,) = table.primary_key.columns if len(table.primary_key.columns) == 1 else (None,)
        self.pk = None if pk is None else mapper.get_property_by_column(pk).key
        self.versioned = mapper.version_id_col is not None
        self.texts = _texts(mapper)
        self.defaults = tuple(
            (mapper.get_property_by_column(c).key, c.default)
            for c in table.columns
            if c.default is not None and c.default.is_scalar | c.default.is_callable
        )

    @classmethod
    def of(cls, obj: Any) -> _Columns:
        kind = type(obj)
        found = cls._known.get(kind)
        if found is None:
            mapper = instance_state(obj).mapper
            found = cls._known[kind] = cls._known[mapper.class_] = cls(mapper)
        return found

    @classmethod
    def of_kind(cls, kind: type[Any]) -> _Columns:
        found = cls._known.get(kind)
        if found is None:
            found = cls._known[kind] = cls(class_mapper(kind))
        return found

    def values(self, obj: Any) -> dict[str, Any]:
        d = obj.__dict__
        if isinstance(obj, _Record):  # every column, nothing else
            return dict(d)
        return {k: d.get(k) for k in self.keys}


class _Record:
    """A process record the batch holds: the columns of its ORM class as plain attributes (no
    instrumentation to pay for on every change), every column present (None when not set)."""

    _orm: type[Any]

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.__dict__.get('id')}>"


_LIGHT: dict[type[Any], tuple[type[_Record], dict[str, Any]]] = {}


def _record(kind: type[Any], values: dict[str, Any]) -> Any:
    """A plain record of the mapped class ``kind`` with ``values`` (the other columns None)."""
    found = _LIGHT.get(kind)
    if found is None:
        light = type(f"{kind.__name__}Record", (_Record,), {"_orm": kind})
        cols = _Columns.of_kind(kind)
        _Columns._known[light] = cols
        found = _LIGHT[kind] = (light, dict.fromkeys(cols.keys))
    obj = found[0]()
    obj.__dict__.update(found[1])
    obj.__dict__.update(values)
    return obj


def _kind(obj: Any) -> type[Any]:
    """The mapped class of a row or plain record."""
    return obj._orm if isinstance(obj, _Record) else type(obj)


class _Track:
    """One row the batch holds: in the database as ``written`` (None: not yet), and as the ORM
    last flushed it (``flushed``: what the version counts changes against)."""

    __slots__ = ("cols", "flushed", "obj", "written")

    def __init__(self, obj: Any, written: dict[str, Any] | None):
        self.obj, self.cols, self.written = obj, _Columns.of(obj), written
        self.flushed: dict[str, Any] | None = None if written is None else dict(written)


class _Ids:
    """Ids from the database: PostgreSQL's sequences in blocks, SQLite's next rowids."""

    def __init__(self, session: Session):
        self._s = session
        self._pg = session.get_bind().dialect.name == "postgresql"
        self._free: dict[str, list[int]] = {}
        self._next: dict[str, int] = {}
        self._block: dict[str, int] = {}

    def take(self, table: Table, column: str) -> int:
        if not self._pg:
            ident = self._next.get(table.name)
            if ident is None:
                top = self._s.execute(select(func.max(table.c[column]))).scalar()
                ident = (top or 0) + 1
            self._next[table.name] = ident + 1
            return ident
        free = self._free.setdefault(table.name, [])
        if not free:
            n = self._block[table.name] = min(2 * self._block.get(table.name, 8), 4096)
            free.extend(
                reversed(
                    self._s.execute(
                        text(
                            "SELECT nextval(pg_get_serial_sequence(:table, :column))"
                            " FROM generate_series(1, :n)"
                        ),
                        {"table": table.name, "column": column, "n": n},
                    )
                    .scalars()
                    .all()
                )
            )
        return free.pop()


class _BatchSession:
    """What the steps' code sees as ``ctx.session``: the rows in memory, the catalogue from the
    database.

    ``add`` keeps a new row; ``flush`` gives new rows their ids and defaults and counts versions
    (as the ORM's flush would); ``get`` finds a batch's row, or loads a process record (which the
    batch then holds) or a catalogue row; a query (``scalar``, ``execute``...) first writes what
    the batch holds, so it sees the batch's rows, as the ORM's autoflush would.
    """

    def __init__(self, batch: Batch, session: Session):
        self._batch, self._real = batch, session
        self._catalogue: dict[tuple[type[Any], Any], Any] = {}

    @property
    def no_autoflush(self) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()

    def add(self, obj: Any) -> None:
        cols = _Columns.of(obj)
        if cols.table in _LOGS:  # complete when added, never changed: a row to insert
            values = cols.values(obj)
            for key, limit in cols.texts:
                _fits(key, limit, values[key])
            del values[cols.pk]  # type: ignore[arg-type]
            self._batch._log(cols.table, values)
        else:
            self._batch._adopt(obj, None)

    def flush(self) -> None:
        self._batch._flush_point()

    def get(self, kind: type[Any], ident: Any) -> Any:
        return self._batch._get(kind, ident)

    def catalogue(self, kind: type[Any], ident: Any) -> Any:
        key = (kind, ident)
        if key not in self._catalogue:
            self._catalogue[key] = self._real.get(kind, ident)
        return self._catalogue[key]

    def get_bind(self) -> Any:
        return self._real.get_bind()

    def _query(self, name: str, *args: Any, **kwargs: Any) -> Any:
        self._batch._write()
        return getattr(self._real, name)(*args, **kwargs)

    def scalar(self, *args: Any, **kwargs: Any) -> Any:
        return self._query("scalar", *args, **kwargs)

    def scalars(self, *args: Any, **kwargs: Any) -> Any:
        return self._query("scalars", *args, **kwargs)

    def execute(self, *args: Any, **kwargs: Any) -> Any:
        return self._query("execute", *args, **kwargs)


class _BatchUnit:
    """What the steps see as ``ctx.uow``: the batch's session; after-commit work goes to the
    batch's real unit of work."""

    def __init__(self, session: _BatchSession, real: UnitOfWork):
        self.session, self._real = session, real

    def after_commit(self, callback: Any) -> None:
        self._real.after_commit(callback)


#: the tables whose rows are process records the steps look up by id (others: the catalogue)
_RECORDS = frozenset(m.class_ for m in Base.registry.mappers if m.version_id_col is not None)


def _moves(process: Process) -> dict[tuple[str, str], Step]:
    """(trigger, state) → the step that fires, as the shared machine and :meth:`Process.step`
    find it: the first row of the table for that trigger leaving that state."""
    found: dict[tuple[str, str], Step] = {}
    for step in process.table:
        if not step.opens:
            for state in step.source:
                found.setdefault((step.trigger, state), step)
    return found


_MOVES = _moves(REACTIVE)


def _effect_inside(step: Step) -> Any:
    """The effect a reactive step runs after its first-action mark (``_responding``'s)."""
    cells = getattr(step.effect, "__closure__", None) or ()
    return next((c.cell_contents for c in cells if callable(c.cell_contents)), None)


#: the close step, whose effect the batch does itself (:meth:`Batch._close`) — only while it is
#: the first-action mark around ``calls.steps._close``: a changed step runs its own effect
_CLOSE = next(
    (s for s in REACTIVE.table if s.trigger == "close" and _effect_inside(s) is calls_steps._close),
    None,
)
#: per step, the answer that becomes its audit event's reason (as :meth:`Process.fire` picks it)
_REASONS = {id(s): s.reason or ("reason" if s.ask("reason") else None) for s in REACTIVE.table}
_AUDIT: Table = AuditEventRow.__table__  # type: ignore[assignment]
_CONTACTS: Table = CallContactRow.__table__  # type: ignore[assignment]
_CALLS: Table = CallRow.__table__  # type: ignore[assignment]
_DIRTY: Table = KpiDirtyRow.__table__  # type: ignore[assignment]
_ANCHORS = ("closed_at", "registered_at", "resolved_at")  # the KPI marks' anchors
#: the SQLite triggers a batch stands in for, as the migrations make them (whitespace folded)
_KNOWN_TRIGGERS = {
    "calls_search_insert": " ".join(search_index._TRIGGERS["calls_search_insert"].split()),
    "calls_kpi_dirty_insert": " ".join(
        (
            "CREATE TRIGGER calls_kpi_dirty_insert AFTER INSERT ON calls BEGIN"
            " INSERT INTO kpi_dirty (anchor, at) SELECT a, t FROM ("
            + " UNION ".join(
                f"SELECT '{a}' AS a, NEW.{a} AS t"
                for a in ("registered_at", "resolved_at", "closed_at")
            )
            + ") WHERE t IS NOT NULL; END"
        ).split()
    ),
}
_LIMITS = {
    k: limit_of(CallRow.__table__.c[k]) for k in ("caller", "summary", "service_id", "solution")
}
_MISSING = object()
#: what :func:`bpsm.clock.now` returns while set (:func:`bpsm.clock.travel` sets it so)
_NOW = clock._override
_WHOLE = (int, type(None))  # a survey score's types that need no JSON check


def _iso_is_stored(proc: Any) -> bool:
    """Whether an aware UTC time's ISO form (its first 26 characters) is exactly what the
    column type's bind processor ``proc`` stores on SQLite (then the batch formats times so,
    in C; a type that stores them otherwise keeps its processor)."""
    probes = (datetime(2026, 1, 5, 7, 0, tzinfo=UTC), datetime(987, 12, 31, 23, 59, 58, 7, UTC))
    return all(proc(t) == t.isoformat(" ", "microseconds")[:26] for t in probes)


#: rows per ``INSERT ... VALUES`` statement on SQLite, and its limit of ``?`` per statement
_ROWS_PER_INSERT, _SQLITE_VARIABLES = 200, 32_766
_REASON_LIMIT = dict(_texts(class_mapper(AuditEventRow)))["reason"]


def _plain(data: dict[str, Any]) -> bool:
    """Whether ``data`` obviously passes the JSON text rules: text keys, values None, whole
    numbers, True/False or ASCII texts without NUL (anything else gets the full check)."""
    for key, value in data.items():
        kind = type(value)
        if type(key) is not str or not key.isascii() or "\x00" in key:
            return False
        if value is None or kind is int or kind is bool:
            continue
        if kind is not str or not value.isascii() or "\x00" in value:
            return False
    return True


_CONTACT_TEXTS = _texts(class_mapper(CallContactRow))


class Batch:
    """Registrations and transitions of calls, validated in memory, written in bulk.

    Made by :meth:`bpsm.Desk.bulk`; see :mod:`bpsm.bulk`. Each action takes ``by`` (default
    the batch's person) and ``at`` (default now). Actions on calls written by earlier batches or
    the one-action API load them once.
    """

    def __init__(self, desk: DeskPort, by: str, *, chunk: int = 5_000):
        if not isinstance(chunk, int) or isinstance(chunk, bool) or chunk < 1:
            raise ValidationError(
                Problem(f"{shown(chunk)} must be a whole number ≥ 1", field="chunk")
            )
        self._desk = desk
        self._by = desk.person(by)
        self._people: dict[str, Person] = {by: self._by}
        self._chunk = chunk
        self._failed: BaseException | None = None
        self._closed = False
        self._tracks: dict[int, _Track] = {}  # id(obj) → its track, for every row held
        self._records: dict[tuple[type[Any], int], _Track] = {}
        self._touched: list[_Track] = []
        self._logs: dict[Table, list[dict[str, Any]]] = {}  # audit events, contacts: in order
        self._may: dict[tuple[str, str], bool] = {}  # (person, trigger) → permitted
        self._fine: set[tuple[Any, int | None]] = set()  # short texts that fit their column
        self._stand_in: list[str] = []  # SQLite triggers the batch does the work of
        self._restore: list[str] = []  # their SQL, to put them back
        self._pending = 0
        self.registered = 0
        self.actions = 0
        self.written: dict[str, int] = {}

    # -- the batch's life -----------------------------------------------------------------------

    def _start(self, uow: UnitOfWork) -> None:
        self._real = uow.session
        if self._real.get_bind().dialect.name == "sqlite":  # the write lock, before any id
            self._real.execute(text("UPDATE calls SET id = id WHERE 0"))
            self._stand_in_for_triggers()
        self._ids = _Ids(self._real)
        self._session = _BatchSession(self, self._real)
        self._unit = _BatchUnit(self._session, uow)

    def _finish(self) -> None:
        if self._failed is not None:
            raise self._failed
        self._write()
        self._put_triggers_back()
        self._closed = True

    # -- registering ----------------------------------------------------------------------------

    def register(
        self,
        *,
        caller: str,
        channel: str,
        summary: str,
        by: str | None = None,
        service: str | None = None,
        accept: bool = False,
        solution: str | None = None,
        self_service_faq: int | None = None,
        at: datetime | None = None,
    ) -> int:
        """Register a call, as :meth:`desk.calls.register <bpsm.processes.calls.facade.Calls.
        register>` does (the same arguments, checks and steps); its number (the call id)."""
        self._usable()
        try:
            person = self._person(by)
            moment = self._moment(at)
            if not self._may.get((person.id, "register")):
                REACTIVE.require(person, "register")
                self._may[(person.id, "register")] = True
            caller = clean_text("caller", caller, limit=_LIMITS["caller"])
            summary = clean_text("summary", summary, limit=_LIMITS["summary"])
            channels = self._desk.config.channels
            channel = one_of("channel", channel, channels, what="desk's channels")
            if service is not None:
                service = clean_text("service", service, limit=_LIMITS["service_id"])
            if not isinstance(accept, bool):
                raise ValidationError(
                    Problem(f"{shown(accept)} must be True or False", field="accept")
                )
            if solution is not None:
                clean_text("solution", solution, limit=_LIMITS["solution"], required=False)
            if solution is not None and not accept:
                raise ValidationError(
                    "solution: resolving at first contact needs accept=True (a standard service)"
                )
            token = _NOW.set(moment)
            try:
                row = self._register(
                    person, caller=caller, channel=channel, summary=summary, service_id=service
                )
                if self_service_faq is not None:
                    self._step(row, "flag_self_service", person, {"faq": self_service_faq})
                if accept:
                    self._step(row, "accept", person, {})
                if solution is not None:
                    self._step(row, "resolve", person, {"solution": solution})
                self._flush_point()
            finally:
                _NOW.reset(token)
        except BaseException as err:
            raise self._refused(err, None, "register") from None
        self.registered += 1
        self._done()
        return int(row.id)

    def _register(
        self, by: Person, *, caller: str, channel: str, summary: str, service_id: str | None
    ) -> Any:
        """:func:`bpsm.processes.calls.steps.register`, its rows kept in the batch: the call (a
        plain record), contact 1 and the audit event."""
        # ``register`` asks for the caller and the summary (``Ask.take``): cleaned already by
        # :meth:`register`, by the same rules against the columns' tighter limits
        caller_, summary_ = caller, summary
        channels = self._desk.config.channels
        if channel not in channels:
            raise ValidationError(f"channel: {channel!r} is not one of {', '.join(channels)}")
        version = None
        if service_id is not None:
            svc = _catalogue_service(self._session, service_id)  # type: ignore[arg-type]
            if svc is None:
                raise ValidationError(f"service: {service_id!r} is not an active catalogue service")
            version = svc.current_version
        now = clock.now()
        row = _record(
            CallRow,
            {
                "state": REACTIVE.initial,
                "caller": caller_,
                "channel": channel,
                "summary": summary_,
                "service_id": service_id,
                "service_version": version,
                "registered_by": by.id,
                "group": by.group,
                "registered_at": now,
                "updated_at": now,
                "contact_count": 1,
                "escalation_count": 0,
                "reopen_count": 0,
                "is_exception": False,
            },
        )
        self._adopt(row, None)
        self._flush_point()  # its id
        contact = {
            "call_id": row.id,
            "seq": 1,
            "at": now,
            "channel": channel,
            "by": by.id,
            "note": "registered",
        }
        for key, limit in _CONTACT_TEXTS:
            _fits(key, limit, contact[key])
        self._log(_CONTACTS, contact)
        data = {"service_id": service_id, "service_version": version, "channel": channel}
        self._audit(by, "call", row.id, "register", None, row.state, None, data)
        return row

    # -- transitions ----------------------------------------------------------------------------

    def fire(
        self,
        call: int,
        trigger: str,
        *,
        by: str | None = None,
        at: datetime | None = None,
        **answers: Any,
    ) -> Context:
        """Fire step ``trigger`` of the reactive process on call ``call``, with the answers the
        step asks, as :meth:`desk.calls.fire <bpsm.processes.facade.ProcessFacade.fire>` does.

        Returns:
            The step's context (``ctx.result``: what the step handed back, e.g. the relation
            case of a referral).
        """
        self._usable()
        try:
            if not isinstance(trigger, str):
                raise ValidationError(
                    Problem(f"{shown(trigger)} is not a step name", field="trigger")
                )
            person = self._person(by)
            moment = self._moment(at)
            row = self._call(call)
            if moment < row.updated_at:
                raise ValidationError(
                    Problem(
                        f"{moment.isoformat()} is before the call's last event "
                        f"({row.updated_at.isoformat()}); a call's history runs forward",
                        field="at",
                    )
                )
            token = _NOW.set(moment)  # (clock.travel's, without its generator per action)
            try:
                ctx = self._step(row, trigger, person, answers)
                self._flush_point()
            finally:
                _NOW.reset(token)
        except BaseException as err:
            raise self._refused(err, call, trigger) from None
        self._done()
        return ctx

    def accept(self, call: int, *, by: str | None = None, at: datetime | None = None) -> None:
        """It is part of our standard service: handle it."""
        self.fire(call, "accept", by=by, at=at)

    def make_exception(
        self, call: int, *, reason: str, by: str | None = None, at: datetime | None = None
    ) -> None:
        """Not standard, but handled as a recorded exception."""
        self.fire(call, "make_exception", reason=reason, by=by, at=at)

    def refer(
        self, call: int, *, reason: str, by: str | None = None, at: datetime | None = None
    ) -> int:
        """Hand over to relation management; the new relation case's id."""
        return int(self.fire(call, "refer", reason=reason, by=by, at=at).result.id)

    def wait(
        self,
        call: int,
        *,
        for_: str,
        reason: str | None = None,
        by: str | None = None,
        at: datetime | None = None,
    ) -> None:
        """Wait for the ``"customer"`` or a ``"supplier"``."""
        if not isinstance(for_, str) or for_ not in ("customer", "supplier"):
            self._usable()
            err = ValidationError(f"waiting for: {for_!r} must be 'customer' or 'supplier'")
            raise self._refused(err, call, "wait")
        self.fire(call, f"wait_for_{for_}", reason=reason, by=by, at=at)

    def resume(
        self,
        call: int,
        *,
        note: str | None = None,
        by: str | None = None,
        at: datetime | None = None,
    ) -> None:
        """The wait is over (a customer's reply counts as a new contact)."""
        self.fire(call, "resume", reason=note, by=by, at=at)

    def escalate(
        self,
        call: int,
        *,
        to_group: str,
        reason: str,
        by: str | None = None,
        at: datetime | None = None,
    ) -> None:
        """Hand over to another group."""
        self.fire(call, "escalate", to_group=to_group, reason=reason, by=by, at=at)

    def resolve(
        self, call: int, *, solution: str, by: str | None = None, at: datetime | None = None
    ) -> None:
        """Record the solution."""
        self.fire(call, "resolve", solution=solution, by=by, at=at)

    def reopen(
        self, call: int, *, reason: str, by: str | None = None, at: datetime | None = None
    ) -> None:
        """Back to work: the customer says it is not solved."""
        self.fire(call, "reopen", reason=reason, by=by, at=at)

    def close(
        self,
        call: int,
        *,
        effort: int | None = None,
        satisfaction: int | None = None,
        survey: str | None = None,
        by: str | None = None,
        at: datetime | None = None,
    ) -> None:
        """Close a resolved call with the customer's survey answers (see ``desk.calls.close``)."""
        self.fire(
            call, "close", effort=effort, satisfaction=satisfaction, survey=survey, by=by, at=at
        )

    def cancel(
        self, call: int, *, reason: str, by: str | None = None, at: datetime | None = None
    ) -> None:
        """The customer withdrew the call."""
        self.fire(call, "cancel", reason=reason, by=by, at=at)

    def set_service(
        self,
        call: int,
        *,
        service: str,
        reason: str | None = None,
        by: str | None = None,
        at: datetime | None = None,
    ) -> None:
        """Set or correct the catalogue service the call is about."""
        self.fire(call, "set_service", service=service, reason=reason, by=by, at=at)

    def flag_self_service(
        self,
        call: int,
        *,
        faq: int,
        reason: str | None = None,
        by: str | None = None,
        at: datetime | None = None,
    ) -> None:
        """Flag the call as answerable from FAQ entry ``faq`` of its service."""
        self.fire(call, "flag_self_service", faq=faq, reason=reason, by=by, at=at)

    def unflag_self_service(
        self,
        call: int,
        *,
        reason: str | None = None,
        by: str | None = None,
        at: datetime | None = None,
    ) -> None:
        """Clear the self-service flag."""
        self.fire(call, "unflag_self_service", reason=reason, by=by, at=at)

    def log_contact(
        self,
        call: int,
        *,
        channel: str,
        note: str | None = None,
        by: str | None = None,
        at: datetime | None = None,
    ) -> None:
        """Another contact with the customer about this call."""
        self.fire(call, "log_contact", channel=channel, note=note, by=by, at=at)

    # -- replayed history ------------------------------------------------------------------------

    def replayed(
        self,
        call: dict[str, Any],
        contacts: list[dict[str, Any]],
        events: list[dict[str, Any]],
        *,
        skip_refused: bool = False,
    ) -> int:
        """Write a call whose path was replayed on the reactive step table (an import): its row
        (without ``id`` and ``version``), contacts and audit events (without ids; ``record_id``
        is filled in), as they stand; its number. See "Replayed history" in :mod:`bpsm.bulk`.

        ``skip_refused``: a refused call raises its error but leaves the batch usable (nothing
        of the call was held), so an importer can report it and go on.

        Raises:
            InvalidTransition: an event is no step of the table from the state before it.
            PermissionDenied: the batch's person may not fire one of the steps.
            ValidationError: times go back or lie in the future, the channel is not the desk's,
                a text does not fit its column.
        """
        self._usable()
        if skip_refused:
            self._check_replayed(call, contacts, events)
        try:
            if not skip_refused:
                self._check_replayed(call, contacts, events)
            ident = self._ids.take(CallRow.__table__, "id")  # type: ignore[arg-type]
            key = str(ident)
            self._logs.setdefault(CallRow.__table__, []).append(  # type: ignore[arg-type]
                {**call, "id": ident, "version": 1}
            )
            self._logs.setdefault(CallContactRow.__table__, []).extend(  # type: ignore[arg-type]
                {**c, "call_id": ident} for c in contacts
            )
            self._logs.setdefault(AuditEventRow.__table__, []).extend(  # type: ignore[arg-type]
                {**e, "record_id": key} for e in events
            )
        except BaseException as err:
            raise self._refused(err, None, "replayed") from None
        self.registered += 1
        self.actions += len(events)
        self._pending += len(events)
        if self._pending >= self._chunk:
            self._write()
            self._forget()
        return ident

    def add_row(self, table: Table, row: dict[str, Any]) -> None:
        """Another row to write in this batch's transaction, after its calls (e.g. an
        importer's ledger entry naming the call :meth:`replayed` wrote)."""
        self._usable()
        self._logs.setdefault(table, []).append(row)

    def _check_replayed(
        self, call: dict[str, Any], contacts: list[dict[str, Any]], events: list[dict[str, Any]]
    ) -> None:
        if not events or events[0]["trigger"] != "register":
            raise ValidationError("replayed: a call's history starts with its registration")
        state: str | None = None
        last = events[0]["at"]
        now = clock.now()
        for ev in events:
            trigger, to = ev["trigger"], ev["to_state"]
            if (state, trigger, to) not in _STEPS:
                allowed = sorted({t for s, t, _ in _STEPS if s == state})
                raise InvalidTransition("call", trigger, state or "(new)", allowed)
            if not self._may.get((ev["actor"], trigger)):
                REACTIVE.require(self._person(ev["actor"]), trigger)
                self._may[(ev["actor"], trigger)] = True
            at = ev["at"]
            if at < last:
                raise ValidationError(
                    Problem(f"{at.isoformat()} is before {last.isoformat()}", field="at")
                )
            last, state = at, to
        if last > now:
            raise ValidationError(
                Problem(f"{last.isoformat()} is in the future (now {now.isoformat()})", field="at")
            )
        if call["state"] != state:
            raise ValidationError(
                Problem(f"the call's state {call['state']!r} is not its path's end {state!r}")
            )
        one_of("channel", call["channel"], self._desk.config.channels, what="desk's channels")
        fine = self._fine
        for cols, rows in (
            (_CALL_TEXTS, (call,)),
            (_CONTACT_TEXTS, contacts),
            (_AUDIT_TEXTS, events),
        ):
            for row in rows:
                for key, limit in cols:
                    value = row.get(key)
                    if limit is None and type(value) is dict and _plain(value):
                        continue  # (as an audit event's data of the one-action path)
                    if limit is None or not isinstance(value, str):
                        _fits(key, limit, value)
                    elif (value, limit) not in fine:
                        self._check(key, limit, value)

    # -- one action -----------------------------------------------------------------------------

    def _step(self, row: Any, trigger: str, person: Person, answers: dict[str, Any]) -> Any:
        """:meth:`Process.fire <bpsm.processes.base.Process.fire>` on the reactive step table,
        in its order (permission, transition, answers, guards, state column, effect, audit
        event), the audit event kept as a row to insert. The table's moves and each person's
        permissions are looked up once, not per action."""
        self._touch(row)
        key = (person.id, trigger)
        may = self._may.get(key)
        if may is None:
            may = self._may[key] = REACTIVE.may(person, trigger)
        if not may:
            REACTIVE.require(person, trigger)  # raises the one-action API's refusal
        source = row.state
        step = _MOVES.get((trigger, source))
        if step is None:
            REACTIVE.next_state(source, trigger, f"call {row.id}")  # raises InvalidTransition
            raise AssertionError(f"{trigger} from {source}: not in the step table's moves")
        cleaned = dict(answers)
        for ask in step.asks:
            cleaned[ask.name] = ask.take(answers)
        ctx = Context(self._unit, row, person, step, source, cleaned, self._desk)  # type: ignore[arg-type]
        for guard in step.guards:
            guard.check(ctx)
        reason_key = _REASONS[id(step)]
        ctx.reason = cleaned.get(reason_key) if reason_key else None
        dest = source if step.dest is None else step.dest
        row.state = dest
        row.updated_at = clock.now()
        if step is _CLOSE:
            self._close(ctx)
        elif step.effect is not None:
            step.effect(ctx)
        self._audit(person, "call", row.id, trigger, source, dest, ctx.reason, ctx.data)
        return ctx

    def _close(self, ctx: Context) -> None:
        """The ``close`` step's effect (:func:`bpsm.processes.calls.steps._close` after the
        first-action mark) with :func:`bpsm.processes.surveys.steps.at_close`'s decision, the
        survey a plain record: answered or declined at the close, or not asked (the policy does
        not sample the call). A sampled call goes to ``at_close`` itself (the per-caller cap
        asks the database)."""
        row, by, now = ctx.row, ctx.by, clock.now()
        if row.responded_at is None:
            row.responded_at = now
        row.closed_at = now
        effort, satisfaction = ctx.effort, ctx.satisfaction
        declined = ctx.survey == calls_steps.NOT_ANSWERED
        answered = effort is not None or satisfaction is not None
        policy = ctx.env.config.survey
        if not (answered or declined) and policy.sampled(row.id):
            ctx.data = surveys.at_close(
                ctx.session,
                by,
                row,
                policy,
                effort=effort,
                satisfaction=satisfaction,
                declined=declined,
            )
            return
        survey = None
        if answered or declined:
            trigger = "answer" if answered else "decline"
            key = (by.id, f"survey.{trigger}")
            may = self._may.get(key)
            if may is None:
                may = self._may[key] = surveys.SURVEY.may(by, trigger)
            if not may:
                surveys.SURVEY.require(by, trigger)  # raises
            survey = _record(
                SurveyRow,
                {
                    "kind": "call",
                    "state": "answered" if answered else "declined",
                    "call_id": row.id,
                    "caller": surveys.caller_key(row.caller),
                    "created_at": now,
                    "updated_at": now,
                    "send_at": now,
                    "sent_at": now,
                    "closed_at": now,
                    "answered_by": by.id,
                    "answered_via": "close",
                    "answered_at": now if answered else None,
                    "effort_score": effort,
                    "satisfaction": satisfaction,
                },
            )
            self._adopt(survey, None)
        row.survey = "not_asked" if survey is None else surveys.CALL_SURVEY[survey.state]
        row.effort_score, row.satisfaction = effort, satisfaction
        data: dict[str, Any] = {"survey": row.survey}
        if answered:
            data |= {"effort": effort, "satisfaction": satisfaction}
        ctx.data = data
        if survey is None:
            data["why"] = "sample"
            return
        self._flush_point()  # as at_close flushes: the survey's id for its trail
        ask = {"call_id": row.id}
        self._audit(by, "survey", survey.id, "ask", None, "pending", None, ask, plain=True)
        if answered:
            extra = {"effort": effort, "satisfaction": satisfaction, "via": "close"}
            plain = type(effort) in _WHOLE and type(satisfaction) in _WHOLE
            self._audit(
                by, "survey", survey.id, "answer", "pending", survey.state, None, extra, plain
            )
        else:
            self._audit(by, "survey", survey.id, "decline", "pending", survey.state, None, None)

    def _audit(
        self,
        by: Person,
        record_type: str,
        ident: Any,
        trigger: str,
        source: str | None,
        dest: str | None,
        reason: str | None,
        data: dict[str, Any] | None,
        plain: bool = False,
    ) -> None:
        """:func:`bpsm.processes.base.audit`'s event, as a row to insert (its texts checked;
        ``plain``: ``data`` is the batch's own, of ids and whole numbers, :func:`_plain`)."""
        values = {
            "at": clock.now(),
            "actor": by.id,
            "record_type": record_type,
            "record_id": str(ident),
            "trigger": trigger,
            "from_state": source,
            "to_state": dest,
            "reason": reason,
            "data": data or None,
        }
        if reason is not None:  # the others: the step table's names, ids, staff ids
            _fits("reason", _REASON_LIMIT, reason)
        if data and not plain and not _plain(data):
            _fits("data", None, data)
        self._log(_AUDIT, values)

    def _log(self, table: Table, values: dict[str, Any]) -> None:
        self._logs.setdefault(table, []).append(values)

    def _usable(self) -> None:
        if self._failed is not None:
            raise self._failed
        if self._closed:
            raise ValidationError("bulk: this batch has ended; open another with desk.bulk()")

    def _person(self, by: str | None) -> Person:
        if by is None:
            return self._by
        found = self._people.get(by) if isinstance(by, str) else None
        if found is None:
            found = self._people[by] = self._desk.person(by)
        return found

    def _moment(self, at: datetime | None) -> datetime:
        now = clock.now()
        if at is None:
            return now
        if type(at) is not datetime or at.tzinfo is not UTC:  # (UTC already: as it stands)
            if not isinstance(at, datetime) or at.tzinfo is None or at.utcoffset() is None:
                raise ValidationError(
                    Problem(f"{shown(at)} must be a datetime with a time zone", field="at")
                )
            at = clock.to_utc(at)
        if at > now:
            raise ValidationError(
                Problem(f"{at.isoformat()} is in the future (now {now.isoformat()})", field="at")
            )
        return at

    def _call(self, call: Any) -> CallRow:
        ident = record_id("call", call)
        row = self._get(CallRow, ident)
        if row is None:
            raise NotFound("call", ident)
        return row

    def _refused(self, err: BaseException, call: Any, action: str) -> BaseException:
        """The error to raise for a refused action, naming the call and the action; the batch
        is refused from now on."""
        if not isinstance(err, BpsmError):
            typed = translate(err)
            if typed is None:
                self._failed = err
                return err
            err = typed
        where = _number(call) if isinstance(call, int) and not isinstance(call, bool) else None
        if isinstance(err, InvalidTransition):
            err = InvalidTransition(
                f"call {where}" if where else err.record, err.trigger, err.state, err.allowed
            )
        else:
            head = f"{where} {action}" if where else action
            err.args = (f"{head}: {err}", *err.args[1:])
        self._failed = err
        return err

    def _done(self) -> None:
        self.actions += 1
        self._pending += 1
        if self._pending >= self._chunk:
            self._write()
            self._forget()

    # -- the rows in memory ---------------------------------------------------------------------

    def _adopt(self, obj: Any, written: dict[str, Any] | None) -> _Track:
        track = self._tracks.get(id(obj))
        if track is None:
            track = self._tracks[id(obj)] = _Track(obj, written)
        self._touched.append(track)
        return track

    def _touch(self, obj: Any) -> None:
        track, touched = self._tracks[id(obj)], self._touched
        if not touched or touched[-1] is not track:
            touched.append(track)

    def _get(self, kind: type[Any], ident: Any) -> Any:
        if kind not in _RECORDS:
            return self._session.catalogue(kind, ident)
        found = self._records.get((kind, ident))
        if found is not None:
            self._touched.append(found)
            return found.obj
        loaded = self._real.get(kind, ident)
        if loaded is None:
            return None
        self._real.expunge(loaded)  # the batch writes it, never the ORM
        row = _record(kind, _Columns.of(loaded).values(loaded))
        track = self._adopt(row, None)
        track.written = track.cols.values(row)
        track.flushed = dict(track.written)
        self._records[(kind, ident)] = track
        return row

    def _flush_point(self) -> None:
        """What the ORM's flush does to the rows: ids, defaults, versions; texts checked."""
        touched, self._touched = self._touched, []
        if len(touched) > 1:
            touched = list({id(t): t for t in touched}.values())
        fine = self._fine
        for track in touched:
            obj, cols = track.obj, track.cols
            d = obj.__dict__
            if track.flushed is None:  # new: defaults, an id, version 1
                for key, default in cols.defaults:
                    if d.get(key) is None:
                        value = default.arg(None) if default.is_callable else default.arg
                        setattr(obj, key, value)
                if cols.pk is not None and d.get(cols.pk) is None:
                    setattr(obj, cols.pk, self._ids.take(cols.table, cols.pk))
                    if _kind(obj) in _RECORDS:
                        self._records[(_kind(obj), d[cols.pk])] = track
                if cols.versioned:
                    obj.version = 1
                for key, limit in cols.texts:
                    value = d.get(key)
                    if value is not None and (limit is None or (value, limit) not in fine):
                        self._check(key, limit, value)
                track.flushed = cols.values(obj)
                continue
            flushed = track.flushed
            if isinstance(obj, _Record):  # its __dict__ is its columns: compared as it stands
                if d == flushed:
                    continue
                now = d
            else:
                now = cols.values(obj)
            if now != flushed:
                for key, limit in cols.texts:
                    value = now[key]
                    if (
                        value is not None
                        and value != flushed[key]
                        and (limit is None or (value, limit) not in fine)
                    ):
                        self._check(key, limit, value)
                if cols.versioned:
                    obj.version = now["version"] = flushed["version"] + 1
                track.flushed = now if now is not d else dict(d)

    def _check(self, key: str, limit: int | None, value: Any) -> None:
        """:func:`bpsm.store.uow.refuse_unfit_values`'s test of one value; a short text that
        passed is remembered (states, channels, groups, staff ids come again and again)."""
        _fits(key, limit, value)
        if (
            limit is not None
            and isinstance(value, str)
            and len(value) <= 64
            and len(self._fine) < 100_000
        ):
            self._fine.add((value, limit))

    # -- to the database ------------------------------------------------------------------------

    def _write(self) -> None:
        """Write what the batch holds: one ``executemany`` per table for new rows, one for
        changed rows (checking each one's version, as the ORM does)."""
        if self._touched:
            self._flush_point()
        inserts: dict[Table, list[dict[str, Any]]] = {}
        updates: dict[Table, list[tuple[dict[str, Any], Any]]] = {}
        for track in self._tracks.values():
            now = track.cols.values(track.obj)
            if track.written is None:  # (audit events and contacts are never held: _logs)
                inserts.setdefault(track.cols.table, []).append(now)
            elif now != track.written:
                updates.setdefault(track.cols.table, []).append((now, track.written["version"]))
            track.written = now
        for table, logged in self._logs.items():
            inserts.setdefault(table, []).extend(logged)
        self._logs = {}
        s = self._real
        sqlite = s.get_bind().dialect.name == "sqlite"
        for table in sorted(inserts, key=_ORDER.__getitem__):
            if sqlite:  # (a replayed call's row may name fewer columns than a held one's)
                for _, run in itertools.groupby(inserts[table], key=tuple):
                    self._insert_sqlite(s, table, list(run))
            else:
                s.execute(insert(table), inserts[table])
            self.written[table.name] = self.written.get(table.name, 0) + len(inserts[table])
            if table is _CALLS and self._stand_in:
                self._triggered(s, inserts[table])
        for table, changed in updates.items():
            self._update(s, table, changed)
        self._pending = 0

    def _insert_sqlite(self, s: Session, table: Table, rows: list[dict[str, Any]]) -> None:
        """``INSERT`` ``rows``: each value through its column type's own bind processor (a
        time used by several rows formatted once), in statements of many rows each (``INSERT
        ... VALUES (...), (...)``: SQLite's per-statement cost paid once per block, not per
        row), by the driver."""
        if not rows:
            return
        dialect = s.get_bind().dialect
        keys = list(rows[0])
        columns = [table.c[k] for k in keys]
        procs = [c.type._cached_bind_processor(dialect) for c in columns]
        times = {i for i, c in enumerate(columns) if isinstance(c.type, UTCDateTime)}
        converted = [(i, p) for i, p in enumerate(procs) if p is not None and i not in times]
        timed = [(i, p) for i, p in enumerate(procs) if p is not None and i in times]
        fast = all(_iso_is_stored(p) for _, p in timed)  # else each through its processor
        memo: dict[Any, Any] = {}  # (a row's times often repeat: updated_at, closed_at...)
        pick = operator.itemgetter(*keys)
        flat: list[Any] = []
        extend = flat.extend
        for row in rows:
            values = list(pick(row)) if len(keys) > 1 else [row[keys[0]]]
            for i, proc in converted:
                values[i] = proc(values[i])
            for i, proc in timed:
                value = values[i]
                if value is not None:
                    found = memo.get(value)
                    if found is None:
                        found = memo[value] = (
                            value.isoformat(" ", "microseconds")[:26]
                            if fast and value.tzinfo is UTC
                            else proc(value)
                        )
                    values[i] = found
            extend(values)
        names = ", ".join(dialect.identifier_preparer.quote(c.name) for c in columns)
        one = f"({', '.join('?' * len(keys))})"
        per = max(1, min(_ROWS_PER_INSERT, _SQLITE_VARIABLES // len(keys)))
        width = per * len(keys)
        conn = s.connection()
        sql = None
        for at in range(0, len(flat), width):
            block = flat[at : at + width]
            n = len(block) // len(keys)
            if sql is None or n != per:
                sql = f"INSERT INTO {table.name} ({names}) VALUES {', '.join([one] * n)}"
            conn.exec_driver_sql(sql, tuple(block))

    def _triggered(self, s: Session, calls: list[dict[str, Any]]) -> None:
        """What the SQLite insert triggers the batch stands in for write, for new calls: their
        search index entries, their KPI marks (one per anchor time set)."""
        if "calls_search_insert" in self._stand_in:
            index = s.get_bind().dialect.identifier_preparer.quote(search_index.TABLE)
            flat = [v for c in calls for v in (c["id"], c["caller"], c["summary"])]
            per = _ROWS_PER_INSERT * 3
            conn = s.connection()
            for at in range(0, len(flat), per):
                block = flat[at : at + per]
                rows = ", ".join(["(?, ?, ?)"] * (len(block) // 3))
                conn.exec_driver_sql(
                    f"INSERT INTO {index}(rowid, caller, summary) VALUES {rows}", tuple(block)
                )
        if "calls_kpi_dirty_insert" in self._stand_in:
            marks = [{"anchor": a, "at": c[a]} for c in calls for a in _ANCHORS if c[a] is not None]
            self._insert_sqlite(s, _DIRTY, marks)

    def _stand_in_for_triggers(self) -> None:
        """On SQLite, take away the row-by-row insert triggers on ``calls`` (the search index,
        the KPI marks) for the batch and write what they would, per chunk
        (:meth:`_triggered`) — only the triggers whose text is exactly the one known here;
        any other trigger stays and fires. They are put back, as they were, before the batch
        commits; inside the transaction, so a batch that fails or is killed leaves them too."""
        conn = self._real.connection()
        for name, sql in conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'calls'"
        ):
            if _KNOWN_TRIGGERS.get(name) == " ".join(sql.split()):
                conn.exec_driver_sql(f"DROP TRIGGER {name}")
                self._stand_in.append(name)
                self._restore.append(sql)

    def _put_triggers_back(self) -> None:
        conn = self._real.connection()
        for sql in self._restore:
            conn.exec_driver_sql(sql)
        self._restore, self._stand_in = [], []

    def _update(self, s: Session, table: Table, rows: list[tuple[dict[str, Any], Any]]) -> None:
        """Changed rows held since before this write: each checked against the version it had,
        one statement each (rows loaded from earlier writes: few)."""
        keys = [c.name for c in table.columns if c.name != "id"]
        stmt = (
            update(table)
            .where(table.c.id == bindparam("b_id"), table.c.version == bindparam("b_seen"))
            .values({k: bindparam(f"v_{k}") for k in keys})
        )
        for now, seen in rows:
            params = {f"v_{k}": now[k] for k in keys} | {"b_id": now["id"], "b_seen": seen}
            if s.execute(stmt, params).rowcount != 1:  # type: ignore[attr-defined]
                raise ConcurrentModification(f"{table.name} {now['id']}", seen)
        self.written[table.name] = self.written.get(table.name, 0) + len(rows)

    def _forget(self) -> None:
        self._tracks.clear()
        self._records.clear()
        self._touched.clear()


@contextlib.contextmanager
def bulk(desk: DeskPort, *, by: str, chunk: int = 5_000) -> Iterator[Batch]:
    """A batch on ``desk`` (:class:`Batch`), committed when the block ends, rolled back on any
    error — a refused action included."""
    batch = Batch(desk, by, chunk=chunk)
    with desk.unit() as uow:
        batch._start(uow)
        try:
            yield batch
            batch._finish()
        except BaseException:
            batch._closed = True
            raise
