"""``desk.relations``: relation management through the Python API.

Every action takes ``by`` (the staff id of the person acting) and ``expected_version``, runs in one
transaction with its audit event, and returns an immutable :class:`~bpsm.views.RelationCaseView`.

Alternatives are ranked by :func:`bpsm.matching.rank` over :func:`bpsm.matching.find_candidates`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select

from bpsm.catalogue.schema import Service
from bpsm.errors import NotFound, ValidationError
from bpsm.matching import Candidate, Suggestion, find_candidates, rank, significant_words
from bpsm.processes.facade import ProcessFacade
from bpsm.processes.relations import steps as relation
from bpsm.processes.relations.views import RelationCaseView, StandardDeliveryView
from bpsm.roles import ACCOUNT_MANAGER, Person
from bpsm.store.tables.core import ServiceRow
from bpsm.store.tables.relation import RelationCaseRow, StandardDeliveryRow
from bpsm.store.uow import UnitOfWork
from bpsm.validation import clean_text, limit_of, paging, record_id
from bpsm.views import Page

__all__ = [
    "Candidate",
    "Relations",
    "StandardDeliveryView",
    "Suggestion",
    "find_candidates",
    "rank",
    "significant_words",
]


class Relations(ProcessFacade[RelationCaseRow, RelationCaseView]):
    """Relation management on one desk: requests for services we do not (yet) offer."""

    process = relation.RELATION

    row_type = RelationCaseRow
    view_type = RelationCaseView
    label = "relation case"

    def open(self, *, customer: str, request: str, by: str) -> RelationCaseView:
        """Open a case for a request that did not come in through a call (state ``received``).

        Raises:
            ValidationError: an empty or too long customer or request (``docs/limits.md``).
        """
        person = self._desk.person(by)
        self.process.require(person, "open")  # a refused person is told so before any field
        customer = clean_text("customer", customer, limit=limit_of(RelationCaseRow.customer))
        request = clean_text("request", request, limit=limit_of(RelationCaseRow.request))
        with self._session() as s:
            return RelationCaseView.model_validate(
                relation.open_case(s, person, customer=customer, request=request)
            )

    def receive(
        self, uow: UnitOfWork, call: Any, by: Person, reason: str | None
    ) -> RelationCaseView:
        """The reactive process's hand-over: open a case for a referred call inside ``uow``.

        Called by the ``refer`` step of ``desk.calls``, so the referral and the new case are written
        together or not at all.
        """
        return RelationCaseView.model_validate(relation.receive(uow.session, by, call, reason))

    def clarify_need(
        self,
        case_id: int,
        *,
        need: str,
        by: str,
        asked_for: str | None = None,
        expected_version: int | None = None,
    ) -> RelationCaseView:
        """Record why the customer asks (the need) and, optionally, what they asked for."""
        return self.fire(
            case_id,
            "clarify_need",
            need=need,
            asked_for=asked_for,
            by=by,
            expected_version=expected_version,
        )

    def propose_alternatives(
        self, case_id: int, *, by: str, limit: int = 10, expected_version: int | None = None
    ) -> RelationCaseView:
        """Rank standard services and standard deliveries against the need; stored on the case."""
        return self.fire(
            case_id, "propose_alternatives", limit=limit, by=by, expected_version=expected_version
        )

    def suggestions(self, case: RelationCaseView | int, *, limit: int = 10) -> list[Suggestion]:
        """The alternatives the catalogue and the standard deliveries offer for a case right now."""
        limit = paging(0, limit)[1]
        ident = case.id if isinstance(case, RelationCaseView) else case
        with self._session() as s:
            row = self._load(s, ident)
            return relation.rank_case(s, row, limit)

    def accept_alternative(
        self,
        case_id: int,
        *,
        by: str,
        service: str | None = None,
        standard_delivery: int | None = None,
        expected_version: int | None = None,
    ) -> RelationCaseView:
        """The customer takes a proposed service (a call is registered and accepted for it on their
        behalf: ``alternative_call_id``) or standard delivery (the case closes with its steps)."""
        if (service is None) == (standard_delivery is None):
            raise ValidationError(
                f"alternative: choose exactly one of service ({service!r}) or standard delivery "
                f"({standard_delivery!r})"
            )
        return self.fire(
            case_id,
            "accept_alternative",
            service=service,
            standard_delivery=standard_delivery,
            by=by,
            expected_version=expected_version,
        )

    def decline_alternative(
        self, case_id: int, *, reason: str, by: str, expected_version: int | None = None
    ) -> RelationCaseView:
        """The alternatives do not cover the need: on to a bespoke assessment."""
        return self.fire(
            case_id, "decline_alternative", reason=reason, by=by, expected_version=expected_version
        )

    def assess_bespoke(
        self, case_id: int, *, reason: str, by: str, expected_version: int | None = None
    ) -> RelationCaseView:
        """Nothing in the catalogue fits: assess a bespoke solution."""
        return self.fire(
            case_id, "assess_bespoke", reason=reason, by=by, expected_version=expected_version
        )

    def answer(
        self,
        case_id: int,
        question: str,
        *,
        yes: bool,
        reason: str,
        by: str,
        considerations: dict[str, str] | None = None,
        expected_version: int | None = None,
    ) -> RelationCaseView:
        """Record ``feasible``, ``want`` (with optional considerations: policy_strategy, time,
        security_impact, maintainability) or ``budget`` as yes/no with the reason."""
        return self.fire(
            case_id,
            "answer",
            question=question,
            yes=yes,
            reason=reason,
            considerations=considerations,
            by=by,
            expected_version=expected_version,
        )

    def refuse(
        self,
        case_id: int,
        *,
        explanation: str,
        options: list[str],
        by: str,
        expected_version: int | None = None,
    ) -> RelationCaseView:
        """Say no after a "no" answer.

        The explanation to the customer and the options left are required.
        """
        return self.fire(
            case_id,
            "refuse",
            explanation=explanation,
            options=options,
            by=by,
            expected_version=expected_version,
        )

    def agree(
        self,
        case_id: int,
        *,
        customer_agrees: bool,
        by: str,
        note: str | None = None,
        expected_version: int | None = None,
    ) -> RelationCaseView:
        """Agree on the bespoke solution: all three answers yes and the customer agrees."""
        return self.fire(
            case_id,
            "agree",
            customer_agrees=customer_agrees,
            note=note,
            by=by,
            expected_version=expected_version,
        )

    def deliver(
        self,
        case_id: int,
        *,
        notes: str,
        by: str,
        steps: list[str] | None = None,
        expected_version: int | None = None,
    ) -> RelationCaseView:
        """Record the delivery of the bespoke solution, with the steps taken."""
        return self.fire(
            case_id, "deliver", notes=notes, steps=steps, by=by, expected_version=expected_version
        )

    def draft_service(self, case_id: int, *, by: str | None = None) -> dict[str, Any]:
        """A draft catalogue definition pre-filled from the case, for :meth:`standardize`.

        Filled: id (a free slug from the request), name, department and group (guessed from the
        account manager's services, else the best alternative), description (need and request),
        keywords, account_manager (``by`` if an account manager, else who agreed), alternatives.
        The caller completes the rest (FAQ, quality levels, ordering, delivery, owner).
        """
        cat = self._desk.catalogue.services
        manager = by if by is not None and ACCOUNT_MANAGER in self._desk.person(by).roles else None
        with self._session() as s:
            row = self._load(s, case_id)
            manager = manager or row.agreed_by
            taken = set(s.scalars(select(ServiceRow.id)).all()) | set(cat)
            proposed = [x["service_id"] for x in row.suggestions if x.get("service_id") in cat]
        own = [svc for svc in cat.values() if svc.account_manager == manager] or [
            cat[i] for i in proposed[:1]
        ]
        slug = (
            "-".join(re.findall(r"[a-z0-9]+", row.request.lower()))[:60].strip("-")
            or f"service-{row.id}"
        )
        sid, n = slug, 2
        while sid in taken:
            sid, n = f"{slug}-{n}", n + 1
        draft: dict[str, Any] = {
            "id": sid,
            "name": row.request.strip()[:1].upper() + row.request.strip()[1:200],
            "department": Counter(v.department for v in own).most_common(1)[0][0] if own else "IT",
            "description": (
                f"{(row.need or row.request).strip().rstrip('.')}. "
                f"First delivered as a bespoke solution in relation case {row.id} "
                f"({row.request.strip()})."
            ),
            "keywords": significant_words(f"{row.request} {row.asked_for or ''}") or [sid],
            "faq": [],
            "quality_levels": [],
            "group": Counter(v.group for v in own).most_common(1)[0][0] if own else "service-desk",
            "alternatives": [i for i in dict.fromkeys(proposed) if i != sid],
        }
        if manager:
            draft["account_manager"] = manager
        return draft

    def standardize(
        self,
        case_id: int,
        *,
        definition: dict[str, Any] | Service,
        by: str,
        summary: str | None = None,
        impact: str = "medium",
        rollback_plan: str | None = None,
        expected_version: int | None = None,
    ) -> RelationCaseView:
        """Add it to the catalogue: opens a change proposal (``draft``) in ``desk.changes``.

        The proposal's id is the case's ``change_id``.
        """
        return self.fire(
            case_id,
            "standardize",
            definition=definition,
            summary=summary,
            impact=impact,
            rollback_plan=rollback_plan,
            by=by,
            expected_version=expected_version,
        )

    def keep_standard_delivery(
        self,
        case_id: int,
        *,
        steps: list[str],
        by: str,
        keywords: list[str] | None = None,
        name: str | None = None,
        expected_version: int | None = None,
    ) -> RelationCaseView:
        """Keep the documented steps as a standard delivery, offered on similar requests.

        ``keywords`` default to the significant words of the request and the asked-for item.
        """
        if keywords is None:
            case = self.get(case_id)
            keywords = significant_words(f"{case.request} {case.asked_for or ''}")
        return self.fire(
            case_id,
            "keep_standard_delivery",
            steps=steps,
            keywords=keywords,
            name=name,
            by=by,
            expected_version=expected_version,
        )

    def keep_bespoke(
        self, case_id: int, *, reason: str, by: str, expected_version: int | None = None
    ) -> RelationCaseView:
        """Leave it a one-off."""
        return self.fire(
            case_id, "keep_bespoke", reason=reason, by=by, expected_version=expected_version
        )

    def withdraw(
        self, case_id: int, *, reason: str, by: str, expected_version: int | None = None
    ) -> RelationCaseView:
        """The customer no longer wants it (from any open state)."""
        return self.fire(
            case_id, "withdraw", reason=reason, by=by, expected_version=expected_version
        )

    def get(self, case_id: int) -> RelationCaseView:
        """One case by id (:class:`~bpsm.errors.NotFound` if there is none)."""
        with self._session() as s:
            return RelationCaseView.model_validate(self._load(s, case_id))

    def queue(
        self,
        *,
        offset: int = 0,
        limit: int = 50,
        states: Sequence[str] | None = relation.OPEN_STATES,
    ) -> Page[RelationCaseView]:
        """A page of cases in ``states`` (default: open; None: every state), oldest first; counted
        and paged in SQL."""
        offset, limit = paging(offset, limit)
        wanted = self._check_states(states)
        where = [] if wanted is None else [RelationCaseRow.state.in_(wanted)]
        with self._session() as s:
            total = s.scalar(select(func.count()).select_from(RelationCaseRow).where(*where)) or 0
            rows = s.scalars(
                select(RelationCaseRow)
                .where(*where)
                .order_by(RelationCaseRow.opened_at, RelationCaseRow.id)
                .offset(offset)
                .limit(limit)
            ).all()
            return Page([RelationCaseView.model_validate(r) for r in rows], offset, limit, total)

    def standard_deliveries(self, *, include_retired: bool = False) -> list[StandardDeliveryView]:
        """The standard deliveries kept so far, newest first."""
        stmt = select(StandardDeliveryRow).order_by(StandardDeliveryRow.id.desc())
        if not include_retired:
            stmt = stmt.where(StandardDeliveryRow.active.is_(True))
        with self._session() as s:
            return [StandardDeliveryView.model_validate(r) for r in s.scalars(stmt)]

    def standard_delivery(self, delivery_id: int) -> StandardDeliveryView:
        """One standard delivery by id."""
        delivery_id = record_id("standard delivery", delivery_id)
        with self._session() as s:
            row = s.get(StandardDeliveryRow, delivery_id)
            if row is None:
                raise NotFound("standard delivery", delivery_id)
            return StandardDeliveryView.model_validate(row)
