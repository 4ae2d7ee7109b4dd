"""Small helpers that put records into a given state through the public API."""

from __future__ import annotations

from bpsm import CallView, ChangeView, Desk

OP = "anna"

#: How to bring a fresh call into each state of the reactive process, as (method, kwargs) steps.
PATHS: dict[str, list[tuple[str, dict]]] = {
    "registered": [],
    "in_progress": [("accept", {})],
    "waiting_customer": [("accept", {}), ("wait", {"for_": "customer"})],
    "waiting_supplier": [("accept", {}), ("wait", {"for_": "supplier"})],
    "resolved": [("accept", {}), ("resolve", {"solution": "fixed"})],
    "closed": [
        ("accept", {}),
        ("resolve", {"solution": "fixed"}),
        ("close", {"survey": "not_answered"}),
    ],
    "referred": [("refer", {"reason": "not something we offer"})],
    "cancelled": [("cancel", {"reason": "customer withdrew"})],
}


def new_call(
    desk: Desk,
    *,
    service: str | None = "laptop",
    caller: str = "Kim Jansen",
    summary: str = "Laptop will not start",
) -> CallView:
    return desk.calls.register(
        caller=caller, channel="phone", summary=summary, service=service, by=OP
    )


def call_in(desk: Desk, state: str, **kw) -> CallView:
    call = new_call(desk, **kw)
    for method, args in PATHS[state]:
        result = getattr(desk.calls, method)(call.id, by=OP, **args)
        call = result[0] if isinstance(result, tuple) else result
    assert call.state == state
    return call


def submitted_change(desk: Desk) -> ChangeView:
    """Dave proposes faster laptop delivery (lead time 3 days) and puts it before the change
    manager."""
    definition = desk.services.get("laptop").model_dump(mode="json")
    definition["delivery"]["lead_time"] = "P3D"
    change = desk.changes.propose(
        kind="modify",
        definition=definition,
        impact="low",
        summary="Deliver laptops in 3 days",
        rollback_plan="republish the previous version",
        by="dave",
    )
    return desk.changes.submit(change.id, by="dave")
