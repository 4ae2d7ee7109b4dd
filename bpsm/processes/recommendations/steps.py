"""Proactive service delivery: recommendations registered while serving a call or a maintenance task.

Whoever handles a call or a task and sees how the customer could be better off registers a
recommendation. Its value decides its kind — never a person: at or below ``desk.yaml``'s
``recommendations.lead_threshold`` it is an **add-on**, priced from the price list (the sign-up
sheet) or by hand, that staff settle on the spot: ``offered`` → ``accepted`` (the value is booked)
or ``declined``. Above the threshold it is a **lead** for sales: ``handed_over`` →
``proposal_sent`` (the lead turnaround runs from hand-over to proposal) → ``won`` (the final value
is booked) or ``lost`` (with the reason).

Add-ons and leads share one machine; the sources in the table keep them apart (no add-on trigger
starts from a lead state and the other way round), and the database checks the same invariant.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from bpsm import clock
from bpsm.catalogue.schema import Recommendations
from bpsm.errors import GuardFailed, Problem, ValidationError
from bpsm.processes.base import Process, Step, audit, load_row
from bpsm.roles import ACCOUNT_MANAGER, DESK, MANAGER, Person, require
from bpsm.store.tables import CallRow
from bpsm.store.tables.recommendation import ADD_ON_STATES, LEAD_STATES, RecommendationRow

__all__ = ["ADD_ON_STATES", "KINDS", "LEAD_STATES", "RECOMMENDATION", "accept", "decline", "kind_for", "load",
           "lose", "register", "send_proposal", "task_table", "win"]

S = Step.row
KINDS = ("add_on", "lead")


#: The recommendation process, top to bottom: add-ons first, then leads.
RECOMMENDATION = Process(
    name="recommendation",
    states=(*ADD_ON_STATES, *LEAD_STATES),
    initial="offered",
    final=("accepted", "declined", "won", "lost"),
    table=(
        S("register", (), "offered", DESK, "an add-on offered on the spot, priced from the price list"),
        S("register", (), "handed_over", DESK, "a lead above the threshold, handed over to sales"),
        S("accept", "offered", "accepted", DESK, "add-on: the customer signs up; the value is booked"),
        S("decline", "offered", "declined", DESK, "add-on: the customer says no (we do not push)"),
        S("send_proposal", "handed_over", "proposal_sent", {ACCOUNT_MANAGER, MANAGER}, "lead: sales sends the proposal"),
        S("win", "proposal_sent", "won", {ACCOUNT_MANAGER, MANAGER}, "lead: the customer orders; the final value is booked"),
        S("lose", ("handed_over", "proposal_sent"), "lost", {ACCOUNT_MANAGER, MANAGER}, "lead: no deal, with the reason"),
    ),
)


def kind_for(value: float, threshold: float) -> str:
    """``"add_on"`` at or below the lead threshold, ``"lead"`` above it."""
    return "add_on" if value <= threshold else "lead"


def _text(field: str, value: object, *, required: bool = True) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValidationError(Problem(f"must not be empty (got {value!r})", field=field))
        return None
    if not isinstance(value, str):
        raise ValidationError(Problem(f"{value!r} is not text", field=field))
    return value.strip()


def _money(field: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise ValidationError(Problem(f"{value!r} must be a positive amount", field=field))
    return float(value)


def load(s: Session, recommendation_id: int, expected_version: int | None = None) -> RecommendationRow:
    """Fetch a recommendation, checking the version the caller last saw."""
    return load_row(s, RecommendationRow, "recommendation", recommendation_id, expected_version)


def register(s: Session, by: Person, policy: Recommendations, *, customer: str, description: str,
             call_id: int | None = None, task_id: int | None = None, item: str | None = None,
             value: float | None = None) -> RecommendationRow:
    """Record a recommendation; its kind (and so its first state) follows from the value.

    Pass exactly one of ``item`` (a price-list id: the value comes from the list) or ``value``
    (anything not on the list).

    Raises:
        ValidationError: empty customer or description, both or neither of item/value, an unknown
            item, a value that is not a positive amount, an unknown call or task.
    """
    RECOMMENDATION.require(by, "register")
    customer_ = _text("customer", customer)
    description_ = _text("description", description)
    if (item is None) == (value is None):
        raise ValidationError(Problem("give exactly one: a price-list item id, or a value for anything else",
                                      field="item/value"))
    if item is not None:
        found = next((p for p in policy.price_list if p.id == item), None)
        if found is None:
            known = ", ".join(p.id for p in policy.price_list) or "none"
            raise ValidationError(Problem(f"{item!r} is not on the price list (known: {known})", field="item"))
        amount = float(found.price)
    else:
        amount = _money("value", value)
    if call_id is not None and (isinstance(call_id, bool) or not isinstance(call_id, int)
                                or s.get(CallRow, call_id) is None):
        raise ValidationError(Problem(f"there is no call {call_id!r}", field="call_id"))
    task = task_table()
    if task_id is not None and (isinstance(task_id, bool) or not isinstance(task_id, int)
                                or (task is not None and s.get(task, task_id) is None)):
        raise ValidationError(Problem(f"there is no maintenance task {task_id!r}", field="task_id"))
    kind = kind_for(amount, policy.lead_threshold)
    now = clock.now()
    row = RecommendationRow(kind=kind, state="offered" if kind == "add_on" else "handed_over", call_id=call_id,
                            task_id=task_id, customer=customer_, description=description_, price_list_item=item,
                            value=amount, currency=policy.currency, recommended_by=by.id, recommended_at=now,
                            handed_over_at=now if kind == "lead" else None, updated_at=now)
    s.add(row)
    s.flush()
    audit(s, by, "recommendation", row.id, "register", None, row.state, description_,
          {"kind": kind, "value": amount, "currency": policy.currency, "item": item, "call_id": call_id,
           "task_id": task_id, "lead_threshold": policy.lead_threshold})
    return row


def task_table() -> Any:
    """The maintenance-task ORM class (``TaskRow``), or None on a build without maintenance tasks."""
    try:
        from bpsm.store.tables.proactive import TaskRow
    except ImportError:
        return None
    return TaskRow


def _close(by: Person, row: RecommendationRow, booked: float | None, note: str | None) -> None:
    row.closed_at, row.closed_by, row.booked_value, row.outcome_note = clock.now(), by.id, booked, note


def accept(s: Session, by: Person, row: RecommendationRow, note: str | None = None) -> None:
    """The customer takes the add-on: its value is booked."""
    note_ = _text("note", note, required=False)
    RECOMMENDATION.apply(s, row, "accept", by, reason=note_, data={"booked_value": row.value})
    _close(by, row, row.value, note_)


def decline(s: Session, by: Person, row: RecommendationRow, reason: str | None = None) -> None:
    """The customer does not want the add-on (staff recommend, they do not sell)."""
    reason_ = _text("reason", reason, required=False)
    RECOMMENDATION.apply(s, row, "decline", by, reason=reason_)
    _close(by, row, None, reason_)


def send_proposal(s: Session, by: Person, row: RecommendationRow, note: str | None = None) -> None:
    """Sales sends the proposal; the lead turnaround (hand-over → proposal) is recorded."""
    note_ = _text("note", note, required=False)
    RECOMMENDATION.check(row, "send_proposal", by)
    assert row.handed_over_at is not None
    now = clock.now()
    turnaround = (now - row.handed_over_at).total_seconds()
    RECOMMENDATION.apply(s, row, "send_proposal", by, reason=note_, data={"turnaround_seconds": turnaround})
    row.proposal_at, row.turnaround_seconds = now, turnaround


def win(s: Session, by: Person, row: RecommendationRow, final_value: float | None = None,
        note: str | None = None) -> None:
    """The customer orders: book ``final_value`` (the estimate if not given)."""
    note_ = _text("note", note, required=False)
    RECOMMENDATION.check(row, "win", by)
    booked = row.value if final_value is None else _money("final_value", final_value)
    RECOMMENDATION.apply(s, row, "win", by, reason=note_, data={"booked_value": booked, "estimate": row.value})
    _close(by, row, booked, note_)


def lose(s: Session, by: Person, row: RecommendationRow, reason: str) -> None:
    """No deal: say why (price, timing, went elsewhere…), so sales and staff learn from it."""
    RECOMMENDATION.check(row, "lose", by)
    if not isinstance(reason, str) or not reason.strip():
        raise GuardFailed("loss_reason", "say why the lead was lost")
    RECOMMENDATION.apply(s, row, "lose", by, reason=reason.strip())
    _close(by, row, None, reason.strip())
