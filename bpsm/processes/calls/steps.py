"""Reactive management: ONE process for every call about a standard service.

The operator asks: is this part of our standard service? Yes → ``accept`` and handle it. No → do
we make an exception? Yes → ``make_exception`` (recorded, with the reason). No → ``refer`` the
customer to relation management. Then: in progress ⇄ waiting (for the customer or a supplier),
``escalate`` to another group, ``resolve``, ``reopen``, ``close`` with the survey answers. While
the call is open, ``set_service`` sets or corrects the catalogue service it is about (a call
registered without one can then be accepted), and ``flag_self_service`` / ``unflag_self_service``
mark it as answerable from the service's FAQ (:mod:`bpsm.processes.calls.self_service`).

``resolve`` also stores the business minutes to resolve and whether the service's lead time was
met in business hours (:mod:`bpsm.processes.calls.lead_time`); ``reopen`` clears them.

Closing decides the call's one survey (:func:`bpsm.processes.surveys.steps.at_close`): answers
given at the close make it ``answered``; ``survey="not_answered"`` (asked, the customer gave none:
an explicit choice) makes it declined; otherwise the policy's sample and per-caller cap decide
between a survey sent later (``pending``) and ``not_asked``. When the policy asks the call at the
close, closing without answers and without ``survey="not_answered"`` is refused. The call's
``survey`` column then follows its survey record (:data:`SURVEY_OUTCOMES`).

First time right is derived from stored facts (:func:`bpsm.processes.calls.views.first_time_right`):
resolved during contact 1, never escalated, never reopened. Resuming after waiting for the customer
counts as a new contact (their reply).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy.orm import Session

from bpsm import clock
from bpsm.business_hours import BusinessCalendar
from bpsm.errors import Problem, ValidationError
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
from bpsm.processes.calls import lead_time
from bpsm.processes.calls import self_service as selfserve
from bpsm.processes.surveys import steps as surveys
from bpsm.roles import ACCOUNT_MANAGER, DESK, Person
from bpsm.store.tables import CallContactRow, CallRow, ServiceRow

__all__ = ["OPEN_STATES", "REACTIVE", "SURVEY_OUTCOMES", "load", "register"]

WAITING = ("waiting_customer", "waiting_supplier")
OPEN_STATES = ("registered", "in_progress", *WAITING, "resolved")
CHANNELS_FALLBACK = ("phone", "email", "walk-in", "portal", "chat")

ANSWERED, NOT_ANSWERED, NOT_ASKED = "answered", "not_answered", "not_asked"
SURVEY_OUTCOMES = ("pending", "sent", ANSWERED, NOT_ANSWERED, NOT_ASKED)
"""What a closed call says about its survey (``CallView.survey``; None while the call is open):
``pending`` / ``sent`` (a survey after the close, not yet answered), ``answered``,
``not_answered`` (declined or expired) or ``not_asked``."""


# -- guards and effects ----------------------------------------------------------------------------


def _known_group(ctx: Context) -> bool | str:
    groups = tuple(ctx.env.config.groups)
    return (
        ctx.to_group in groups
        or f"{ctx.to_group!r} is not one of the desk's groups ({', '.join(groups)})"
    )


def _escalate(ctx: Context) -> None:
    row = ctx.row
    ctx.data = {"from_group": row.group, "to_group": ctx.to_group}
    row.group = ctx.to_group
    row.escalation_count += 1


def _make_exception(ctx: Context) -> None:
    ctx.row.is_exception, ctx.row.exception_reason = True, ctx.reason


def _refer(ctx: Context) -> None:
    # the hand-over: relation management opens its case in this same unit of work
    ctx.result = ctx.env.relations.receive(ctx.uow, ctx.row, ctx.by, ctx.reason)


def _wait(waiting_for: str) -> Any:
    def effect(ctx: Context) -> None:
        ctx.row.waiting_for = waiting_for

    return effect


def _resume(ctx: Context) -> None:
    ctx.row.waiting_for = None
    if ctx.source == "waiting_customer":  # their reply is a new contact
        _add_contact(
            ctx.session, ctx.by, ctx.row, ctx.row.channel, ctx.reason or "customer replied"
        )


def _resolve(ctx: Context) -> None:
    row = ctx.row
    ctx.data = {"contact": row.contact_count}
    row.solution, row.resolved_at, row.resolved_at_contact = (
        ctx.solution,
        clock.now(),
        row.contact_count,
    )
    ctx.data |= lead_time.record_resolution(ctx.session, BusinessCalendar.of(ctx.env.config), row)


def _reopen(ctx: Context) -> None:
    ctx.row.reopen_count += 1
    ctx.row.resolved_at = ctx.row.resolved_at_contact = None
    lead_time.clear_resolution(ctx.row)


def _survey_taken(ctx: Context) -> bool | str:
    answers = {k: ctx.answers[k] for k in ("effort", "satisfaction") if ctx.answers[k] is not None}
    if ctx.survey == NOT_ANSWERED and answers:
        given = ", ".join(f"{k} {v}" for k, v in answers.items())
        raise ValidationError(
            Problem(
                f"'not_answered', yet the customer's answers are given ({given})", field="survey"
            )
        )
    if ctx.survey == ANSWERED and not answers:
        raise ValidationError(
            Problem("'answered' needs an answer: effort 1–7 or satisfaction 1–5", field="survey")
        )
    return bool(answers) or ctx.survey == NOT_ANSWERED or not ctx.env.config.survey.due(ctx.row.id)


def _close(ctx: Context) -> None:
    ctx.row.closed_at = clock.now()
    ctx.data = surveys.at_close(
        ctx.session,
        ctx.by,
        ctx.row,
        ctx.env.config.survey,
        effort=ctx.effort,
        satisfaction=ctx.satisfaction,
        declined=ctx.survey == NOT_ANSWERED,
    )


def _catalogue_service(s: Session, service_id: str) -> ServiceRow | None:
    """The service, if it is published in the catalogue and active (not retired)."""
    svc = s.get(ServiceRow, service_id)
    return svc if svc is not None and svc.active else None


def _published_service(ctx: Context) -> bool | str:
    return (
        _catalogue_service(ctx.session, ctx.service) is not None
        or f"{ctx.service!r} is not a published, active catalogue service"
    )


def _other_service(ctx: Context) -> bool | str:
    row, svc = ctx.row, ctx.session.get(ServiceRow, ctx.service)
    assert svc is not None  # the published_service guard ran first
    return (row.service_id, row.service_version) != (svc.id, svc.current_version) or (
        f"the call is already about {svc.name} ({svc.id} v{svc.current_version})"
    )


def _set_service(ctx: Context) -> None:
    with ctx.session.no_autoflush:  # one UPDATE of the call (one version), not one per lookup
        row, svc = ctx.row, ctx.session.get(ServiceRow, ctx.service)
    assert svc is not None  # the published_service guard ran first
    ctx.data = {
        "from_service": row.service_id,
        "from_version": row.service_version,
        "to_service": svc.id,
        "to_version": svc.current_version,
    }
    selfserve.clear_on_new_service(row, ctx.data)
    row.service_id, row.service_version = svc.id, svc.current_version


def _known_channel(ctx: Context) -> None:
    channels = tuple(ctx.env.config.channels)
    if ctx.channel not in channels:
        raise ValidationError(f"channel: {ctx.channel!r} is not one of {', '.join(channels)}")


def _log_contact(ctx: Context) -> None:
    _known_channel(ctx)
    seq = _add_contact(ctx.session, ctx.by, ctx.row, ctx.channel, ctx.note)
    ctx.reason, ctx.data = ctx.note, {"seq": seq}


def _add_contact(s: Session, by: Person, row: CallRow, channel: str, note: str | None) -> int:
    row.contact_count += 1
    s.add(
        CallContactRow(
            call_id=row.id,
            seq=row.contact_count,
            at=clock.now(),
            channel=channel,
            by=by.id,
            note=note,
        )
    )
    return row.contact_count


# -- the table -------------------------------------------------------------------------------------

S = Step.row
REGISTRARS = DESK | {
    ACCOUNT_MANAGER
}  # account managers register the call for an agreed alternative

#: The reactive process, top to bottom.
REACTIVE = Process(
    name="call",
    title="Reactive management",
    states=("registered", "in_progress", *WAITING, "resolved", "closed", "referred", "cancelled"),
    initial="registered",
    final=("closed", "referred", "cancelled"),
    table=(
        S(
            "register",
            (),
            "registered",
            REGISTRARS,
            "a customer calls, mails or walks in: contact 1",
        ),
        S(
            "accept",
            "registered",
            "in_progress",
            REGISTRARS,
            "part of our standard service: handle it",
            guards=[
                Guard.on_record(
                    "service_in_catalogue",
                    "set the catalogue service first, or make an exception / refer",
                    lambda call: call.service_id is not None,
                )
            ],
        ),
        S(
            "make_exception",
            "registered",
            "in_progress",
            DESK,
            "not standard, but we make an exception (reason recorded)",
            label="exception",
            asks=[
                reason(
                    "Why do we make an exception for this call?",
                    guard="exception_reason",
                    why="an exception needs a reason",
                )
            ],
            effect=_make_exception,
        ),
        S(
            "refer",
            "registered",
            "referred",
            DESK,
            "not standard, no exception: hand over to relation management",
            asks=[
                reason(
                    "Why is this not handled as a standard service?",
                    guard="referral_reason",
                    why="say why the request is not handled as a standard service",
                )
            ],
            effect=_refer,
        ),
        S(
            "wait_for_customer",
            "in_progress",
            "waiting_customer",
            DESK,
            "waiting for the customer",
            label="wait customer",
            reason="reason",
            effect=_wait("customer"),
        ),
        S(
            "wait_for_supplier",
            "in_progress",
            "waiting_supplier",
            DESK,
            "waiting for a supplier",
            label="wait supplier",
            asks=[optional("reason", "What are we waiting for? (optional)")],
            effect=_wait("supplier"),
        ),
        S(
            "resume",
            WAITING,
            "in_progress",
            DESK,
            "the wait is over",
            reason="reason",
            effect=_resume,
        ),
        S(
            "escalate",
            "in_progress",
            "in_progress",
            DESK,
            "hand over to another group (second line)",
            asks=[
                Ask("to_group", "Hand over to which group?", "choice", choices_from="groups"),
                reason(
                    "Why is it escalated?",
                    guard="escalation_reason",
                    why="say why the call is escalated",
                ),
            ],
            guards=[
                Guard("known_group", "not one of the desk's groups", _known_group),
                Guard(
                    "other_group",
                    "the call is already with that group",
                    lambda ctx: (
                        ctx.to_group != ctx.row.group or f"the call is already with {ctx.to_group}"
                    ),
                ),
            ],
            effect=_escalate,
        ),
        S(
            "resolve",
            "in_progress",
            "resolved",
            DESK,
            "solved; the solution is recorded",
            asks=[
                text(
                    "solution",
                    "What was the solution?",
                    guard="solution_recorded",
                    why="a resolution needs the solution text",
                )
            ],
            reason="solution",
            effect=_resolve,
        ),
        S(
            "reopen",
            "resolved",
            "in_progress",
            DESK,
            "the customer says it is not solved",
            asks=[
                reason(
                    "Why is the call reopened?",
                    guard="reopen_reason",
                    why="say why the call is reopened",
                )
            ],
            effect=_reopen,
        ),
        S(
            "close",
            "resolved",
            "closed",
            DESK,
            "confirmed; survey answers recorded",
            asks=[
                *surveys.QUESTIONS,
                optional(
                    "survey",
                    "Did the customer answer? (not_answered: asked, no answer given)",
                    "choice",
                    choices=(ANSWERED, NOT_ANSWERED),
                ),
            ],
            guards=[
                Guard(
                    "survey_taken",
                    "the survey policy asks this call's customer: record their answers "
                    "(effort 1–7, satisfaction 1–5), or survey='not_answered' if they gave none",
                    _survey_taken,
                )
            ],
            effect=_close,
        ),
        S(
            "cancel",
            ("registered", "in_progress", *WAITING),
            "cancelled",
            DESK,
            "withdrawn by the customer",
            asks=[
                reason(
                    "Why is the call cancelled?",
                    guard="cancel_reason",
                    why="say why the call is cancelled",
                )
            ],
        ),
        S(
            "set_service",
            OPEN_STATES,
            None,
            DESK,
            "set or correct the catalogue service the call is about (its current version)",
            label="service",
            asks=[
                Ask(
                    "service",
                    "Which catalogue service is the call about?",
                    choices_from="services",
                ),
                optional("reason", "Why is it changed? (optional)"),
            ],
            guards=[
                Guard("published_service", "not a published catalogue service", _published_service),
                Guard("other_service", "the call is already about that service", _other_service),
            ],
            effect=_set_service,
        ),
        S(
            "flag_self_service",
            OPEN_STATES,
            None,
            DESK,
            "the customer could have answered it from the catalogue: which FAQ entry",
            label="self-service",
            asks=[
                Ask(
                    "faq",
                    "Which FAQ entry of the call's service would have answered it? (1 = first)",
                    "int",
                    low=1,
                ),
                optional("reason", "Note (optional)"),
            ],
            guards=[
                Guard.on_record(
                    "service_set",
                    "set the call's catalogue service first (the FAQ entry is one of its)",
                    lambda call: call.service_id is not None,
                ),
                Guard(
                    "faq_of_service",
                    "not an FAQ entry of the call's service",
                    selfserve.faq_of_service,
                ),
                Guard("other_faq", "already flagged with that entry", selfserve.other_faq),
            ],
            effect=selfserve.flag,
        ),
        S(
            "unflag_self_service",
            OPEN_STATES,
            None,
            DESK,
            "not answerable from the catalogue after all: clear the self-service flag",
            label="not self-service",
            asks=[optional("reason", "Why is the flag cleared? (optional)")],
            guards=[
                Guard.on_record(
                    "flagged",
                    "the call is not flagged as a self-service opportunity",
                    lambda call: call.self_service_faq is not None,
                )
            ],
            effect=selfserve.unflag,
        ),
        S(
            "log_contact",
            OPEN_STATES,
            None,
            DESK,
            "another contact with the customer (they called again, we called back, an e-mail)",
            label="log contact",
            asks=[
                Ask("channel", "Channel", "choice", choices_from="channels"),
                optional("note", "Note (optional)"),
            ],
            effect=_log_contact,
        ),
    ),
)


def _responding(effect: Any) -> Any:
    """``effect``, after noting the desk's first action on the call (response time's end)."""

    def first_action_then(ctx: Context) -> None:
        if ctx.row.responded_at is None:
            ctx.row.responded_at = clock.now()
        if effect is not None:
            effect(ctx)

    return first_action_then


# every step after the registration is an action by the desk: the first one sets responded_at
REACTIVE = replace(
    REACTIVE,
    table=tuple(s if s.opens else replace(s, effect=_responding(s.effect)) for s in REACTIVE.table),
)


def load(s: Session, call_id: int, expected_version: int | None = None) -> CallRow:
    """Fetch a call row, checking the version the caller last saw (optimistic concurrency)."""
    return load_row(s, CallRow, "call", call_id, expected_version)


def register(
    s: Session,
    by: Person,
    *,
    caller: str,
    channel: str,
    summary: str,
    service_id: str | None,
    channels: tuple[str, ...] = CHANNELS_FALLBACK,
    group: str | None = None,
) -> CallRow:
    """Record a new call; the registration is contact 1. The state is ``registered``.

    The call goes to ``group``, by default the group of the person registering it.
    """
    REACTIVE.require(by, "register")
    caller_ = Ask("caller", "Caller").take({"caller": caller})
    summary_ = Ask("summary", "Summary").take({"summary": summary})
    if channel not in channels:
        raise ValidationError(f"channel: {channel!r} is not one of {', '.join(channels)}")
    version = None
    if service_id is not None:
        svc = _catalogue_service(s, service_id)
        if svc is None:
            raise ValidationError(f"service: {service_id!r} is not an active catalogue service")
        version = svc.current_version
    now = clock.now()
    row = CallRow(
        state=REACTIVE.initial,
        caller=caller_,
        channel=channel,
        summary=summary_,
        service_id=service_id,
        service_version=version,
        registered_by=by.id,
        group=group or by.group,
        registered_at=now,
        updated_at=now,
        contact_count=1,
        escalation_count=0,
        reopen_count=0,
        is_exception=False,
    )
    s.add(row)
    s.flush()
    s.add(
        CallContactRow(call_id=row.id, seq=1, at=now, channel=channel, by=by.id, note="registered")
    )
    audit(
        s,
        by,
        "call",
        row.id,
        "register",
        None,
        row.state,
        None,
        {"service_id": service_id, "service_version": version, "channel": channel},
    )
    return row
