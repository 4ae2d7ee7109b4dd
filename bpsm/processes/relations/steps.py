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

from typing import Any

from sqlalchemy.orm import Session

from bpsm import clock
from bpsm.catalogue.schema import Service
from bpsm.errors import GuardFailed, ValidationError
from bpsm.processes.base import Process, Step, audit, load_row
from bpsm.processes.calls import steps as reactive
from bpsm.processes.changes import steps as change
from bpsm.roles import ACCOUNT_MANAGER, DESK, SPECIALIST, Person, require
from bpsm.store.tables.core import CallRow, ServiceRow
from bpsm.store.tables.relation import RelationCaseRow, StandardDeliveryRow

__all__ = ["CONSIDERATIONS", "FINAL_STATES", "OPEN_STATES", "QUESTIONS", "RELATION", "load", "open_case"]

S = Step.row

#: The relation process, top to bottom.
RELATION = Process(
    name="relation",
    states=("received", "need_clarified", "alternative_proposed", "accepted", "bespoke_assessment", "refused",
            "bespoke_agreed", "delivered", "standardized", "standard_delivery", "kept_bespoke", "withdrawn"),
    initial="received",
    final=("accepted", "refused", "standardized", "standard_delivery", "kept_bespoke", "withdrawn"),
    table=(
        S("open", (), "received", DESK | {ACCOUNT_MANAGER},
          "a request for a service we do not offer (referred calls arrive as 'receive')"),
        S("clarify_need", "received", "need_clarified", DESK | {ACCOUNT_MANAGER}, "ask why: record the need, not only the asked-for item"),
        S("propose_alternatives", "need_clarified", "alternative_proposed", DESK | {ACCOUNT_MANAGER},
          "rank standard services and standard deliveries against the need"),
        S("accept_alternative", "alternative_proposed", "accepted", DESK | {ACCOUNT_MANAGER},
          "the customer takes a proposed alternative; a call is registered for it"),
        S("decline_alternative", "alternative_proposed", "bespoke_assessment", DESK | {ACCOUNT_MANAGER},
          "the alternatives do not cover the need (reason recorded)"),
        S("assess_bespoke", "need_clarified", "bespoke_assessment", {ACCOUNT_MANAGER, SPECIALIST}, "nothing in the catalogue fits"),
        S("answer", "bespoke_assessment", None, {ACCOUNT_MANAGER, SPECIALIST}, "record: feasible? do we want to? fits the budget?"),
        S("refuse", "bespoke_assessment", "refused", {ACCOUNT_MANAGER}, "a 'no': tell the customer why and the options left"),
        S("agree", "bespoke_assessment", "bespoke_agreed", {ACCOUNT_MANAGER}, "three times 'yes' and the customer agrees"),
        S("deliver", "bespoke_agreed", "delivered", {ACCOUNT_MANAGER, SPECIALIST}, "the bespoke solution is delivered (notes, steps)"),
        S("standardize", "delivered", "standardized", {ACCOUNT_MANAGER}, "add it to the catalogue: a change proposal is opened"),
        S("keep_standard_delivery", "delivered", "standard_delivery", {ACCOUNT_MANAGER},
          "keep the documented steps; offered on similar requests"),
        S("keep_bespoke", "delivered", "kept_bespoke", {ACCOUNT_MANAGER}, "leave it a one-off"),
        S("withdraw", ("received", "need_clarified", "alternative_proposed", "bespoke_assessment", "bespoke_agreed",
                       "delivered"), "withdrawn", DESK | {ACCOUNT_MANAGER}, "the customer no longer wants it"),
    ),
)

FINAL_STATES = RELATION.final
OPEN_STATES = tuple(st for st in RELATION.states if st not in RELATION.final)
#: The three questions of a bespoke assessment, in the order the method asks them.
QUESTIONS = ("feasible", "want", "budget")
#: What "do we want to?" weighs; each may be answered in words.
CONSIDERATIONS = ("policy_strategy", "time", "security_impact", "maintainability")


def _text(field: str, value: object, *, required: bool = True) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ValidationError(f"{field}: {value!r} is not text")
    if value is None or not value.strip():
        if required:
            raise ValidationError(f"{field}: must not be empty")
        return None
    return value.strip()


def _reason(guard: str, value: object, why: str, field: str = "reason") -> str:
    if value is not None and not isinstance(value, str):
        raise ValidationError(f"{field}: {value!r} is not text")
    if not (value or "").strip():
        raise GuardFailed(guard, why)
    return str(value).strip()


def _lines(field: str, values: object, guard: str, why: str) -> list[str]:
    if isinstance(values, str) or not isinstance(values, (list, tuple)):
        raise ValidationError(f"{field}: {values!r} must be a list of texts")
    for i, v in enumerate(values):
        if not isinstance(v, str) or not v.strip():
            raise ValidationError(f"{field}[{i}]: {v!r} must be a non-empty text")
    if not values:
        raise GuardFailed(guard, why)
    return [v.strip() for v in values]


class _Uow:
    """Interim: a session standing in for the unit of work until this process fires its steps."""

    def __init__(self, session: Session):
        self.session = session


def _close(row: RelationCaseRow) -> None:
    if row.state in RELATION.final:
        row.closed_at = clock.now()


def load(s: Session, case_id: int, expected_version: int | None = None) -> RelationCaseRow:
    """Fetch a relation case, checking the version the caller last saw (optimistic concurrency)."""
    return load_row(s, RelationCaseRow, "relation case", case_id, expected_version)


def open_case(s: Session, by: Person, *, customer: str, request: str) -> RelationCaseRow:
    """Open a case for a request that did not come in through a call (state ``received``)."""
    RELATION.require(by, "open")
    customer_, request_ = _text("customer", customer), _text("request", request)
    now = clock.now()
    row = RelationCaseRow(state=RELATION.initial, customer=customer_, request=request_, opened_by=by.id,
                          opened_at=now, updated_at=now)
    s.add(row)
    s.flush()
    audit(s, by, "relation", row.id, "open", None, row.state)
    return row


def clarify_need(s: Session, by: Person, row: RelationCaseRow, need: str, asked_for: str | None = None) -> None:
    """Record the need — why the customer asks — and optionally the item they asked for."""
    RELATION.check(row, "clarify_need", by)
    need_ = _reason("need_is_the_why", need, "record why the customer asks (the need), not only what they asked for",
                    "need")
    asked = _text("asked_for", asked_for, required=False)
    if need_.casefold() in {row.request.strip().casefold(), (asked or "").casefold()}:
        raise GuardFailed("need_is_the_why", "the need repeats the request; ask why the customer wants it")
    RELATION.apply(s, row, "clarify_need", by, reason=need_, data={"asked_for": asked})
    row.need, row.asked_for = need_, asked


def propose_alternatives(s: Session, by: Person, row: RelationCaseRow, ranked: list[dict[str, Any]]) -> None:
    """Store the ranked alternatives (standard services and standard deliveries) on the case.

    ``ranked`` is the library's ranking of the case's need (:func:`bpsm.matching.rank`), as JSON.
    """
    RELATION.check(row, "propose_alternatives", by)
    if not ranked:
        raise GuardFailed("alternatives_found", "nothing in the catalogue matches the need; assess a bespoke solution")
    RELATION.apply(s, row, "propose_alternatives", by, data={"ranked": [_label(x) for x in ranked]})
    row.suggestions = list(ranked)


def _label(suggestion: dict[str, Any]) -> str:
    if suggestion.get("kind") == "standard_delivery":
        return f"standard delivery {suggestion.get('standard_delivery_id')}"
    return f"service {suggestion.get('service_id')}"


def accept_alternative(s: Session, by: Person, row: RelationCaseRow, *, service_id: str | None = None,
                       standard_delivery_id: int | None = None, channels: tuple[str, ...]) -> CallRow | None:
    """The customer takes one of the proposed alternatives; the case closes as ``accepted``.

    A service: a call for it is registered and accepted on the customer's behalf, routed to the
    service's group — the permission to accept an alternative includes doing so. A standard
    delivery: the case closes with its documented delivery steps.
    """
    if (service_id is None) == (standard_delivery_id is None):
        raise ValidationError(f"alternative: choose exactly one of service ({service_id!r}) or standard delivery "
                              f"({standard_delivery_id!r})")
    RELATION.check(row, "accept_alternative", by)
    chosen = _label({"kind": "service", "service_id": service_id} if service_id is not None
                    else {"kind": "standard_delivery", "standard_delivery_id": standard_delivery_id})
    proposed = [_label(x) for x in row.suggestions]
    if chosen not in proposed:
        raise GuardFailed("proposed_alternative",
                          f"{chosen} was not proposed on this case (proposed: {', '.join(proposed) or 'none'})")
    if standard_delivery_id is not None:
        delivery = s.get(StandardDeliveryRow, standard_delivery_id)
        if delivery is None or not delivery.active:
            raise GuardFailed("standard_delivery_active", f"standard delivery {standard_delivery_id} is no longer kept")
        RELATION.apply(s, row, "accept_alternative", by, data={"standard_delivery_id": delivery.id})
        row.alternative_delivery_id, row.delivery_steps = delivery.id, list(delivery.steps)
        _close(row)
        return None
    svc = s.get(ServiceRow, service_id)
    if svc is None or not svc.active:
        raise GuardFailed("service_active", f"service {service_id!r} is no longer an active catalogue service")
    origin = s.get(CallRow, row.call_id) if row.call_id is not None else None
    channel = origin.channel if origin is not None and origin.channel in channels else channels[0]
    RELATION.apply(s, row, "accept_alternative", by, data={"service_id": service_id})
    call = reactive.register(s, by, caller=row.customer, channel=channel, channels=channels,
                             service_id=service_id, group=svc.group,
                             summary=f"{svc.name} for {row.customer}, the alternative "
                             f"agreed in relation case R-{row.id:06d} (asked: {row.request})")
    reactive.REACTIVE.fire(_Uow(s), call, "accept", by)
    row.alternative_service_id, row.alternative_call_id = service_id, call.id
    _close(row)
    return call


def decline_alternative(s: Session, by: Person, row: RelationCaseRow, reason: str) -> None:
    """None of the alternatives covers the need: go on to a bespoke assessment."""
    RELATION.check(row, "decline_alternative", by)
    why = _reason("decline_reason", reason, "say why the proposed alternatives do not do")
    RELATION.apply(s, row, "decline_alternative", by, reason=why)
    row.bespoke_reason = why


def assess_bespoke(s: Session, by: Person, row: RelationCaseRow, reason: str) -> None:
    """Nothing in the catalogue fits: assess a bespoke solution."""
    RELATION.check(row, "assess_bespoke", by)
    why = _reason("bespoke_reason", reason, "say why no standard service fits")
    RELATION.apply(s, row, "assess_bespoke", by, reason=why)
    row.bespoke_reason = why


def answer(s: Session, by: Person, row: RelationCaseRow, question: str, yes: bool, reason: str,
           considerations: dict[str, str] | None = None) -> None:
    """Record one of the three answers (``feasible``, ``want``, ``budget``) with its reason.

    For ``want``, ``considerations`` may answer each of policy_strategy, time, security_impact and
    maintainability in words. Answering again replaces the answer; the trail keeps both.
    """
    if question not in QUESTIONS:
        raise ValidationError(f"question: {question!r} is not one of {', '.join(QUESTIONS)}")
    if not isinstance(yes, bool):
        raise ValidationError(f"yes: {yes!r} must be True or False")
    notes: dict[str, str] | None = None
    if considerations is not None:
        if question != "want":
            raise ValidationError(f"considerations: only the 'want' question has them, not {question!r}")
        if not isinstance(considerations, dict):
            raise ValidationError(f"considerations: {considerations!r} must map each consideration to a text")
        unknown = sorted(set(considerations) - set(CONSIDERATIONS))
        if unknown:
            raise ValidationError(f"considerations: {', '.join(map(repr, unknown))} not one of "
                                  f"{', '.join(CONSIDERATIONS)}")
        notes = {k: str(_text(f"considerations.{k}", v)) for k, v in considerations.items()}
    RELATION.check(row, "answer", by)
    why = _reason("answer_reason", reason, f"the answer to {question!r} needs its reason")
    entry = {"yes": yes, "reason": why, "considerations": notes, "by": by.id, "at": clock.now().isoformat()}
    RELATION.apply(s, row, "answer", by, reason=why, data={"question": question, "yes": yes, "considerations": notes})
    row.answers = {**row.answers, question: entry}


def refuse(s: Session, by: Person, row: RelationCaseRow, explanation: str, options: list[str]) -> None:
    """Say no — allowed once an answer is "no" — telling the customer why and which options are left."""
    RELATION.check(row, "refuse", by)
    noes = [q for q in QUESTIONS if row.answers.get(q, {}).get("yes") is False]
    if not noes:
        raise GuardFailed("answer_is_no", "refusing needs a recorded 'no' to feasible, want or budget")
    told = _reason("explanation_to_customer", explanation, "tell the customer why the answer is no", "explanation")
    left = _lines("options", options, "options_left", "tell the customer which options are left")
    RELATION.apply(s, row, "refuse", by, reason=told, data={"no_to": noes, "options": left})
    row.explanation, row.options = told, left
    _close(row)


def agree(s: Session, by: Person, row: RelationCaseRow, customer_agrees: bool, note: str | None = None) -> None:
    """Agree on the bespoke solution: three times "yes", and the customer agrees."""
    if not isinstance(customer_agrees, bool):
        raise ValidationError(f"customer_agrees: {customer_agrees!r} must be True or False")
    RELATION.check(row, "agree", by)
    answers = row.answers
    open_ = [f"{q} ({'no' if q in answers else 'not answered'})" for q in QUESTIONS
             if not answers.get(q, {}).get("yes")]
    if open_:
        raise GuardFailed("all_answers_yes", "every question must be answered yes; not yet: " + ", ".join(open_))
    if not customer_agrees:
        raise GuardFailed("customer_agrees", "the customer has to agree to the bespoke solution and its price")
    RELATION.apply(s, row, "agree", by, reason=_text("note", note, required=False))
    row.customer_agrees, row.agreed_by = True, by.id


def deliver(s: Session, by: Person, row: RelationCaseRow, notes: str, steps: list[str] | None = None) -> None:
    """Record the delivery: notes, and the steps taken (they can become a standard delivery)."""
    RELATION.check(row, "deliver", by)
    told = _reason("delivery_notes", notes, "record how the solution was delivered", "notes")
    done = _lines("steps", steps, "delivery_steps", "") if steps else []
    RELATION.apply(s, row, "deliver", by, reason=told, data={"steps": done})
    row.delivery_notes, row.delivery_steps, row.delivered_at = told, done, clock.now()


def standardize(s: Session, by: Person, row: RelationCaseRow, definition: dict[str, Any] | Service, *,
                summary: str | None = None, impact: str = "medium", rollback_plan: str | None = None) -> int:
    """Add it to the catalogue: opens a change proposal (``draft``) for the service; returns its id."""
    RELATION.check(row, "standardize", by)
    text = summary or f"Add the bespoke solution of relation case R-{row.id:06d} to the catalogue: {row.request}"
    proposal = change.propose(s, by, kind="add", summary=text, definition=definition, impact=impact,
                              rollback_plan=rollback_plan, origin=("relation", row.id))
    RELATION.apply(s, row, "standardize", by, reason=text,
                   data={"change_id": proposal.id, "service_id": proposal.service_id})
    row.change_id = proposal.id
    _close(row)
    return proposal.id


def keep_standard_delivery(s: Session, by: Person, row: RelationCaseRow, steps: list[str], keywords: list[str], *,
                           name: str | None = None) -> StandardDeliveryRow:
    """Keep the documented delivery steps without a catalogue entry; offered on similar requests.

    ``keywords`` are the words a similar request uses; they, the name and the need are matched.
    """
    RELATION.check(row, "keep_standard_delivery", by)
    done = _lines("steps", steps, "delivery_steps", "a standard delivery needs its documented steps")
    title = _text("name", name, required=False) or row.request.strip()
    words = list(dict.fromkeys(w.lower() for w in _lines("keywords", keywords, "keywords",
                                                          "list the words a similar request uses")))
    delivery = StandardDeliveryRow(name=title, keywords=words, steps=done, need=row.need or row.request,
                                   search_text=" ".join([title, *words, row.need or "", row.request]).lower(),
                                   origin_case_id=row.id, recorded_by=by.id, recorded_at=clock.now(), active=True)
    s.add(delivery)
    s.flush()
    RELATION.apply(s, row, "keep_standard_delivery", by, data={"standard_delivery_id": delivery.id, "steps": done})
    row.standard_delivery_id, row.delivery_steps = delivery.id, done
    _close(row)
    return delivery


def keep_bespoke(s: Session, by: Person, row: RelationCaseRow, reason: str) -> None:
    """Leave it a one-off bespoke solution."""
    RELATION.check(row, "keep_bespoke", by)
    why = _reason("keep_bespoke_reason", reason, "say why it stays bespoke")
    RELATION.apply(s, row, "keep_bespoke", by, reason=why)
    row.closing_reason = why
    _close(row)


def withdraw(s: Session, by: Person, row: RelationCaseRow, reason: str) -> None:
    """The customer no longer wants it."""
    RELATION.check(row, "withdraw", by)
    why = _reason("withdraw_reason", reason, "say why the case is withdrawn")
    RELATION.apply(s, row, "withdraw", by, reason=why)
    row.closing_reason = why
    _close(row)
