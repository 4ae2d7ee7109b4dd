"""The desk's own reactive-call history written as an event-log CSV, one row per event.

:func:`export_events` streams the calls by id in key pages (:data:`PAGE` calls at a time, then
their audit events in one query, in id order), so memory holds one page whatever the desk's
size. Each row is one audit event of a call: the case (``C-000001``), the event's number in
the case, its time (ISO 8601 with its offset, microseconds kept), the step (``activity``) and
the state after it, the call's group after it, the person who did it (and on a ``log_effort``
row the minutes logged). The call's channel and service, and the facts a KPI needs that no
step shows, are the call's as they stand now, written on every row of its case (case
attributes, as process-mining tools read them; the import reads them from the last row):
the survey outcome and answers, the self-service flag, the exception, the business minutes to
resolve and whether the lead time was met, and the escalation and reopen counters. ``contact``
names the contact with the customer a row's step made (the registration's 1, a
``log_contact``'s own, a customer's reply on a ``resume``).

The file reads back with the shipped mapping ``bpsm`` (``bpsm/importing/mappings/bpsm.yaml``):
``activity`` is the mapped state column, the counters are trusted, the escalation steps are the
``escalate`` rows and the contacts the rows ``contact`` names — so history imported from
another desk by its own rules (ServiceNow's counters) comes back as it was. See
``docs/import.md`` for what round-trips and what does not.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, cast

from sqlalchemy import Table, select

from bpsm.errors import Problem, ValidationError
from bpsm.importing.mapping import CASE_FACTS
from bpsm.store.tables import AuditEventRow, CallContactRow, CallRow

if TYPE_CHECKING:
    from bpsm.desk import Desk

__all__ = ["CASE_FACTS", "COLUMNS", "NOT_ROUND_TRIPPED", "PAGE", "case_number", "export_events"]

PAGE = 500
"""Calls read per page (their events follow in one query)."""

NOT_ROUND_TRIPPED = {
    "effort_balance": "staff minutes are effort entries on any record (calls, relation cases, "
    "changes, tasks, improvements), not events of a call: the log carries a call's minutes "
    "(effort_minutes) for reading, and the import writes no effort entries",
    "proactive": "recommendations and jobs are records of their own, and a job is a person's "
    "first handling of a record: an import's steps are done by the importing person",
}
"""The KPIs an event log of calls cannot carry back, and why (every other one round-trips)."""

COLUMNS = (
    "case_id",
    "seq",
    "timestamp",
    "activity",
    "state",
    "group",
    "person",
    "channel",
    "service",
    "caller",
    "summary",
    "effort_minutes",
    "contact",
    *CASE_FACTS,
    "escalation_count",
    "reopen_count",
)


_CALLS = cast(Table, CallRow.__table__)
_AUDIT = cast(Table, AuditEventRow.__table__)
_CONTACTS = cast(Table, CallContactRow.__table__)


def case_number(call_id: int) -> str:
    """The call's number as customers are told it: ``C-000042``."""
    return f"C-{call_id:06d}"


def _fact(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _contacts(events: list[Any], seqs: list[int]) -> dict[int, int]:
    """Each event's place in ``events`` → the number of the contact it made.

    The registration is contact 1, a ``log_contact`` names its own; the call's other contacts
    (``seqs``, in order) are the customer's replies, one on each ``resume`` from waiting for
    the customer in turn — the desk makes one on each, an import only where its mapping said.
    """
    out: dict[int, int] = {}
    logged: set[int] = set()
    for i, e in enumerate(events):
        if e.trigger == "register":
            out[i] = 1
        elif e.trigger == "log_contact" and (e.data or {}).get("seq") is not None:
            out[i] = int(e.data["seq"])
        logged.add(out.get(i, 0))
    replies = iter(sorted(q for q in seqs if q not in logged))
    for i, e in enumerate(events):
        if e.trigger == "resume" and e.from_state == "waiting_customer":
            seq = next(replies, None)
            if seq is None:
                break
            out[i] = seq
    return out


def _rows(call: Any, events: list[Any], seqs: list[int]) -> Iterator[list[str]]:
    """The event rows of one call: group, service tracked along its steps."""
    escalations = [e for e in events if e.trigger == "escalate" and e.data]
    group = str(escalations[0].data["from_group"]) if escalations else call.group
    facts = [_fact(getattr(call, f)) for f in CASE_FACTS]  # case attributes: on every row
    counters = [str(call.escalation_count), str(call.reopen_count)]
    contacts = _contacts(events, seqs)
    for n, e in enumerate(events, 1):
        data = e.data or {}
        if e.trigger == "escalate" and "to_group" in data:
            group = str(data["to_group"])
        elif data.get("group"):  # a group taken on without an escalation (an import's regrouping)
            group = str(data["group"])
        yield [
            case_number(call.id),
            str(n),
            e.at.astimezone(UTC).isoformat(),
            e.trigger,
            e.to_state or "",
            group,
            e.actor,
            call.channel,
            call.service_id or "",
            call.caller,
            call.summary,
            _fact(data.get("minutes")) if e.trigger == "log_effort" else "",
            _fact(contacts.get(n - 1)),
            *facts,
            *counters,
        ]


def _moment(name: str, value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValidationError(Problem(f"{value.isoformat()} has no time zone", field=name))
    return value


def _opened(path: Path, named: Path) -> IO[str]:
    """``path`` opened for writing; one problem naming ``named`` when it cannot be."""
    try:
        return path.open("w", encoding="utf-8", newline="")
    except OSError as err:
        raise ValidationError(
            Problem(f"cannot write the file: {err.strerror or err}", str(named))
        ) from None


@contextmanager
def _target(path_or_stream: Path | str | IO[str]) -> Iterator[IO[str]]:
    if not isinstance(path_or_stream, str | Path):
        yield path_or_stream
        return
    if str(path_or_stream) == "-":
        yield sys.stdout
        return
    path = Path(path_or_stream)
    if path.exists() and not path.is_file():  # a device or a pipe (/dev/null): written into
        with _opened(path, path) as f:
            yield f
        return
    if path.is_symlink():  # the link stays; the file it names is the one replaced
        path = path.resolve()
    part = path.with_name(f".{path.name}.part")  # the file appears whole, or not at all
    try:
        with _opened(part, path) as f:
            yield f
        part.replace(path)
    except BaseException:
        part.unlink(missing_ok=True)
        raise


def export_events(
    desk: Desk,
    path_or_stream: Path | str | IO[str],
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> int:
    """Write the reactive calls registered in ``[since, until)`` (default: all) as an event log.

    ``path_or_stream``: a file path (``-``: standard output) or an open text stream. Returns
    the number of event rows written (the header not counted).

    Raises:
        ValidationError: the file cannot be written, or a bound has no time zone.
    """
    since, until = _moment("since", since), _moment("until", until)
    written = 0
    with _target(path_or_stream) as out:
        w = csv.writer(out, lineterminator="\n")
        w.writerow(COLUMNS)
        after = 0
        while True:
            with desk.transaction() as s:
                # Core rows (no ORM identity map): the call and audit tables' columns by name
                q = select(_CALLS).where(CallRow.id > after).order_by(CallRow.id).limit(PAGE)
                if since is not None:
                    q = q.where(CallRow.registered_at >= since)
                if until is not None:
                    q = q.where(CallRow.registered_at < until)
                calls = list(s.execute(q))
                if not calls:
                    break
                by_call: dict[str, list[Any]] = {str(c.id): [] for c in calls}
                events = s.execute(
                    select(_AUDIT)
                    .where(
                        AuditEventRow.record_type == "call",
                        AuditEventRow.record_id.in_(list(by_call)),
                    )
                    # the index (record_type, record_id, id): each call's events in id order
                    .order_by(AuditEventRow.record_id, AuditEventRow.id)
                )
                for e in events:
                    by_call[e.record_id].append(e)
                seqs: dict[int, list[int]] = {c.id: [] for c in calls}
                for call_id, seq in s.execute(
                    select(_CONTACTS.c.call_id, _CONTACTS.c.seq).where(
                        _CONTACTS.c.call_id.in_(list(seqs))
                    )
                ):
                    seqs[call_id].append(seq)
                buffer = io.StringIO()
                page = csv.writer(buffer, lineterminator="\n")
                for call in calls:
                    for row in _rows(call, by_call[str(call.id)], seqs[call.id]):
                        page.writerow(row)
                        written += 1
                after = calls[-1].id
            out.write(buffer.getvalue())
    return written
