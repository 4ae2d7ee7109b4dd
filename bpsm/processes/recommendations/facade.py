"""``desk.recommendations``: proactive service delivery — recommendations, staff KPIs, potential.

Staff register a recommendation while handling a call or a maintenance task; its value decides
whether it is an add-on (settled on the spot) or a lead (handed to sales). Every method takes
``by`` (the staff id of the person acting) and optional ``expected_version``, runs in one
transaction with its audit event, and returns an immutable :class:`RecommendationView`.

The KPIs (:meth:`Recommendations.stats`) are measured per person in SQL over a window
``[since, until)``. *Jobs handled* are :mod:`bpsm.processes.recommendations.jobs`: each call a
person registered or resolved and each maintenance task they completed, counted once, at their
first handling of it (the KPI engine's ``proactive`` KPI counts the same). The recommendation
figures follow the **cohort** of recommendations made in the window, with their outcome as it
stands now: hit rates count decided recommendations only (an add-on still on offer, a lead still
open, counts in neither numerator nor denominator). The leaderboard is for recognition, not
pressure: everyone with at least one recommendation is on it.
"""

from __future__ import annotations

import builtins
from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    func,
    select,
)

from bpsm.errors import Problem, ValidationError
from bpsm.processes.facade import ProcessFacade
from bpsm.processes.recommendations import steps as rec
from bpsm.processes.recommendations.jobs import first_handlings
from bpsm.processes.recommendations.views import Potential, RecommendationStats, RecommendationView
from bpsm.store.tables import StaffRow
from bpsm.store.tables.recommendation import RecommendationRow
from bpsm.validation import ID_MAX, clean_text, limit_of, moment, paging, record_id
from bpsm.views import Page

__all__ = ["Potential", "RecommendationStats", "RecommendationView", "Recommendations", "potential"]


def potential(
    *,
    jobs: float,
    add_on_rate: float,
    add_on_hit_rate: float,
    add_on_value: float,
    lead_rate: float,
    lead_hit_rate: float,
    lead_value: float,
    baseline: float = 0.0,
) -> Potential:
    """The brief's potential: jobs × add-on rate × hit rate × avg value + jobs × lead rate ×
    lead hit rate × avg lead value − current baseline.

    Rates are fractions (0.3 for 30 %); rates per job may exceed 1 (several recommendations per
    job), hit rates may not.

    Raises:
        ValidationError: a negative figure, or a hit rate above 1, naming the argument.
    """
    args = {
        "jobs": jobs,
        "add_on_rate": add_on_rate,
        "add_on_hit_rate": add_on_hit_rate,
        "add_on_value": add_on_value,
        "lead_rate": lead_rate,
        "lead_hit_rate": lead_hit_rate,
        "lead_value": lead_value,
        "baseline": baseline,
    }
    for name, v in args.items():
        if isinstance(v, bool) or not isinstance(v, int | float) or not v >= 0 or v == float("inf"):
            raise ValidationError(Problem(f"{v!r} must be a number >= 0", field=name))
        if name.endswith("hit_rate") and v > 1:
            raise ValidationError(Problem(f"{v!r} is a share and cannot exceed 1", field=name))
    return Potential(
        add_on=jobs * add_on_rate * add_on_hit_rate * add_on_value,
        lead=jobs * lead_rate * lead_hit_rate * lead_value,
        baseline=float(baseline),
    )


class Recommendations(ProcessFacade[RecommendationRow, RecommendationView]):
    """Proactive service delivery on one desk."""

    process = rec.RECOMMENDATION

    row_type = RecommendationRow
    view_type = RecommendationView

    def register(
        self,
        *,
        customer: str,
        description: str,
        by: str,
        call_id: int | None = None,
        task_id: int | None = None,
        item: str | None = None,
        value: float | None = None,
    ) -> RecommendationView:
        """Register a recommendation made while handling a call or a maintenance task.

        Give exactly one of ``item`` (an id from ``desk.yaml``'s price list; the price is the value)
        or ``value`` (for anything not on the list). At or below the lead threshold it becomes an
        add-on in ``offered``; above it a lead in ``handed_over``.

        Raises:
            ValidationError: naming the field (customer, description, item/value, call_id, task_id).
        """
        person = self._desk.person(by)
        self.process.require(person, "register")  # a refused person is told so before any field
        customer = clean_text("customer", customer, limit=limit_of(RecommendationRow.customer))
        description = clean_text(
            "description", description, limit=limit_of(RecommendationRow.description)
        )
        for field, ident, kind in (("call_id", call_id, "call"), ("task_id", task_id, "task")):
            if isinstance(ident, int) and not isinstance(ident, bool) and not 1 <= ident <= ID_MAX:
                raise ValidationError(Problem(f"there is no {kind} {ident!r}", field=field))
        if item is not None:
            item = clean_text("item", item, limit=limit_of(RecommendationRow.price_list_item))
        with self._session() as s:
            row = rec.register(
                s,
                person,
                self._desk.config.recommendations,
                customer=customer,
                description=description,
                call_id=call_id,
                task_id=task_id,
                item=item,
                value=value,
            )
            return RecommendationView.model_validate(row)

    def accept(
        self,
        recommendation_id: int,
        *,
        by: str,
        note: str | None = None,
        expected_version: int | None = None,
    ) -> RecommendationView:
        """Add-on: the customer signs up; the value is booked."""
        return self.fire(
            recommendation_id, "accept", note=note, by=by, expected_version=expected_version
        )

    def decline(
        self,
        recommendation_id: int,
        *,
        by: str,
        reason: str | None = None,
        expected_version: int | None = None,
    ) -> RecommendationView:
        """Add-on: the customer says no."""
        return self.fire(
            recommendation_id, "decline", reason=reason, by=by, expected_version=expected_version
        )

    def send_proposal(
        self,
        recommendation_id: int,
        *,
        by: str,
        note: str | None = None,
        expected_version: int | None = None,
    ) -> RecommendationView:
        """Lead: sales sends the proposal (the turnaround is recorded)."""
        return self.fire(
            recommendation_id, "send_proposal", note=note, by=by, expected_version=expected_version
        )

    def win(
        self,
        recommendation_id: int,
        *,
        by: str,
        final_value: float | None = None,
        note: str | None = None,
        expected_version: int | None = None,
    ) -> RecommendationView:
        """Lead: the customer orders; books ``final_value`` (default: the estimate)."""
        return self.fire(
            recommendation_id,
            "win",
            final_value=final_value,
            note=note,
            by=by,
            expected_version=expected_version,
        )

    def lose(
        self, recommendation_id: int, *, reason: str, by: str, expected_version: int | None = None
    ) -> RecommendationView:
        """Lead: no deal, with the reason."""
        return self.fire(
            recommendation_id, "lose", reason=reason, by=by, expected_version=expected_version
        )

    def get(self, recommendation_id: int) -> RecommendationView:
        """One recommendation by id (:class:`~bpsm.errors.NotFound` if there is none)."""
        with self._session() as s:
            return RecommendationView.model_validate(self._load(s, recommendation_id))

    def list(
        self,
        *,
        states: tuple[str, ...] | None = None,
        kind: str | None = None,
        recommended_by: str | None = None,
    ) -> list[RecommendationView]:
        """Recommendations, newest first, optionally filtered by state, kind or person."""
        if kind is not None and (not isinstance(kind, str) or kind not in rec.KINDS):
            raise ValidationError(
                Problem(f"{kind!r} is not one of {', '.join(rec.KINDS)}", field="kind")
            )
        states = self._check_states(states)
        if recommended_by is not None:
            recommended_by = clean_text(
                "recommended_by", recommended_by, limit=limit_of(RecommendationRow.recommended_by)
            )
        stmt = select(RecommendationRow).order_by(RecommendationRow.id.desc())
        if states:
            stmt = stmt.where(RecommendationRow.state.in_(states))
        if kind is not None:
            stmt = stmt.where(RecommendationRow.kind == kind)
        if recommended_by is not None:
            stmt = stmt.where(RecommendationRow.recommended_by == recommended_by)
        with self._session() as s:
            return [RecommendationView.model_validate(r) for r in s.scalars(stmt).all()]

    def page(
        self,
        *,
        states: tuple[str, ...] | None = None,
        kind: str | None = None,
        call_id: int | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> Page[RecommendationView]:
        """A page of recommendations, newest first, optionally in ``states``, of ``kind``
        (``add_on`` or ``lead``) or made on call ``call_id``. Paged in SQL, with the total.

        Raises:
            ValidationError: an unknown state or kind, a call id that is not an id, or paging
                out of bounds.
        """
        offset, limit = paging(offset, limit)
        if kind is not None and (not isinstance(kind, str) or kind not in rec.KINDS):
            raise ValidationError(
                Problem(f"{kind!r} is not one of {', '.join(rec.KINDS)}", field="kind")
            )
        states = self._check_states(states)
        R = RecommendationRow
        where: builtins.list[ColumnElement[bool]] = []
        if states:
            where.append(R.state.in_(states))
        if kind is not None:
            where.append(R.kind == kind)
        if call_id is not None:
            where.append(R.call_id == record_id("call", call_id, "call_id"))
        with self._session() as s:
            total = s.scalar(select(func.count()).select_from(R).where(*where)) or 0
            rows = s.scalars(
                select(R).where(*where).order_by(R.id.desc()).offset(offset).limit(limit)
            ).all()
            return Page([RecommendationView.model_validate(r) for r in rows], offset, limit, total)

    def stats(self, since: datetime, until: datetime) -> builtins.list[RecommendationStats]:
        """Per person with jobs or recommendations in ``[since, until)``: jobs, rates, value,
        turnaround.

        Two grouped SQL queries (jobs per person; the recommendation cohort per person).
        """
        since, until = moment("since", since), moment("until", until)
        if until <= since:
            raise ValidationError(
                Problem(
                    f"until {until.isoformat()} must be after since {since.isoformat()}",
                    field="window",
                )
            )
        R = RecommendationRow
        count_if = lambda cond: func.coalesce(func.sum(case((cond, 1), else_=0)), 0)  # noqa: E731
        jobs = first_handlings(since, until)
        job_q = (
            select(jobs.c.person, func.count())
            .where(jobs.c.at >= since, jobs.c.at < until)
            .group_by(jobs.c.person)
        )
        rec_q = (
            select(
                R.recommended_by,
                func.count(),
                count_if(R.kind == "add_on"),
                count_if(R.state == "accepted"),
                count_if(R.state == "declined"),
                count_if(R.kind == "lead"),
                count_if(R.state == "won"),
                count_if(R.state == "lost"),
                func.coalesce(func.sum(R.booked_value), 0.0),
                func.avg(case((R.kind == "add_on", R.value))),
                func.avg(case((R.kind == "lead", R.value))),
                func.avg(R.turnaround_seconds),
            )
            .where(and_(R.recommended_at >= since, R.recommended_at < until))
            .group_by(R.recommended_by)
        )
        with self._session() as s:
            job_counts = {p: int(n) for p, n in s.execute(job_q).all()}
            figures = {r[0]: r[1:] for r in s.execute(rec_q).all()}
            names = dict(s.execute(select(StaffRow.id, StaffRow.name)).all())
        out = []
        for person in sorted(set(job_counts) | set(figures)):
            n, add_ons, acc, dec, leads, won, lost, booked, av, lv, ta = figures.get(
                person, (0, 0, 0, 0, 0, 0, 0, 0.0, None, None, None)
            )
            out.append(
                RecommendationStats(
                    person=person,
                    name=names.get(person, person),
                    jobs=job_counts.get(person, 0),
                    recommendations=int(n),
                    add_ons=int(add_ons),
                    add_ons_accepted=int(acc),
                    add_ons_declined=int(dec),
                    leads=int(leads),
                    leads_won=int(won),
                    leads_lost=int(lost),
                    booked_value=float(booked),
                    add_on_value=None if av is None else float(av),
                    lead_value=None if lv is None else float(lv),
                    lead_turnaround_seconds=None if ta is None else float(ta),
                )
            )
        return out

    def leaderboard(self, since: datetime, until: datetime) -> builtins.list[RecommendationStats]:
        """Everyone with at least one recommendation in the window, highest first.

        Ranked by booked value, then by count.
        """
        board = [p for p in self.stats(since, until) if p.recommendations >= 1]
        return sorted(board, key=lambda p: (-p.booked_value, -p.recommendations, p.person))
