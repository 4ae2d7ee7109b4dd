"""Relation management: requests for services we do not (yet) offer.

First find out what the customer really needs (``clarify_need``: the *why* is recorded, not just
the asked-for item). Then ``propose_alternatives``: standard services (and standard deliveries)
ranked by how well they cover the need; the customer accepts one (a reactive call is registered
for it) or declines. A bespoke solution is assessed with three recorded answers — technically
feasible? do we *want* to (policy & strategy, time, security impact, maintainability)? does it fit
the customer's budget (can we invoice)? — any "no" means ``refuse``, with an explanation and the
options left; all "yes" and the customer agrees means ``agree``, ``deliver``, and a decision:
``standardize`` (a change proposal adds it to the catalogue), ``keep_standard_delivery``
(documented steps, offered on similar requests) or ``keep_bespoke``.

The ranking of alternatives is computed by the library (:mod:`bpsm.matching`) in the same unit
of work and handed to :func:`propose_alternatives`, which stores it on the case.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from bpsm import clock
from bpsm.errors import ValidationError
from bpsm.matching import Suggestion, find_candidates, rank
from bpsm.processes.base import (
    Ask,
    Context,
    Guard,
    Process,
    Step,
    audit,
    load_row,
    optional,
    reason,
    text,
)
from bpsm.processes.calls.steps import REACTIVE
from bpsm.processes.calls.steps import register as register_call
from bpsm.processes.changes import steps as change
from bpsm.roles import ACCOUNT_MANAGER, DESK, SPECIALIST, Person
from bpsm.store.tables.core import CallRow, ServiceRow
from bpsm.store.tables.relation import RelationCaseRow, StandardDeliveryRow
from bpsm.validation import limit_of

__all__ = [
    "CONSIDERATIONS",
    "FINAL_STATES",
    "OPEN_STATES",
    "QUESTIONS",
    "RELATION",
    "load",
    "open_case",
    "rank_case",
    "receive",
]

#: The three questions of a bespoke assessment, in the order the method asks them.
QUESTIONS = ("feasible", "want", "budget")
#: What "do we want to?" weighs; each may be answered in words.
CONSIDERATIONS = ("policy_strategy", "time", "security_impact", "maintainability")


# -- guards and effects (read with the table below) -------------------------------------------


def _close(ctx: Context) -> None:
    if ctx.row.state in RELATION.final:
        ctx.row.closed_at = clock.now()


def _need_is_the_why(ctx: Context) -> bool:
    return ctx.need.casefold() not in {
        ctx.row.request.strip().casefold(),
        (ctx.asked_for or "").casefold(),
    }


def _clarify_need(ctx: Context) -> None:
    ctx.data = {"asked_for": ctx.asked_for}
    ctx.row.need, ctx.row.asked_for = ctx.need, ctx.asked_for


def rank_case(s: Session, row: RelationCaseRow, limit: int = 10) -> list[Suggestion]:
    """The standard services and standard deliveries that best cover the case's need, best first."""
    asked = f"{row.request} {row.asked_for or ''}"
    return rank(
        row.need or "", find_candidates(s, f"{asked} {row.need or ''}"), asked=asked, limit=limit
    )


def _ranked(ctx: Context) -> list[dict[str, Any]]:
    if "ranked" not in ctx.answers:  # ranked once per firing, by the guard, kept for the effect
        ranked = rank_case(ctx.session, ctx.row, ctx.limit or 10)
        ctx.answers["ranked"] = [x.model_dump(mode="json") for x in ranked]
    return list(ctx.answers["ranked"])


def _propose_alternatives(ctx: Context) -> None:
    ranked = _ranked(ctx)
    ctx.data = {"ranked": [_label(x) for x in ranked]}
    ctx.row.suggestions = ranked


def _label(suggestion: Mapping[str, Any]) -> str:
    if suggestion.get("kind") == "standard_delivery":
        return f"standard delivery {suggestion.get('standard_delivery_id')}"
    return f"service {suggestion.get('service_id')}"


def _chosen(ctx: Context) -> str:
    if ctx.service is not None:
        return _label({"kind": "service", "service_id": ctx.service})
    return _label({"kind": "standard_delivery", "standard_delivery_id": ctx.standard_delivery})


def _was_proposed(ctx: Context) -> bool | str:
    proposed = [_label(x) for x in ctx.row.suggestions]
    return _chosen(ctx) in proposed or (
        f"{_chosen(ctx)} was not proposed on this case (proposed: {', '.join(proposed) or 'none'})"
    )


def _delivery_kept(ctx: Context) -> bool | str:
    if ctx.standard_delivery is None:
        return True
    delivery = ctx.session.get(StandardDeliveryRow, ctx.standard_delivery)
    return (
        delivery is not None and delivery.active
    ) or f"standard delivery {ctx.standard_delivery} is no longer kept"


def _service_active(ctx: Context) -> bool | str:
    if ctx.service is None:
        return True
    svc = ctx.session.get(ServiceRow, ctx.service)
    return (
        svc is not None and svc.active
    ) or f"service {ctx.service!r} is no longer an active catalogue service"


def _accept_alternative(ctx: Context) -> None:
    """A standard delivery: the case closes with its steps. A service: a call is registered and
    accepted for it on the customer's behalf, routed to the service's group."""
    row, s = ctx.row, ctx.session
    if ctx.standard_delivery is not None:
        delivery = s.get(StandardDeliveryRow, ctx.standard_delivery)
        assert delivery is not None
        ctx.data = {"standard_delivery_id": delivery.id}
        row.alternative_delivery_id, row.delivery_steps = delivery.id, list(delivery.steps)
        _close(ctx)
        return
    svc = s.get(ServiceRow, ctx.service)
    assert svc is not None
    channels = tuple(ctx.env.config.channels)
    origin = s.get(CallRow, row.call_id) if row.call_id is not None else None
    channel = origin.channel if origin is not None and origin.channel in channels else channels[0]
    ctx.data = {"service_id": ctx.service}
    call = register_call(
        s,
        ctx.by,
        caller=row.customer,
        channel=channel,
        channels=channels,
        service_id=ctx.service,
        group=svc.group,
        summary=f"{svc.name} for {row.customer}, the alternative agreed in "
        f"relation case R-{row.id:06d} (asked: {row.request})",
    )
    REACTIVE.fire(ctx.uow, call, "accept", ctx.by, env=ctx.env)
    row.alternative_service_id, row.alternative_call_id = ctx.service, call.id
    _close(ctx)
    ctx.result = call


def _bespoke_reason(ctx: Context) -> None:
    ctx.row.bespoke_reason = ctx.reason


def _considerations(ctx: Context) -> dict[str, str] | None:
    given = ctx.considerations
    if given is None:
        return None
    if ctx.question != "want":
        raise ValidationError(
            f"considerations: only the 'want' question has them, not {ctx.question!r}"
        )
    unknown = sorted(set(given) - set(CONSIDERATIONS))
    if unknown:
        raise ValidationError(
            f"considerations: {', '.join(map(repr, unknown))} not one of "
            f"{', '.join(CONSIDERATIONS)}"
        )
    return {
        k: Ask(f"considerations.{k}", k).take({f"considerations.{k}": v}) for k, v in given.items()
    }


def _answer(ctx: Context) -> None:
    notes = _considerations(ctx)
    entry = {
        "yes": ctx.yes,
        "reason": ctx.reason,
        "considerations": notes,
        "by": ctx.by.id,
        "at": clock.now().isoformat(),
    }
    ctx.data = {"question": ctx.question, "yes": ctx.yes, "considerations": notes}
    ctx.row.answers = {**ctx.row.answers, ctx.question: entry}


def _noes(ctx: Context) -> list[str]:
    return [q for q in QUESTIONS if ctx.row.answers.get(q, {}).get("yes") is False]


def _refuse(ctx: Context) -> None:
    ctx.reason, ctx.data = ctx.explanation, {"no_to": _noes(ctx), "options": ctx.options}
    ctx.row.explanation, ctx.row.options = ctx.explanation, ctx.options
    _close(ctx)


def _all_yes(ctx: Context) -> bool | str:
    answers = ctx.row.answers
    open_ = [
        f"{q} ({'no' if q in answers else 'not answered'})"
        for q in QUESTIONS
        if not answers.get(q, {}).get("yes")
    ]
    return not open_ or "every question must be answered yes; not yet: " + ", ".join(open_)


def _agree(ctx: Context) -> None:
    ctx.row.customer_agrees, ctx.row.agreed_by = True, ctx.by.id


def _deliver(ctx: Context) -> None:
    done = ctx.steps or []
    ctx.data = {"steps": done}
    ctx.row.delivery_notes, ctx.row.delivery_steps, ctx.row.delivered_at = (
        ctx.notes,
        done,
        clock.now(),
    )


def _standardize(ctx: Context) -> None:
    row = ctx.row
    summary = ctx.summary or (
        f"Add the bespoke solution of relation case R-{row.id:06d} to the catalogue: {row.request}"
    )
    proposal = change.propose(
        ctx.session,
        ctx.by,
        kind="add",
        summary=summary,
        definition=ctx.definition,
        impact=ctx.impact or "medium",
        rollback_plan=ctx.rollback_plan,
        origin=("relation", row.id),
    )
    ctx.reason, ctx.data = summary, {"change_id": proposal.id, "service_id": proposal.service_id}
    row.change_id, ctx.result = proposal.id, proposal.id
    _close(ctx)


def _keep_standard_delivery(ctx: Context) -> None:
    row, s = ctx.row, ctx.session
    title = ctx.name or row.request.strip()
    words = list(dict.fromkeys(w.lower() for w in ctx.keywords))
    delivery = StandardDeliveryRow(
        name=title,
        keywords=words,
        steps=ctx.steps,
        need=row.need or row.request,
        search_text=" ".join([title, *words, row.need or "", row.request]).lower(),
        origin_case_id=row.id,
        recorded_by=ctx.by.id,
        recorded_at=clock.now(),
        active=True,
    )
    s.add(delivery)
    s.flush()
    ctx.data = {"standard_delivery_id": delivery.id, "steps": ctx.steps}
    row.standard_delivery_id, row.delivery_steps, ctx.result = delivery.id, ctx.steps, delivery
    _close(ctx)


def _closing(ctx: Context) -> None:
    ctx.row.closing_reason = ctx.reason
    _close(ctx)


# -- the table -------------------------------------------------------------------------------------

S = Step.row
FRONT = DESK | {ACCOUNT_MANAGER}  # the desk and account managers talk to the customer
ASSESSORS = {ACCOUNT_MANAGER, SPECIALIST}

#: The relation process, top to bottom.
RELATION = Process(
    name="relation",
    title="Relation management",
    states=(
        "received",
        "need_clarified",
        "alternative_proposed",
        "accepted",
        "bespoke_assessment",
        "refused",
        "bespoke_agreed",
        "delivered",
        "standardized",
        "standard_delivery",
        "kept_bespoke",
        "withdrawn",
    ),
    initial="received",
    final=("accepted", "refused", "standardized", "standard_delivery", "kept_bespoke", "withdrawn"),
    table=(
        S(
            "open",
            (),
            "received",
            FRONT,
            "a request for a service we do not offer, taken down directly",
        ),
        S("receive", (), "received", DESK, "a call the desk referred: not standard, no exception"),
        S(
            "clarify_need",
            "received",
            "need_clarified",
            FRONT,
            "ask why: record the need, not only the asked-for item",
            asks=[
                text(
                    "need",
                    "Why does the customer ask? (the need)",
                    guard="need_is_the_why",
                    why="record why the customer asks (the need), not only what they asked for",
                ),
                optional("asked_for", "What did they ask for? (optional)"),
            ],
            guards=[
                Guard(
                    "need_is_the_why",
                    "the need repeats the request; ask why the customer wants it",
                    _need_is_the_why,
                )
            ],
            reason="need",
            effect=_clarify_need,
        ),
        S(
            "propose_alternatives",
            "need_clarified",
            "alternative_proposed",
            FRONT,
            "rank standard services and standard deliveries against the need",
            asks=[optional("limit", "How many alternatives at most?", "int", low=1, high=100)],
            guards=[
                Guard(
                    "alternatives_found",
                    "nothing in the catalogue matches the need; assess a bespoke solution",
                    lambda ctx: bool(_ranked(ctx)),
                )
            ],
            effect=_propose_alternatives,
        ),
        S(
            "accept_alternative",
            "alternative_proposed",
            "accepted",
            FRONT,
            "the customer takes a proposed alternative; a call is registered for it",
            label="accept alternative",
            asks=[
                optional("service", "Which proposed service?"),
                optional("standard_delivery", "Or which proposed standard delivery?", "int"),
            ],
            guards=[
                Guard("proposed_alternative", "it was not proposed on this case", _was_proposed),
                Guard(
                    "standard_delivery_active",
                    "the standard delivery is no longer kept",
                    _delivery_kept,
                ),
                Guard(
                    "service_active", "the service is no longer in the catalogue", _service_active
                ),
            ],
            effect=_accept_alternative,
        ),
        S(
            "decline_alternative",
            "alternative_proposed",
            "bespoke_assessment",
            FRONT,
            "the alternatives do not cover the need (reason recorded)",
            asks=[
                reason(
                    "Why do the alternatives not do?",
                    guard="decline_reason",
                    why="say why the proposed alternatives do not do",
                )
            ],
            effect=_bespoke_reason,
        ),
        S(
            "assess_bespoke",
            "need_clarified",
            "bespoke_assessment",
            ASSESSORS,
            "nothing in the catalogue fits",
            asks=[
                reason(
                    "Why does no standard service fit?",
                    guard="bespoke_reason",
                    why="say why no standard service fits",
                )
            ],
            effect=_bespoke_reason,
        ),
        S(
            "answer",
            "bespoke_assessment",
            None,
            ASSESSORS,
            "record: feasible? do we want to? fits the budget?",
            asks=[
                Ask("question", "Which question?", "choice", choices=QUESTIONS),
                Ask("yes", "Yes or no?", "yes_no"),
                optional(
                    "considerations",
                    "Do we want to: policy, time, security, maintainability?",
                    "mapping",
                ),
                optional("reason", "Why?"),
            ],
            guards=[
                Guard(
                    "answer_reason",
                    "the answer needs its reason",
                    lambda ctx: (
                        ctx.answers["reason"] is not None
                        or f"the answer to {ctx.question!r} needs its reason"
                    ),
                )
            ],
            effect=_answer,
        ),
        S(
            "refuse",
            "bespoke_assessment",
            "refused",
            {ACCOUNT_MANAGER},
            "a 'no': tell the customer why and the options left",
            asks=[
                optional("explanation", "Why is the answer no? (told to the customer)"),
                optional("options", "Which options are left?", "lines"),
            ],
            guards=[
                Guard(
                    "answer_is_no",
                    "refusing needs a recorded 'no' to feasible, want or budget",
                    lambda ctx: bool(_noes(ctx)),
                ),
                Guard(
                    "explanation_to_customer",
                    "tell the customer why the answer is no",
                    lambda ctx: ctx.explanation is not None,
                ),
                Guard(
                    "options_left",
                    "tell the customer which options are left",
                    lambda ctx: bool(ctx.options),
                ),
            ],
            effect=_refuse,
        ),
        S(
            "agree",
            "bespoke_assessment",
            "bespoke_agreed",
            {ACCOUNT_MANAGER},
            "three times 'yes' and the customer agrees",
            asks=[
                Ask(
                    "customer_agrees",
                    "Does the customer agree to the solution and its price?",
                    "yes_no",
                ),
                optional("note", "Note (optional)"),
            ],
            guards=[
                Guard("all_answers_yes", "every question must be answered yes", _all_yes),
                Guard(
                    "customer_agrees",
                    "the customer has to agree to the bespoke solution and its price",
                    lambda ctx: ctx.customer_agrees,
                ),
            ],
            reason="note",
            effect=_agree,
        ),
        S(
            "deliver",
            "bespoke_agreed",
            "delivered",
            ASSESSORS,
            "the bespoke solution is delivered (notes, steps)",
            asks=[
                text(
                    "notes",
                    "How was it delivered?",
                    guard="delivery_notes",
                    why="record how the solution was delivered",
                ),
                optional("steps", "The steps taken (they can become a standard delivery)", "lines"),
            ],
            reason="notes",
            effect=_deliver,
        ),
        S(
            "standardize",
            "delivered",
            "standardized",
            {ACCOUNT_MANAGER},
            "add it to the catalogue: a change proposal is opened",
            asks=[
                Ask("definition", "The proposed service definition", "any"),
                optional("summary", "Summary of the change (optional)"),
                optional("impact", "Impact of the change", "any"),
                optional("rollback_plan", "Rollback plan (optional)"),
            ],
            effect=_standardize,
        ),
        S(
            "keep_standard_delivery",
            "delivered",
            "standard_delivery",
            {ACCOUNT_MANAGER},
            "keep the documented steps; offered on similar requests",
            asks=[
                Ask(
                    "steps",
                    "The documented delivery steps",
                    "lines",
                    missing="delivery_steps",
                    why="a standard delivery needs its documented steps",
                ),
                Ask(
                    "keywords",
                    "The words a similar request uses",
                    "lines",
                    missing="keywords",
                    why="list the words a similar request uses",
                ),
                optional(
                    "name",
                    "Its name (default: the request)",
                    max_length=limit_of(StandardDeliveryRow.name),
                ),
            ],
            effect=_keep_standard_delivery,
        ),
        S(
            "keep_bespoke",
            "delivered",
            "kept_bespoke",
            {ACCOUNT_MANAGER},
            "leave it a one-off",
            asks=[
                reason(
                    "Why does it stay bespoke?",
                    guard="keep_bespoke_reason",
                    why="say why it stays bespoke",
                )
            ],
            effect=_closing,
        ),
        S(
            "withdraw",
            (
                "received",
                "need_clarified",
                "alternative_proposed",
                "bespoke_assessment",
                "bespoke_agreed",
                "delivered",
            ),
            "withdrawn",
            FRONT,
            "the customer no longer wants it",
            asks=[
                reason(
                    "Why is it withdrawn?",
                    guard="withdraw_reason",
                    why="say why the case is withdrawn",
                )
            ],
            effect=_closing,
        ),
    ),
)

FINAL_STATES = RELATION.final
OPEN_STATES = tuple(st for st in RELATION.states if st not in RELATION.final)


def receive(s: Session, by: Person, call: CallRow, reason: str | None) -> RelationCaseRow:
    """Open a case for a referred call (state ``received``), in the caller's unit of work."""
    RELATION.require(by, "receive")
    now = clock.now()
    case = RelationCaseRow(
        state=RELATION.initial,
        customer=call.caller,
        request=call.summary,
        call_id=call.id,
        opened_by=by.id,
        opened_at=now,
        updated_at=now,
    )
    s.add(case)
    s.flush()
    audit(s, by, "relation", case.id, "receive", None, case.state, reason, {"call_id": call.id})
    return case


def load(s: Session, case_id: int, expected_version: int | None = None) -> RelationCaseRow:
    """Fetch a relation case, checking the version the caller last saw (optimistic concurrency)."""
    return load_row(s, RelationCaseRow, "relation case", case_id, expected_version)


def open_case(s: Session, by: Person, *, customer: str, request: str) -> RelationCaseRow:
    """Open a case for a request that did not come in through a call (state ``received``)."""
    RELATION.require(by, "open")
    customer_ = Ask("customer", "Customer").take({"customer": customer})
    request_ = Ask("request", "Request").take({"request": request})
    now = clock.now()
    row = RelationCaseRow(
        state=RELATION.initial,
        customer=customer_,
        request=request_,
        opened_by=by.id,
        opened_at=now,
        updated_at=now,
    )
    s.add(row)
    s.flush()
    audit(s, by, "relation", row.id, "open", None, row.state)
    return row
