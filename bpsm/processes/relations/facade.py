"""``desk.relations``: relation management through the Python API.

Every action takes ``by`` (the staff id of the person acting) and ``expected_version``, runs in one
transaction with its audit event, and returns an immutable :class:`~bpsm.views.RelationCaseView`.

Alternatives are ranked by :func:`bpsm.matching.rank` over :func:`bpsm.matching.find_candidates`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bpsm.catalogue.schema import Service
from bpsm.errors import NotFound, ValidationError
from bpsm.matching import Candidate, find_candidates, rank, significant_words
from bpsm.processes.facade import ProcessFacade
from bpsm.processes.relations import steps as relation
from bpsm.processes.relations.views import RelationCaseView
from bpsm.roles import ACCOUNT_MANAGER, Person
from bpsm.store.tables.core import ServiceRow
from bpsm.store.tables.relation import RelationCaseRow, StandardDeliveryRow
from bpsm.views import Page

__all__ = ["Candidate", "Relations", "StandardDeliveryView", "Suggestion", "find_candidates", "rank",
           "significant_words"]

Suggestion = RelationCaseView.Suggestion


def _rank_case(s: Session, row: RelationCaseRow, limit: int) -> list[Suggestion]:
    asked = f"{row.request} {row.asked_for or ''}"
    return rank(row.need or "", find_candidates(s, f"{asked} {row.need or ''}"), asked=asked, limit=limit)


class StandardDeliveryView(BaseModel):
    """Documented delivery steps kept without a catalogue entry (the "iPad for the board" case)."""

    model_config = ConfigDict(frozen=True, from_attributes=True)
    id: int
    name: str
    keywords: list[str]
    steps: list[str]
    need: str
    origin_case_id: int
    recorded_by: str
    recorded_at: datetime
    active: bool


class Relations(ProcessFacade[RelationCaseRow, RelationCaseView]):
    """Relation management on one desk: requests for services we do not (yet) offer."""

    process = relation.RELATION

    def _load(self, s: Session, ident: int, expected_version: int | None) -> RelationCaseRow:
        return relation.load(s, ident, expected_version)

    def _view(self, s: Session, row: RelationCaseRow) -> RelationCaseView:
        return RelationCaseView.model_validate(row)

    def open(self, *, customer: str, request: str, by: str) -> RelationCaseView:
        """Open a case for a request that did not come in through a call (state ``received``)."""
        person = self._desk.person(by)
        with self._session() as s:
            return RelationCaseView.model_validate(relation.open_case(s, person, customer=customer, request=request))

    def clarify_need(self, case_id: int, *, need: str, by: str, asked_for: str | None = None,
                     expected_version: int | None = None) -> RelationCaseView:
        """Record why the customer asks (the need) and, optionally, what they asked for."""
        return self._act(case_id, by, expected_version,
                         lambda s, p, r: relation.clarify_need(s, p, r, need, asked_for))

    def propose_alternatives(self, case_id: int, *, by: str, limit: int = 10,
                             expected_version: int | None = None) -> RelationCaseView:
        """Rank standard services and standard deliveries against the need; stored on the case."""
        def action(s: Session, p: Person, r: RelationCaseRow) -> None:
            ranked = _rank_case(s, r, limit)
            relation.propose_alternatives(s, p, r, [x.model_dump(mode="json") for x in ranked])
        return self._act(case_id, by, expected_version, action)

    def suggestions(self, case: RelationCaseView | int, *, limit: int = 10) -> list[Suggestion]:
        """The alternatives the catalogue and the standard deliveries offer for a case right now."""
        with self._session() as s:
            row = relation.load(s, case if isinstance(case, int) else case.id)
            return _rank_case(s, row, limit)

    def accept_alternative(self, case_id: int, *, by: str, service: str | None = None,
                           standard_delivery: int | None = None,
                           expected_version: int | None = None) -> RelationCaseView:
        """The customer takes a proposed service (a call is registered and accepted for it on their
        behalf: ``alternative_call_id``) or standard delivery (the case closes with its steps)."""
        channels = tuple(self._desk.config.channels)
        return self._act(case_id, by, expected_version, lambda s, p, r: relation.accept_alternative(
            s, p, r, service_id=service, standard_delivery_id=standard_delivery, channels=channels))

    def decline_alternative(self, case_id: int, *, reason: str, by: str,
                            expected_version: int | None = None) -> RelationCaseView:
        """The alternatives do not cover the need: on to a bespoke assessment."""
        return self._act(case_id, by, expected_version, lambda s, p, r: relation.decline_alternative(s, p, r, reason))

    def assess_bespoke(self, case_id: int, *, reason: str, by: str,
                       expected_version: int | None = None) -> RelationCaseView:
        """Nothing in the catalogue fits: assess a bespoke solution."""
        return self._act(case_id, by, expected_version, lambda s, p, r: relation.assess_bespoke(s, p, r, reason))

    def answer(self, case_id: int, question: str, *, yes: bool, reason: str, by: str,
               considerations: dict[str, str] | None = None, expected_version: int | None = None) -> RelationCaseView:
        """Record ``feasible``, ``want`` (with optional considerations: policy_strategy, time,
        security_impact, maintainability) or ``budget`` as yes/no with the reason."""
        return self._act(case_id, by, expected_version,
                         lambda s, p, r: relation.answer(s, p, r, question, yes, reason, considerations))

    def refuse(self, case_id: int, *, explanation: str, options: list[str], by: str,
               expected_version: int | None = None) -> RelationCaseView:
        """Say no after a "no" answer: the explanation to the customer and the options left are required."""
        return self._act(case_id, by, expected_version,
                         lambda s, p, r: relation.refuse(s, p, r, explanation, options))

    def agree(self, case_id: int, *, customer_agrees: bool, by: str, note: str | None = None,
              expected_version: int | None = None) -> RelationCaseView:
        """Agree on the bespoke solution: all three answers yes and the customer agrees."""
        return self._act(case_id, by, expected_version,
                         lambda s, p, r: relation.agree(s, p, r, customer_agrees, note))

    def deliver(self, case_id: int, *, notes: str, by: str, steps: list[str] | None = None,
                expected_version: int | None = None) -> RelationCaseView:
        """Record the delivery of the bespoke solution, with the steps taken."""
        return self._act(case_id, by, expected_version, lambda s, p, r: relation.deliver(s, p, r, notes, steps))

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
            row = relation.load(s, case_id)
            manager = manager or row.agreed_by
            taken = set(s.scalars(select(ServiceRow.id)).all()) | set(cat)
            proposed = [x["service_id"] for x in row.suggestions if x.get("service_id") in cat]
        own = [svc for svc in cat.values() if svc.account_manager == manager] or [cat[i] for i in proposed[:1]]
        slug = "-".join(re.findall(r"[a-z0-9]+", row.request.lower()))[:60].strip("-") or f"service-{row.id}"
        sid, n = slug, 2
        while sid in taken:
            sid, n = f"{slug}-{n}", n + 1
        draft: dict[str, Any] = {
            "id": sid, "name": row.request.strip()[:1].upper() + row.request.strip()[1:200],
            "department": Counter(v.department for v in own).most_common(1)[0][0] if own else "IT",
            "description": f"{(row.need or row.request).strip().rstrip('.')}. First delivered as a bespoke "
                           f"solution in relation case {row.id} ({row.request.strip()}).",
            "keywords": significant_words(f"{row.request} {row.asked_for or ''}") or [sid],
            "faq": [], "quality_levels": [],
            "group": Counter(v.group for v in own).most_common(1)[0][0] if own else "service-desk",
            "alternatives": [i for i in dict.fromkeys(proposed) if i != sid],
        }
        if manager:
            draft["account_manager"] = manager
        return draft

    def standardize(self, case_id: int, *, definition: dict[str, Any] | Service, by: str,
                    summary: str | None = None, impact: str = "medium", rollback_plan: str | None = None,
                    expected_version: int | None = None) -> RelationCaseView:
        """Add it to the catalogue: opens a change proposal (``draft``) in ``desk.changes``: ``change_id``."""
        return self._act(case_id, by, expected_version, lambda s, p, r: relation.standardize(
            s, p, r, definition, summary=summary, impact=impact, rollback_plan=rollback_plan))

    def keep_standard_delivery(self, case_id: int, *, steps: list[str], by: str, keywords: list[str] | None = None,
                               name: str | None = None, expected_version: int | None = None) -> RelationCaseView:
        """Keep the documented steps as a standard delivery, offered on similar requests.

        ``keywords`` default to the significant words of the request and the asked-for item.
        """
        def action(s: Session, p: Person, r: RelationCaseRow) -> None:
            words = keywords if keywords is not None else significant_words(f"{r.request} {r.asked_for or ''}")
            relation.keep_standard_delivery(s, p, r, steps, words, name=name)
        return self._act(case_id, by, expected_version, action)

    def keep_bespoke(self, case_id: int, *, reason: str, by: str,
                     expected_version: int | None = None) -> RelationCaseView:
        """Leave it a one-off."""
        return self._act(case_id, by, expected_version, lambda s, p, r: relation.keep_bespoke(s, p, r, reason))

    def withdraw(self, case_id: int, *, reason: str, by: str, expected_version: int | None = None) -> RelationCaseView:
        """The customer no longer wants it (from any open state)."""
        return self._act(case_id, by, expected_version, lambda s, p, r: relation.withdraw(s, p, r, reason))

    def get(self, case_id: int) -> RelationCaseView:
        """One case by id (:class:`~bpsm.errors.NotFound` if there is none)."""
        with self._session() as s:
            return RelationCaseView.model_validate(relation.load(s, case_id))

    def queue(self, *, offset: int = 0, limit: int = 50,
              states: Sequence[str] = relation.OPEN_STATES) -> Page[RelationCaseView]:
        """A page of cases in ``states`` (default: open ones), oldest first; counted and paged in SQL."""
        if limit < 1 or offset < 0:
            raise ValidationError(f"paging: offset {offset} and limit {limit} must be >= 0 and >= 1")
        unknown = sorted(set(states) - set(self.process.states))
        if unknown:
            raise ValidationError(f"states: {', '.join(map(repr, unknown))} not a relation state")
        where = RelationCaseRow.state.in_(list(states))
        with self._session() as s:
            total = s.scalar(select(func.count()).select_from(RelationCaseRow).where(where)) or 0
            rows = s.scalars(select(RelationCaseRow).where(where)
                             .order_by(RelationCaseRow.opened_at, RelationCaseRow.id).offset(offset).limit(limit)).all()
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
        with self._session() as s:
            row = s.get(StandardDeliveryRow, delivery_id)
            if row is None:
                raise NotFound("standard delivery", delivery_id)
            return StandardDeliveryView.model_validate(row)
