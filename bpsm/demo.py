"""Demo data: a few weeks of realistic calls, so a newcomer sees a living desk.

Calls are made through the public API with the clock moved back in time (``clock.travel``), so
demo calls have the same audit trail, contacts and facts as real ones.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from bpsm import clock
from bpsm.errors import PermissionDenied
from bpsm.roles import require
from bpsm.store import search as search_index
from bpsm.store.db import bulk_insert
from bpsm.store.tables import AuditEventRow, CallContactRow, CallRow

if TYPE_CHECKING:
    from bpsm.desk import Desk

__all__ = ["bulk_seed", "is_empty", "seed_demo", "seed_proactive"]

_CALLERS = [
    "Kim Jansen",
    "Sanne de Boer",
    "Pieter Bakker",
    "Fatma Yilmaz",
    "Lucas Visser",
    "Emma Smit",
    "Noah Mulder",
    "Julia de Graaf",
    "Daan Bos",
    "Sophie Vos",
    "Mohamed El Amrani",
    "Lotte Peters",
    "Ruben Hendriks",
    "Eva van Dijk",
    "Thomas Dekker",
    "Anouk Brouwer",
    "Jesse de Wit",
    "Iris Kok",
]
_OUT_OF_CATALOGUE = [
    "Can I get an iPad for the board meeting?",
    "I'd like a standing desk treadmill",
    "Please install a private game server for the team",
    "Could we get a tablet for field work?",
]


def _may_seed(desk: Desk, by: str | None) -> None:
    if by is not None:
        require(desk.person(by), "demo.seed")
    elif not is_empty(desk):
        raise PermissionDenied(
            "nobody", "demo.seed", "the desk has calls: seeding more needs an admin (by=...)"
        )


def is_empty(desk: Desk) -> bool:
    """True when the desk has no calls yet."""
    with desk.transaction() as s:  # one row at most: never a count over every call
        return s.scalar(select(CallRow.id).limit(1)) is None


def seed_demo(
    desk: Desk,
    *,
    calls: int = 160,
    days: int = 21,
    seed: int = 7,
    by: str | None = None,
    proactive: bool = True,
) -> int:
    """Register ``calls`` calls over the last ``days`` days and walk each to a plausible state.

    Older calls are mostly closed (with survey answers); today's are mostly still open. The survey
    run goes at the start of the weeks and now, and most customer departments answer their
    relationship survey. Returns the number of calls made.

    Args:
        by: who seeds (permission ``demo.seed``: admin). Without it only a desk with no calls at
            all is seeded: the first start of the demo.
        proactive: also give the other roles their work (:func:`seed_proactive`).

    Raises:
        PermissionDenied: ``by`` may not seed, or no ``by`` for a desk that has calls.
    """
    _may_seed(desk, by)
    rng = random.Random(seed)
    facts = random.Random(seed + 1)  # time logged, self-service flags: the paths stay as before
    waits = random.Random(seed + 2)  # response times: the paths and facts stay as before
    services = desk.services.list()
    operators = [p.id for p in desk.config.staff if "operator" in p.roles][:2] or [
        desk.config.staff[0].id
    ]
    specialist = next((p.id for p in desk.config.staff if "specialist" in p.roles), operators[0])
    second_line = next(
        (g for g in desk.config.groups if g != "service-desk"), desk.config.groups[-1]
    )
    now = clock.now()
    for i in range(calls):
        age = timedelta(days=days) * (1 - i / calls) ** 1.5 + timedelta(minutes=rng.randint(5, 50))
        start = now - age
        by = rng.choice(operators)
        if rng.random() < 0.06:
            with clock.travel(start):
                call = desk.calls.register(
                    caller=rng.choice(_CALLERS),
                    channel=rng.choice(desk.config.channels),
                    summary=rng.choice(_OUT_OF_CATALOGUE),
                    by=by,
                )
                if rng.random() < 0.5:
                    desk.calls.refer(
                        call.id,
                        reason="not a standard service; relation management will ask why",
                        by=by,
                    )
                    continue
                desk.calls.make_exception(
                    call.id, reason="one-off for a VIP visit, approved by the team lead", by=by
                )
            _walk(desk, call.id, start, age, by, specialist, second_line, rng, facts)
            continue
        svc = rng.choice(services)
        faq = desk.services.get(svc.id).faq
        caller, channel = rng.choice(_CALLERS), rng.choice(desk.config.channels)
        question = rng.choice(faq)
        with clock.travel(start):
            call = desk.calls.register(
                caller=caller,
                channel=channel,
                summary=question.q,
                service=svc.id,
                by=by,
            )
        # the desk's first action (the response time) comes minutes to hours after registering
        wait = min(_response_delay(channel, waits), (age - timedelta(minutes=2)) / 2)
        with clock.travel(start + wait):
            call = desk.calls.accept(call.id, by=by)
        _walk(
            desk,
            call.id,
            start + wait,
            age - wait,
            by,
            specialist,
            svc.group if svc.group != "service-desk" else second_line,
            rng,
            facts,
            faq=faq.index(question) + 1,
        )
    _surveys(desk, now - timedelta(days=days), rng)
    if proactive:
        seed_proactive(desk, days=days)
    return calls


def seed_proactive(desk: Desk, *, days: int = 21) -> None:
    """Work for the change manager and the proactive screen, the same on every run.

    Maintenance tasks generated ``days`` ago (so some are overdue now; one done, one skipped);
    changes in each state a change manager decides on (draft, submitted with part of the
    checklist met, approved with all of it, rejected, withdrawn); improvements identified,
    assessed, approved into a change that proposes a real difference, and dropped. Nothing is
    implemented: that writes the service file back into the catalogue folder.
    """
    now, config = clock.now(), desk.config
    staff = {p.id: p for p in config.staff}
    manager = next((p.id for p in config.staff if "change_manager" in p.roles), None)
    specialist = next((p.id for p in config.staff if "specialist" in p.roles), None)
    admin = next((p.id for p in config.staff if "admin" in p.roles), None)
    services = [s.id for s in desk.services.list()]
    if manager is None or specialist is None or admin is None or len(services) < 3:
        return  # a desk without these roles or services: the calls are the demo
    with clock.travel(now - timedelta(days=days)):
        desk.maintenance.generate(timedelta(days=days + 30), by=admin)
    due = desk.maintenance.tasks(kind="maintenance", states=("scheduled",), limit=2).items
    if due:
        done = due[0].assignee if due[0].assignee in staff else specialist
        with clock.travel(now - timedelta(days=days // 2)):
            desk.maintenance.complete(due[0].id, note="checked and cleaned", by=done)
    if len(due) > 1:
        skipper = due[1].assignee if due[1].assignee in staff else specialist
        desk.maintenance.skip(due[1].id, reason="the room was booked all day", by=skipper)

    def proposal(service_id: str, summary: str, **changed: Any) -> int:
        definition = desk.services.get(service_id).model_dump(mode="json")
        definition.update(changed)
        with clock.travel(now - timedelta(days=3)):
            return desk.changes.propose(
                kind="modify",
                definition=definition,
                impact="low",
                summary=summary,
                rollback_plan="republish the previous version",
                by=manager,
            ).id

    def described(service_id: str, extra: str) -> str:
        return f"{desk.services.get(service_id).description.strip()} {extra}"

    first, second, third = services[:3]
    proposal(first, "Say where to find the FAQ", description=described(first, "See the FAQ."))
    items = [item.id for item in config.checklist]
    submitted = proposal(second, "Mention the opening hours", description=described(second, "."))
    desk.changes.submit(submitted, by=manager)
    for item in items[:2]:
        desk.changes.check_item(submitted, item, evidence="reviewed with the team", by=manager)
    approved = proposal(third, "Clearer name", name=f"{desk.services.get(third).name} (desk)")
    desk.changes.submit(approved, by=manager)
    for item in items:
        desk.changes.check_item(approved, item, evidence="piloted for a week", by=manager)
    desk.changes.approve(approved, by=manager)
    rejected = proposal(first, "Drop the FAQ", description=described(first, "No FAQ."))
    desk.changes.submit(rejected, by=manager)
    desk.changes.reject(rejected, reason="customers use the FAQ every day", by=manager)
    withdrawn = proposal(second, "Shorter text", description=described(second, "(short)"))
    desk.changes.withdraw(withdrawn, reason="folded into another change", by=manager)

    ideas = [
        ("customer_needs", "Self-service password reset", "Customers wait for the desk."),
        ("new_technology", "Chat on the intranet", "A chat widget would answer quick questions."),
        ("other", "Quieter printers", "The printers on floor 2 are loud."),
        ("customer_needs", "Evening desk hours", "Shift workers call after 17:00."),
    ]
    made = [
        desk.improvements.identify(
            source=source, title=title, description=text, service_id=sid, by=specialist
        )
        for (source, title, text), sid in zip(ideas, (first, None, second, third), strict=True)
    ]
    assessed = [
        desk.improvements.assess(
            i.id, worth_it=worth, effort_hours=hours, benefit="fewer calls", by=specialist
        )
        for i, worth, hours in ((made[2], True, 8), (made[3], False, 120), (made[0], True, 16))
    ]
    definition = desk.services.get(first).model_dump(mode="json")
    definition["description"] = described(first, "Reset your password yourself on the portal.")
    desk.improvements.approve(assessed[2].id, definition=definition, by=manager)
    desk.improvements.drop(assessed[1].id, reason="effort far above the benefit", by=manager)


def _response_delay(channel: str, rng: random.Random) -> timedelta:
    """How long after its registration a call is accepted: a phone or walk-in call mostly
    within minutes, a mail or portal call from a quarter of an hour to a few hours."""
    if channel in ("phone", "walk-in", "chat"):
        return timedelta(minutes=rng.lognormvariate(1.5, 0.8))  # median ≈ 4.5 min
    return timedelta(minutes=rng.lognormvariate(3.8, 1.0))  # median ≈ 45 min, some hours


def _walk(
    desk: Desk,
    call_id: int,
    start,
    age: timedelta,
    by: str,
    specialist: str,
    second_line: str,
    rng: random.Random,
    facts: random.Random,
    *,
    faq: int | None = None,
) -> None:
    """Move one accepted call along a typical path, never past the present.

    ``facts`` draws what the path does not depend on: the minutes people log on the call, and
    whether a call answered from its FAQ (entry ``faq``) is flagged as one the customer could
    have solved alone.
    """
    roll, t = rng.random(), start
    recent = age < timedelta(hours=8)

    def at(minutes: float):
        nonlocal t
        t = min(t + timedelta(minutes=minutes), start + age - timedelta(minutes=1))
        return clock.travel(t)

    if recent and roll < 0.3:
        if roll < 0.1:
            with at(3):
                desk.calls.wait(
                    call_id, for_="customer", reason="asked for the asset number", by=by
                )
        return
    if roll < 0.6:
        with at(rng.randint(3, 12)):
            if faq is not None and facts.random() < 0.3:
                desk.calls.flag_self_service(call_id, faq=faq, by=by)
            desk.calls.resolve(
                call_id, solution="Explained the steps from the FAQ; works again", by=by
            )
            desk.effort.log("call", call_id, facts.randint(4, 20), by=by)
    elif roll < 0.8:
        with at(rng.randint(5, 20)):
            desk.calls.escalate(
                call_id, to_group=second_line, reason="needs hands-on repair", by=by
            )
        if recent or rng.random() < 0.2:
            return
        with at(rng.randint(60, 600)):
            desk.calls.resolve(call_id, solution="Repaired by second line", by=specialist)
            desk.effort.log("call", call_id, facts.randint(30, 150), by=specialist)
    else:
        with at(rng.randint(5, 20)):
            desk.calls.wait(
                call_id,
                for_=rng.choice(["customer", "supplier"]),
                reason="waiting for details",
                by=by,
            )
        if rng.random() < 0.3:
            return
        with at(rng.randint(60, 1440)):
            desk.calls.resume(call_id, note="details received", by=by)
        with at(rng.randint(5, 60)):
            desk.calls.resolve(call_id, solution="Sorted after the details came in", by=by)
            desk.effort.log("call", call_id, facts.randint(10, 40), by=by)
    if rng.random() < 0.05:
        with at(rng.randint(60, 600)):
            desk.calls.reopen(call_id, reason="customer says the problem is back", by=by)
        with at(rng.randint(10, 120)):
            desk.calls.resolve(call_id, solution="Replaced the part", by=specialist)
    if age > timedelta(hours=4) and rng.random() < 0.85:
        with at(rng.randint(1, 30)):
            asked = desk.config.survey.due(call_id)  # else the policy's sample decides later
            survey = asked and rng.random() < 0.7
            desk.calls.close(
                call_id,
                by=by,
                effort=rng.choice([1, 1, 2, 2, 3, 4, 6]) if survey else None,
                satisfaction=rng.choice([5, 5, 4, 4, 3, 2]) if survey else None,
                survey="not_answered" if asked and not survey else None,
            )


def _surveys(desk: Desk, start: datetime, rng: random.Random) -> None:
    """The survey work over the seeded weeks: a run at their start (the relationship surveys of
    the period go out), most departments answer within days, a run now (sends the call surveys
    due, expires what is past its open period)."""
    runner = next((p.id for p in desk.config.staff if {"admin", "manager"} & set(p.roles)), None)
    answerer = next((p.id for p in desk.config.staff if "account_manager" in p.roles), None)
    if runner is None or answerer is None:
        return
    with clock.travel(start):
        desk.surveys.run(by=runner)
    sent = desk.surveys.list(kind="relationship", states=["sent"]).items
    for i, survey in enumerate(sent):
        if rng.random() < 0.75:
            with clock.travel(start + timedelta(days=1 + i, hours=rng.randint(1, 6))):
                desk.surveys.answer(
                    survey.id, satisfaction=rng.choice([5, 4, 4, 3, 2]), via="email", by=answerer
                )
    desk.surveys.run(by=runner)


def bulk_seed(
    desk: Desk,
    calls: int,
    *,
    days: int = 365,
    seed: int = 11,
    chunk: int = 5_000,
    progress: Callable[[int], object] | None = None,
) -> int:
    """Insert ``calls`` past calls fast (SQLAlchemy Core, chunked), for volume tests and benchmarks.

    Each call gets its registration contact and one audit event ("import"), so the trail is honest
    about where the row came from; state changes are not replayed. The ids come from the
    database (:func:`bpsm.store.db.bulk_insert` per chunk), so a seed stopped halfway, or a call
    registered while it runs, never collides with them. Each chunk is one unit of work: calls,
    contacts and audit events together or not at all. ``progress`` is told the number of calls
    of each chunk once it is committed. On SQLite the call search index's triggers are off
    while it runs and the index is refilled from the calls once at the end (the triggers more
    than double the time of a load).
    """
    rng = random.Random(seed)
    services = [(s.id, s.current_version, s.group) for s in desk.services.list()]
    operators = [p.id for p in desk.config.staff if "operator" in p.roles] or [
        desk.config.staff[0].id
    ]
    channels = list(desk.config.channels)
    now = clock.now()
    start, step = now - timedelta(days=days), (days * 86400 - 60) / calls
    made = 0
    with desk.engine.begin() as conn:  # the search index is refilled once at the end
        paused = search_index.pause(conn)
    try:
        while made < calls:
            rows = [  # oldest first, as a real desk registers them: the indexes grow at their ends
                _past_call(
                    rng, services, operators, channels, start + timedelta(seconds=step * i), now
                )
                for i in range(made, made + min(chunk, calls - made))
            ]
            with desk.transaction() as s:  # Core inserts on the tables: the ORM adds nothing
                _insert_calls(s, rows, now)
            made += len(rows)
            if progress is not None:
                progress(len(rows))
    finally:
        if paused:
            with desk.engine.begin() as conn:
                search_index.resume(conn)
    return made


_STATES = (
    ["closed"] * 80
    + ["resolved"] * 6
    + ["in_progress"] * 8
    + ["waiting_customer"] * 3
    + ["registered"] * 3
)


def _past_call(
    rng: random.Random,
    services: list[tuple[str, int, str]],
    operators: list[str],
    channels: list[str],
    at: datetime,
    now: datetime,
) -> dict[str, Any]:
    """One imported call's row, registered at ``at`` (without its id: the database gives it)."""
    sid, ver, group = rng.choice(services)
    state = rng.choice(_STATES)
    done = state in ("closed", "resolved")
    escalated = rng.random() < 0.2
    resolved_at = min(at + timedelta(minutes=rng.randint(2, 2880)), now) if done else None
    surveyed = state == "closed"
    row: dict[str, Any] = {
        "state": state,
        "caller": rng.choice(_CALLERS),
        "channel": rng.choice(channels),
        "summary": "imported call",
        "service_id": sid,
        "service_version": ver,
        "registered_by": rng.choice(operators),
        "group": group if escalated else "service-desk",
        "is_exception": False,
        "registered_at": at,
        "resolved_at": resolved_at,
        "closed_at": resolved_at if state == "closed" else None,
        # the first action 1–120 minutes in (from the time, not the generator: same data as before)
        "responded_at": None
        if state == "registered"
        else at + timedelta(minutes=1 + int(at.timestamp()) % 120),
        "contact_count": 1 if rng.random() < 0.7 else 2,
        "resolved_at_contact": (1 if rng.random() < 0.7 else 2) if done else None,
        "escalation_count": int(escalated),
        "reopen_count": int(rng.random() < 0.02),
        "effort_score": rng.randint(1, 7) if surveyed and rng.random() < 0.6 else None,
        "satisfaction": rng.randint(1, 5) if surveyed and rng.random() < 0.6 else None,
        "version": 1,
        "updated_at": resolved_at or at,
    }
    answered = row["effort_score"] is not None or row["satisfaction"] is not None
    row["survey"] = ("answered" if answered else "not_answered") if surveyed else None
    return row


def _insert_calls(s: Session, rows: list[dict[str, Any]], now: datetime) -> None:
    """Insert one chunk of calls, then their contacts and audit events under the ids returned."""
    ids = bulk_insert(s, cast(Table, CallRow.__table__), rows)
    s.execute(
        insert(cast(Table, CallContactRow.__table__)),
        [
            {
                "call_id": cid,
                "seq": 1,
                "at": r["registered_at"],
                "channel": r["channel"],
                "by": r["registered_by"],
                "note": "registered",
            }
            for cid, r in zip(ids, rows, strict=True)
        ],
    )
    s.execute(
        insert(cast(Table, AuditEventRow.__table__)),
        [
            {
                "at": now,
                "actor": r["registered_by"],
                "record_type": "call",
                "record_id": str(cid),
                "trigger": "import",
                "from_state": None,
                "to_state": r["state"],
                "reason": "bulk demo data",
                "data": None,
            }
            for cid, r in zip(ids, rows, strict=True)
        ],
    )
