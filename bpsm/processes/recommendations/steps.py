"""Proactive service delivery: recommendations registered while serving a call or a
maintenance task.

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
from typing import Any

from sqlalchemy.orm import Session

from bpsm import clock
from bpsm.catalogue.schema import Recommendations
from bpsm.errors import Problem, ValidationError
from bpsm.processes.base import Ask, Context, Process, Step, audit, load_row, optional, text
from bpsm.roles import ACCOUNT_MANAGER, DESK, MANAGER, Person
from bpsm.store.tables import CallRow
from bpsm.store.tables.recommendation import ADD_ON_STATES, LEAD_STATES, RecommendationRow

__all__ = [
    "ADD_ON_STATES",
    "KINDS",
    "LEAD_STATES",
    "RECOMMENDATION",
    "kind_for",
    "load",
    "register",
    "task_table",
]

S = Step.row
KINDS = ("add_on", "lead")


def _close(ctx: Context, booked: float | None) -> None:
    row = ctx.row
    row.closed_at, row.closed_by, row.booked_value, row.outcome_note = (
        clock.now(),
        ctx.by.id,
        booked,
        ctx.reason,
    )


def _accept(ctx: Context) -> None:
    ctx.data = {"booked_value": ctx.row.value}
    _close(ctx, ctx.row.value)


def _send_proposal(ctx: Context) -> None:
    row, now = ctx.row, clock.now()
    assert row.handed_over_at is not None
    turnaround = (now - row.handed_over_at).total_seconds()
    ctx.data = {"turnaround_seconds": turnaround}
    row.proposal_at, row.turnaround_seconds = now, turnaround


def _win(ctx: Context) -> None:
    booked = ctx.row.value if ctx.final_value is None else float(ctx.final_value)
    ctx.data = {"booked_value": booked, "estimate": ctx.row.value}
    _close(ctx, booked)


def _positive_amount(value: float) -> str | None:
    return None if math.isfinite(value) and value > 0 else f"{value!r} must be a positive amount"


def _note(prompt: str = "Note (optional)", name: str = "note") -> Ask:
    return optional(name, prompt)


#: The recommendation process, top to bottom: add-ons first, then leads.
RECOMMENDATION = Process(
    name="recommendation",
    states=(*ADD_ON_STATES, *LEAD_STATES),
    initial="offered",
    final=("accepted", "declined", "won", "lost"),
    table=(
        S(
            "register",
            (),
            "offered",
            DESK,
            "an add-on offered on the spot, priced from the price list",
        ),
        S("register", (), "handed_over", DESK, "a lead above the threshold, handed over to sales"),
        S(
            "accept",
            "offered",
            "accepted",
            DESK,
            "add-on: the customer signs up; the value is booked",
            asks=[_note()],
            reason="note",
            effect=_accept,
        ),
        S(
            "decline",
            "offered",
            "declined",
            DESK,
            "add-on: the customer says no (we do not push)",
            asks=[_note("Why not? (optional)", "reason")],
            effect=lambda ctx: _close(ctx, None),
        ),
        S(
            "send_proposal",
            "handed_over",
            "proposal_sent",
            {ACCOUNT_MANAGER, MANAGER},
            "lead: sales sends the proposal",
            asks=[_note()],
            reason="note",
            effect=_send_proposal,
        ),
        S(
            "win",
            "proposal_sent",
            "won",
            {ACCOUNT_MANAGER, MANAGER},
            "lead: the customer orders; the final value is booked",
            asks=[
                optional(
                    "final_value",
                    "The final value (default: the estimate)",
                    "number",
                    check=_positive_amount,
                ),
                _note(),
            ],
            reason="note",
            effect=_win,
        ),
        S(
            "lose",
            ("handed_over", "proposal_sent"),
            "lost",
            {ACCOUNT_MANAGER, MANAGER},
            "lead: no deal, with the reason",
            asks=[
                text(
                    "reason",
                    "Why was it lost? (price, timing, went elsewhere…)",
                    guard="loss_reason",
                    why="say why the lead was lost",
                )
            ],
            effect=lambda ctx: _close(ctx, None),
        ),
    ),
)


def kind_for(value: float, threshold: float) -> str:
    """``"add_on"`` at or below the lead threshold, ``"lead"`` above it."""
    return "add_on" if value <= threshold else "lead"


def _money(field: str, value: object) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ValidationError(Problem(f"{value!r} must be a positive amount", field=field))
    return float(value)


def load(
    s: Session, recommendation_id: int, expected_version: int | None = None
) -> RecommendationRow:
    """Fetch a recommendation, checking the version the caller last saw."""
    return load_row(s, RecommendationRow, "recommendation", recommendation_id, expected_version)


def register(
    s: Session,
    by: Person,
    policy: Recommendations,
    *,
    customer: str,
    description: str,
    call_id: int | None = None,
    task_id: int | None = None,
    item: str | None = None,
    value: float | None = None,
) -> RecommendationRow:
    """Record a recommendation; its kind (and so its first state) follows from the value.

    Pass exactly one of ``item`` (a price-list id: the value comes from the list) or ``value``
    (anything not on the list).

    Raises:
        ValidationError: empty customer or description, both or neither of item/value, an unknown
            item, a value that is not a positive amount, an unknown call or task.
    """
    RECOMMENDATION.require(by, "register")
    customer_ = Ask("customer", "Customer").take({"customer": customer})
    description_ = Ask("description", "What is recommended").take({"description": description})
    if (item is None) == (value is None):
        raise ValidationError(
            Problem(
                "give exactly one: a price-list item id, or a value for anything else",
                field="item/value",
            )
        )
    if item is not None:
        found = next((p for p in policy.price_list if p.id == item), None)
        if found is None:
            known = ", ".join(p.id for p in policy.price_list) or "none"
            raise ValidationError(
                Problem(f"{item!r} is not on the price list (known: {known})", field="item")
            )
        amount = float(found.price)
    else:
        amount = _money("value", value)
    if call_id is not None and (
        isinstance(call_id, bool) or not isinstance(call_id, int) or s.get(CallRow, call_id) is None
    ):
        raise ValidationError(Problem(f"there is no call {call_id!r}", field="call_id"))
    task = task_table()
    if task_id is not None and (
        isinstance(task_id, bool)
        or not isinstance(task_id, int)
        or (task is not None and s.get(task, task_id) is None)
    ):
        raise ValidationError(Problem(f"there is no maintenance task {task_id!r}", field="task_id"))
    kind = kind_for(amount, policy.lead_threshold)
    now = clock.now()
    row = RecommendationRow(
        kind=kind,
        state="offered" if kind == "add_on" else "handed_over",
        call_id=call_id,
        task_id=task_id,
        customer=customer_,
        description=description_,
        price_list_item=item,
        value=amount,
        currency=policy.currency,
        recommended_by=by.id,
        recommended_at=now,
        handed_over_at=now if kind == "lead" else None,
        updated_at=now,
    )
    s.add(row)
    s.flush()
    audit(
        s,
        by,
        "recommendation",
        row.id,
        "register",
        None,
        row.state,
        description_,
        {
            "kind": kind,
            "value": amount,
            "currency": policy.currency,
            "item": item,
            "call_id": call_id,
            "task_id": task_id,
            "lead_threshold": policy.lead_threshold,
        },
    )
    return row


def task_table() -> Any:
    """The maintenance task ORM class ``TaskRow``, or None on a build without maintenance tasks."""
    try:
        from bpsm.store.tables.proactive import TaskRow
    except ImportError:
        return None
    return TaskRow
