"""Reactive management: ONE process for every call about a standard service.

The operator asks: is this part of our standard service? Yes → ``accept`` and handle it. No → do
we make an exception? Yes → ``make_exception`` (recorded, with the reason). No → ``refer`` the
customer to relation management. Then: in progress ⇄ waiting (for the customer or a supplier),
``escalate`` to another group, ``resolve``, ``reopen``, ``close`` with the survey answers.

First time right is derived from stored facts: resolved during contact 1, never escalated,
never reopened. Resuming after waiting for the customer counts as a new contact (their reply).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from bpsm import clock
from bpsm.errors import GuardFailed, ValidationError
from bpsm.processes.base import Process, Step, audit, load_row
from bpsm.roles import Person, require
from bpsm.store.tables import CallContactRow, CallRow, RelationCaseRow, ServiceRow

__all__ = ["REACTIVE", "OPEN_STATES"]

S = Step.row
WAITING = ("waiting_customer", "waiting_supplier")

#: The reactive process, top to bottom.
REACTIVE = Process(
    name="call",
    states=("registered", "in_progress", "waiting_customer", "waiting_supplier", "resolved", "closed",
            "referred", "cancelled"),
    initial="registered",
    final=("closed", "referred", "cancelled"),
    table=(
        S("accept", "registered", "in_progress", "part of our standard service: handle it"),
        S("make_exception", "registered", "in_progress", "not standard, but we make an exception (reason recorded)"),
        S("refer", "registered", "referred", "not standard, no exception: hand over to relation management"),
        S("wait_for_customer", "in_progress", "waiting_customer", "waiting for the customer"),
        S("wait_for_supplier", "in_progress", "waiting_supplier", "waiting for a supplier"),
        S("resume", WAITING, "in_progress", "the wait is over"),
        S("escalate", "in_progress", "in_progress", "hand over to another group (second line)"),
        S("resolve", "in_progress", "resolved", "solved; the solution is recorded"),
        S("reopen", "resolved", "in_progress", "the customer says it is not solved"),
        S("close", "resolved", "closed", "confirmed; survey answers recorded"),
        S("cancel", ("registered", "in_progress", *WAITING), "cancelled", "withdrawn by the customer"),
    ),
)

OPEN_STATES = ("registered", "in_progress", "waiting_customer", "waiting_supplier", "resolved")
CHANNELS_FALLBACK = ("phone", "email", "walk-in", "portal", "chat")


def _text(field: str, value: str | None, *, required: bool = True) -> str | None:
    if value is None or not str(value).strip():
        if required:
            raise ValidationError(f"{field}: must not be empty")
        return None
    return str(value).strip()


def load(s: Session, call_id: int, expected_version: int | None = None) -> CallRow:
    """Fetch a call row, checking the version the caller last saw (optimistic concurrency)."""
    return load_row(s, CallRow, "call", call_id, expected_version)


def register(s: Session, by: Person, *, caller: str, channel: str, summary: str, service_id: str | None,
             channels: tuple[str, ...] = CHANNELS_FALLBACK, group: str | None = None) -> CallRow:
    """Record a new call; the registration is contact 1. The state is ``registered``.

    The call goes to ``group``, by default the group of the person registering it.
    """
    require(by, "call.register")
    caller_ = _text("caller", caller)
    summary_ = _text("summary", summary)
    if channel not in channels:
        raise ValidationError(f"channel: {channel!r} is not one of {', '.join(channels)}")
    version = None
    if service_id is not None:
        svc = s.get(ServiceRow, service_id)
        if svc is None or not svc.active:
            raise ValidationError(f"service: {service_id!r} is not an active catalogue service")
        version = svc.current_version
    now = clock.now()
    row = CallRow(state=REACTIVE.initial, caller=caller_, channel=channel, summary=summary_,
                  service_id=service_id, service_version=version, registered_by=by.id, group=group or by.group,
                  registered_at=now, updated_at=now, contact_count=1, escalation_count=0, reopen_count=0,
                  is_exception=False)
    s.add(row)
    s.flush()
    s.add(CallContactRow(call_id=row.id, seq=1, at=now, channel=channel, by=by.id, note="registered"))
    audit(s, by, "call", row.id, "register", None, row.state, None,
          {"service_id": service_id, "service_version": version, "channel": channel})
    return row


def accept(s: Session, by: Person, row: CallRow) -> None:
    """Standard service: handle it. Guard: the call names a catalogue service."""
    REACTIVE.check(row, "accept", by)
    if row.service_id is None:
        raise GuardFailed("service_in_catalogue", "choose the catalogue service first, or make an exception / refer")
    REACTIVE.apply(s, row, "accept", by)


def make_exception(s: Session, by: Person, row: CallRow, reason: str) -> None:
    """Not standard, handled anyway as a recorded exception. Guard: a reason is given."""
    REACTIVE.check(row, "make_exception", by)
    if not (reason or "").strip():
        raise GuardFailed("exception_reason", "an exception needs a reason")
    row.is_exception, row.exception_reason = True, reason.strip()
    REACTIVE.apply(s, row, "make_exception", by, reason=reason.strip())


def refer(s: Session, by: Person, row: CallRow, reason: str) -> RelationCaseRow:
    """Not standard, no exception: open a relation case (state ``received``) for the request."""
    REACTIVE.check(row, "refer", by)
    if not (reason or "").strip():
        raise GuardFailed("referral_reason", "say why the request is not handled as a standard service")
    REACTIVE.apply(s, row, "refer", by, reason=reason.strip())
    now = clock.now()
    case = RelationCaseRow(state="received", customer=row.caller, request=row.summary, call_id=row.id,
                           opened_by=by.id, opened_at=now, updated_at=now)
    s.add(case)
    s.flush()
    audit(s, by, "relation", case.id, "receive", None, "received", reason.strip(), {"call_id": row.id})
    return case


def wait(s: Session, by: Person, row: CallRow, for_: str, reason: str | None) -> None:
    """Park the call while waiting for the customer or a supplier."""
    if for_ not in ("customer", "supplier"):
        raise ValidationError(f"waiting for: {for_!r} must be 'customer' or 'supplier'")
    REACTIVE.apply(s, row, f"wait_for_{for_}", by, reason=reason)
    row.waiting_for = for_


def resume(s: Session, by: Person, row: CallRow, note: str | None) -> None:
    """Pick the call up again; a reply from the customer is logged as a new contact."""
    was_customer = row.state == "waiting_customer"
    REACTIVE.apply(s, row, "resume", by, reason=note)
    row.waiting_for = None
    if was_customer:
        add_contact(s, by, row, row.channel, note or "customer replied", audited=False)


def escalate(s: Session, by: Person, row: CallRow, group: str, reason: str, groups: tuple[str, ...]) -> None:
    """Hand the call to another operator group (second line). Guards: a known, other group; a reason."""
    REACTIVE.check(row, "escalate", by)
    if group not in groups:
        raise GuardFailed("known_group", f"{group!r} is not one of the desk's groups ({', '.join(groups)})")
    if group == row.group:
        raise GuardFailed("other_group", f"the call is already with {group}")
    if not (reason or "").strip():
        raise GuardFailed("escalation_reason", "say why the call is escalated")
    REACTIVE.apply(s, row, "escalate", by, reason=reason.strip(), data={"from_group": row.group, "to_group": group})
    row.group = group
    row.escalation_count += 1


def resolve(s: Session, by: Person, row: CallRow, solution: str) -> None:
    """Record the solution; remembers at which contact it was resolved."""
    REACTIVE.check(row, "resolve", by)
    if not (solution or "").strip():
        raise GuardFailed("solution_recorded", "a resolution needs the solution text")
    REACTIVE.apply(s, row, "resolve", by, reason=solution.strip(), data={"contact": row.contact_count})
    row.solution, row.resolved_at, row.resolved_at_contact = solution.strip(), clock.now(), row.contact_count


def reopen(s: Session, by: Person, row: CallRow, reason: str) -> None:
    """The customer says it is not solved: back to work; first time right is lost."""
    REACTIVE.check(row, "reopen", by)
    if not (reason or "").strip():
        raise GuardFailed("reopen_reason", "say why the call is reopened")
    REACTIVE.apply(s, row, "reopen", by, reason=reason.strip())
    row.reopen_count += 1
    row.resolved_at = row.resolved_at_contact = None


def close(s: Session, by: Person, row: CallRow, effort: int | None, satisfaction: int | None) -> None:
    """Close a resolved call, with the optional survey answers (effort 1–7, satisfaction 1–5)."""
    REACTIVE.check(row, "close", by)
    for name, value, top in (("effort", effort, 7), ("satisfaction", satisfaction, 5)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= top):
            raise ValidationError(f"{name}: {value!r} is not an answer from 1 to {top}")
    REACTIVE.apply(s, row, "close", by, data={"effort": effort, "satisfaction": satisfaction})
    row.effort_score, row.satisfaction, row.closed_at = effort, satisfaction, clock.now()


def cancel(s: Session, by: Person, row: CallRow, reason: str) -> None:
    """The customer withdrew the call."""
    REACTIVE.check(row, "cancel", by)
    if not (reason or "").strip():
        raise GuardFailed("cancel_reason", "say why the call is cancelled")
    REACTIVE.apply(s, row, "cancel", by, reason=reason.strip())


def add_contact(s: Session, by: Person, row: CallRow, channel: str, note: str | None, *, audited: bool = True) -> None:
    """Log another contact with the customer (they called again, we called back, an e-mail)."""
    require(by, "call.log_contact")
    if row.state in REACTIVE.final:
        raise GuardFailed("call_open", f"call {row.id} is {row.state}; contacts go on open calls")
    row.contact_count += 1
    row.updated_at = clock.now()
    s.add(CallContactRow(call_id=row.id, seq=row.contact_count, at=clock.now(), channel=channel, by=by.id, note=note))
    if audited:
        audit(s, by, "call", row.id, "log_contact", row.state, row.state, note, {"seq": row.contact_count})
