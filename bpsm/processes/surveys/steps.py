"""Surveys as records: the step table, the decision at close, and what each step does.

A survey asks one customer about one closed call (kind ``call``), or one customer department about
the relationship for one period (kind ``relationship``, :mod:`~bpsm.processes.surveys.run`). Its
life: ``pending`` (made, not yet out) → ``sent`` → ``answered`` | ``declined`` (the customer will
not answer) | ``expired`` (the open period ended without answers). Answers may be recorded while
it is pending or sent: on the phone-back, from a mail, or at the close itself.

**One survey per call, decided once** (:func:`at_close`). Closing a call with the customer's
answers makes its survey, answered; with ``survey="not_answered"`` one that is declined. A call
closed without being asked is surveyed afterwards when the policy samples it
(:meth:`~bpsm.catalogue.schema.SurveyPolicy.sampled`: a hash of the desk's seed and the call
number, so a re-run never decides anew) and its caller was not asked within ``cap_days``; the
survey then waits ``delay`` before it is sent. Otherwise the call records ``not_asked``. The call
table has one survey per call (a unique key), so nothing makes a second one.

**The call row mirrors its survey** (:func:`mirror`), so the KPIs scan one table: ``survey`` says
``pending``, ``sent``, ``answered``, ``not_answered`` (declined or expired: an outcome one can
count, never a missing value) or ``not_asked``; ``effort_score`` and ``satisfaction`` carry the
answers.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bpsm import clock
from bpsm.catalogue.schema import SurveyPolicy
from bpsm.errors import Problem, ValidationError
from bpsm.processes.base import Ask, Context, Guard, Process, Step, audit, load_row, optional
from bpsm.roles import ACCOUNT_MANAGER, ADMIN, CHANGE_MANAGER, DESK, MANAGER, SPECIALIST, Person
from bpsm.store.tables import CallRow
from bpsm.store.tables.survey import SURVEY_STATES, SurveyRow

#: the two questions of every call survey, asked at the close (calls) or afterwards (``answer``)
QUESTIONS: tuple[Ask, ...] = (
    optional(
        "effort",
        "How much effort did it take you to get this solved? 1 very little – 7 a lot",
        "int",
        low=1,
        high=7,
    ),
    optional(
        "satisfaction",
        "How satisfied are you with how we handled it? 1 very unhappy – 5 very happy",
        "int",
        low=1,
        high=5,
    ),
)

__all__ = [
    "ANSWERERS",
    "CALL_SURVEY",
    "QUESTIONS",
    "RUNNERS",
    "SURVEY",
    "at_close",
    "caller_key",
    "load",
    "mirror",
]

#: who runs the scheduled survey work (sending, expiring): the same people as the maintenance run
RUNNERS = frozenset({ACCOUNT_MANAGER, ADMIN, CHANGE_MANAGER, MANAGER, SPECIALIST})
#: who records a customer's answers or refusal: the desk on the phone-back, account managers
ANSWERERS = DESK | {ACCOUNT_MANAGER, ADMIN}

#: survey state → what the call's ``survey`` column says
CALL_SURVEY = {
    "pending": "pending",
    "sent": "sent",
    "answered": "answered",
    "declined": "not_answered",
    "expired": "not_answered",
}


def caller_key(caller: str) -> str:
    """The caller as the per-caller cap compares them: case and spacing ignored."""
    return " ".join(caller.split()).casefold()[:200]


def mirror(s: Session, row: SurveyRow) -> None:
    """Copy a call survey's state and answers onto its call (one UPDATE of the call)."""
    if row.call_id is None:
        return
    with s.no_autoflush:
        call = s.get(CallRow, row.call_id)
    assert call is not None  # a foreign key
    call.survey = CALL_SURVEY[row.state]
    call.effort_score, call.satisfaction = row.effort_score, row.satisfaction


# -- guards and effects ----------------------------------------------------------------------------


def _some_answer(ctx: Context) -> bool | str:
    if ctx.row.kind == "relationship":
        if ctx.effort is not None:
            raise ValidationError(
                Problem("a relationship survey asks satisfaction only (1–5)", field="effort")
            )
        return ctx.satisfaction is not None or "record the department's satisfaction (1–5)"
    return ctx.effort is not None or ctx.satisfaction is not None


def _known_channel(ctx: Context) -> bool | str:
    channels = tuple(ctx.env.config.channels)
    return (
        ctx.via is None
        or ctx.via in channels
        or f"{ctx.via!r} is not one of the desk's channels ({', '.join(channels)})"
    )


def _sent(row: SurveyRow, now: datetime) -> None:
    if row.sent_at is None:  # asked in person before it went out: it is asked now
        row.sent_at = now


def _answer(ctx: Context) -> None:
    row, now = ctx.row, clock.now()
    _sent(row, now)
    row.effort_score, row.satisfaction = ctx.effort, ctx.satisfaction
    row.answered_at = row.closed_at = now
    row.answered_by, row.answered_via, row.note = ctx.by.id, ctx.via, ctx.note
    ctx.reason = ctx.note
    ctx.data = {"effort": ctx.effort, "satisfaction": ctx.satisfaction, "via": ctx.via}
    mirror(ctx.session, row)


def _decline(ctx: Context) -> None:
    row, now = ctx.row, clock.now()
    _sent(row, now)
    row.closed_at, row.answered_by, row.note = now, ctx.by.id, ctx.reason
    mirror(ctx.session, row)


def _send(ctx: Context) -> None:
    row, now = ctx.row, clock.now()
    row.sent_at = now
    row.expires_at = now + ctx.env.config.survey.open_for
    ctx.data = {"expires_at": row.expires_at.isoformat()}
    mirror(ctx.session, row)


def _expire(ctx: Context) -> None:
    row = ctx.row
    row.closed_at = row.expires_at
    mirror(ctx.session, row)


S = Step.row

#: The survey process, top to bottom.
SURVEY = Process(
    name="survey",
    title="Surveys",
    states=SURVEY_STATES,
    initial="pending",
    final=("answered", "declined", "expired"),
    table=(
        S(
            "ask",
            (),
            "pending",
            DESK | RUNNERS,
            "a closed call is surveyed (at its close), or a department's period begins (the run)",
        ),
        S(
            "send",
            "pending",
            "sent",
            RUNNERS,
            "the delay after the close is over: the survey goes out, open for the policy's period",
            effect=_send,
        ),
        S(
            "answer",
            ("pending", "sent"),
            "answered",
            ANSWERERS,
            "the customer's answers, recorded at the close, on a phone-back or from a mail",
            asks=[
                *QUESTIONS,
                Ask(
                    "via", "How did the answers come in?", "choice", False, choices_from="channels"
                ),
                optional("note", "Note (optional)"),
            ],
            guards=[
                Guard(
                    "some_answer",
                    "record an answer: effort 1–7 or satisfaction 1–5 (or decline the survey)",
                    _some_answer,
                ),
                Guard("known_channel", "not one of the desk's channels", _known_channel),
            ],
            effect=_answer,
        ),
        S(
            "decline",
            ("pending", "sent"),
            "declined",
            ANSWERERS,
            "the customer will not answer: recorded as not answered",
            asks=[optional("reason", "Why not? (optional)")],
            effect=_decline,
        ),
        S(
            "expire",
            "sent",
            "expired",
            RUNNERS,
            "the open period ended without answers: recorded as not answered",
            effect=_expire,
        ),
    ),
)


def load(s: Session, survey_id: int, expected_version: int | None = None) -> SurveyRow:
    """Fetch a survey row, checking the version the caller last saw (optimistic concurrency)."""
    return load_row(s, SurveyRow, "survey", survey_id, expected_version)


# -- one survey per call, decided at its close -----------------------------------------------


def _asked_lately(s: Session, caller: str, at: datetime, days: int) -> bool:
    """Whether ``caller`` was sent (or given) a call survey within ``days`` days before ``at``."""
    if days <= 0:
        return False
    since = at - timedelta(days=days)
    found = s.scalar(
        select(func.count())
        .select_from(SurveyRow)
        .where(
            SurveyRow.kind == "call",
            SurveyRow.caller == caller,
            SurveyRow.created_at > since,
            SurveyRow.created_at <= at,
        )
    )
    return bool(found)


def _new(
    s: Session, by: Person, call: CallRow, state: str, now: datetime, **more: Any
) -> SurveyRow:
    row = SurveyRow(
        kind="call",
        state=state,
        call_id=call.id,
        caller=caller_key(call.caller),
        created_at=now,
        updated_at=now,
        **more,
    )
    s.add(row)
    return row


def at_close(
    s: Session,
    by: Person,
    call: CallRow,
    policy: SurveyPolicy,
    *,
    effort: int | None,
    satisfaction: int | None,
    declined: bool,
) -> dict[str, Any]:
    """Decide the call's one survey as it closes; set the call's survey columns; audit it.

    Answers given → a survey answered at the close; ``declined`` → one declined; otherwise the
    policy's sample and per-caller cap decide between a pending survey (sent ``delay`` later) and
    ``not_asked``. Called by the reactive process's ``close`` with the call already closed.

    Returns:
        What the call's closing audit event records about the survey (the survey's own trail
        names the call: its ``ask`` event's ``call_id``).
    """
    now = call.closed_at or clock.now()
    with s.no_autoflush:
        answered = effort is not None or satisfaction is not None
        if answered or declined:
            SURVEY.require(by, "answer" if answered else "decline")
            row = _new(
                s,
                by,
                call,
                "answered" if answered else "declined",
                now,
                send_at=now,
                sent_at=now,
                closed_at=now,
                answered_by=by.id,
                answered_via="close",
                answered_at=now if answered else None,
                effort_score=effort,
                satisfaction=satisfaction,
            )
            why = None
        elif not policy.sampled(call.id):
            row, why = None, "sample"
        elif _asked_lately(s, caller_key(call.caller), now, policy.cap_days):
            row, why = None, "caller_cap"
        else:
            SURVEY.require(by, "ask")
            row, why = _new(s, by, call, "pending", now, send_at=now + policy.delay), None
    call.survey = "not_asked" if row is None else CALL_SURVEY[row.state]
    call.effort_score, call.satisfaction = effort, satisfaction
    data: dict[str, Any] = {"survey": call.survey}
    if answered:
        data |= {"effort": effort, "satisfaction": satisfaction}
    if why is not None:
        data["why"] = why
    if row is None:
        return data
    s.flush()  # the call's close and the new survey in one go: the survey's id for its trail
    audit(s, by, "survey", row.id, "ask", None, "pending", None, {"call_id": call.id})
    if row.state != "pending":
        trigger = "answer" if answered else "decline"
        extra = {"effort": effort, "satisfaction": satisfaction, "via": "close"} if answered else {}
        audit(s, by, "survey", row.id, trigger, "pending", row.state, None, extra or None)
    return data
