"""``desk.surveys``: surveys as records through the Python API.

Every action takes ``by`` (the staff id of the person acting), runs in one unit of work with its
audit events, and returns an immutable :class:`~bpsm.processes.surveys.views.SurveyView`. Pass
``expected_version`` (the ``version`` you last saw) to be told, instead of overwriting, when
someone else got there first. A call survey's state and answers are mirrored onto its call in the
same unit of work.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from bpsm.port import DeskPort
from bpsm.processes.facade import ProcessFacade
from bpsm.processes.surveys import run as survey_run
from bpsm.processes.surveys.steps import SURVEY
from bpsm.processes.surveys.views import RelationshipReport, SurveyRun, SurveyView
from bpsm.store.tables.survey import SURVEY_KINDS, SurveyRow
from bpsm.validation import one_of, paging, record_id
from bpsm.views import Page

__all__ = ["ReportFunction", "Surveys"]

#: The relationship report's SQL (:func:`bpsm.kpis.relationship.relationship_report`), handed in
#: by the desk: the KPIs read the processes' records, the processes never import the KPIs.
ReportFunction = Callable[[Session, datetime, datetime, Any, str], RelationshipReport]


class Surveys(ProcessFacade[SurveyRow, SurveyView]):
    """The survey process on one desk: answers, the scheduled run, the relationship report."""

    process = SURVEY
    row_type = SurveyRow
    view_type = SurveyView

    def __init__(self, desk: DeskPort, report: ReportFunction):
        super().__init__(desk)
        self._report = report

    def answer(
        self,
        survey_id: int,
        *,
        by: str,
        effort: int | None = None,
        satisfaction: int | None = None,
        via: str | None = None,
        note: str | None = None,
        expected_version: int | None = None,
    ) -> SurveyView:
        """Record the customer's answers (after the close: a phone-back, a mail).

        Args:
            effort: 1 (very little) – 7 (a lot); not asked by a relationship survey.
            satisfaction: 1 (very unhappy) – 5 (very happy).
            via: the channel the answers came in by (one of ``desk.yaml``'s channels).
            note: anything else the customer said.

        Raises:
            ValidationError: an answer out of its range or not a whole number, an unknown
                channel, effort on a relationship survey.
            GuardFailed: ``some_answer`` — no answer given.
            InvalidTransition: the survey is already answered, declined or expired.
        """
        return self.fire(
            survey_id,
            "answer",
            effort=effort,
            satisfaction=satisfaction,
            via=via,
            note=note,
            by=by,
            expected_version=expected_version,
        )

    def decline(
        self,
        survey_id: int,
        *,
        by: str,
        reason: str | None = None,
        expected_version: int | None = None,
    ) -> SurveyView:
        """The customer will not answer: the survey ends as not answered."""
        return self.fire(
            survey_id, "decline", reason=reason, by=by, expected_version=expected_version
        )

    def run(self, *, by: str) -> SurveyRun:
        """The scheduled run (``bpsm proactive``): decide, make the relationship surveys due, send
        and expire, as of now; idempotent, it catches up on missed runs
        (:mod:`bpsm.processes.surveys.run`).

        Raises:
            PermissionDenied: ``by`` may not run it (admin, manager, change or account manager,
                specialist — the maintenance run's people).
        """
        person = self._desk.person(by)
        with self._desk.unit() as uow:
            return survey_run.run(uow, person, self._desk)

    def get(self, survey_id: int) -> SurveyView:
        """One survey by id (:class:`~bpsm.errors.NotFound` if there is none)."""
        with self._session() as s:
            return SurveyView.model_validate(self._load(s, survey_id))

    def for_call(self, call_id: int) -> SurveyView | None:
        """The survey of a call (None when the call has none: not closed, or not asked)."""
        call_id = record_id("call", call_id, "call_id")
        with self._session() as s:
            row = s.scalar(select(SurveyRow).where(SurveyRow.call_id == call_id))
            return None if row is None else SurveyView.model_validate(row)

    def list(
        self,
        *,
        states: Sequence[str] | str | None = None,
        kind: str | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> Page[SurveyView]:
        """A page of surveys, newest first, optionally in ``states`` and of one ``kind``.

        Raises:
            ValidationError: an unknown state or kind, or paging out of bounds, naming it.
        """
        offset, limit = paging(offset, limit)
        wanted = self._check_states(states)
        where: list[ColumnElement[bool]] = []
        if wanted is not None:
            where.append(SurveyRow.state.in_(wanted))
        if kind is not None:
            where.append(SurveyRow.kind == one_of("kind", kind, SURVEY_KINDS, what="survey kinds"))
        with self._session() as s:
            total = s.scalar(select(func.count()).select_from(SurveyRow).where(*where)) or 0
            rows = s.scalars(
                select(SurveyRow)
                .where(*where)
                .order_by(SurveyRow.id.desc())
                .offset(offset)
                .limit(limit)
            ).all()
            return Page([SurveyView.model_validate(r) for r in rows], offset, limit, total)

    def relationship_report(
        self, since: datetime, until: datetime, *, by: str | None = None
    ) -> RelationshipReport:
        """The relationship surveys' figures by customer department, per period ``by`` day, week
        or month (local to the desk) and in total: ``surveys`` sent, ``responses``, ``satisfied``,
        ``mean``, ``share`` satisfied and ``response_rate``.

        Raises:
            ValidationError: a bad window or period, naming the field.
        """
        with self._session() as s:
            return self._report(s, since, until, by, self._desk.config.timezone)
