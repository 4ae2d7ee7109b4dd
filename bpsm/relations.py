"""``desk.relations``: relation management through the Python API, and the ranking of alternatives.

Every action takes ``by`` (the staff id of the person acting) and ``expected_version``, runs in one
transaction with its audit event, and returns an immutable :class:`~bpsm.models.RelationCaseView`.

Alternatives are ranked by :func:`rank`, a pure function: the significant words of the need, the
request and the asked-for item are looked up in each candidate's name and keywords (full weight)
and its description and FAQ (half weight), rare words weighing more; the declared
``alternatives`` of a matched service get a boost. Candidates come from :func:`find_candidates`,
which asks the database with one ``LIKE`` filter per word instead of reading the whole catalogue.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import ColumnElement, func, literal, or_, select
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session

from bpsm.calls import Page
from bpsm.catalogue.schema import Service
from bpsm.errors import NotFound, ValidationError
from bpsm.facade import ProcessFacade
from bpsm.models import RelationCaseView
from bpsm.processes import relation
from bpsm.roles import ACCOUNT_MANAGER, Person
from bpsm.store.tables.core import ServiceRow, ServiceVersionRow
from bpsm.store.tables.relation import RelationCaseRow, StandardDeliveryRow

if TYPE_CHECKING:
    pass

__all__ = ["Candidate", "Relations", "StandardDeliveryView", "Suggestion", "find_candidates", "rank",
           "significant_words"]

Suggestion = RelationCaseView.Suggestion

_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset([
    "a", "able", "about", "after", "again", "all", "also", "always", "am", "an", "and", "any", "are", "as",
    "at", "be", "been", "being", "but", "by", "can", "could", "did", "do", "does", "each", "for", "from",
    "get", "got", "had", "has", "have", "he", "her", "his", "how", "i", "if", "in", "into", "is", "it",
    "its", "just", "like", "make", "may", "me", "might", "more", "most", "must", "my", "need", "needed",
    "needs", "new", "no", "not", "of", "on", "one", "only", "or", "other", "our", "out", "over", "own",
    "please", "per", "same", "she", "should", "so", "some", "such", "than", "that", "the", "their", "them",
    "then", "there", "these", "they", "this", "those", "to", "too", "up", "us", "use", "using", "very",
    "via", "want", "wanted", "wants", "was", "way", "we", "were", "what", "when", "where", "which", "while",
    "who", "why", "will", "with", "within", "without", "would", "yes", "you", "your",
])
MAX_CANDIDATES = 200


def _stem(word: str) -> str:
    """A light English stemmer, the same for need and catalogue: meetings, meeting → meet."""
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith(("ches", "shes", "xes", "sses")):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        word = word[:-1]
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[:-len(suffix)]
    return word


def _tokens(text: str) -> set[str]:
    return {_stem(w) for w in _WORD.findall(text.lower())}


def _significant(text: str) -> dict[str, str]:
    """Stem → the first word of ``text`` with that stem, for the words that carry meaning."""
    found: dict[str, str] = {}
    for word in _WORD.findall((text or "").lower()):
        if word not in _STOP and len(word) > 2 and _stem(word) not in _STOP:
            found.setdefault(_stem(word), word)
    return found


def significant_words(text: str) -> list[str]:
    """The words of ``text`` that carry meaning: lower case, no stop words, in order, one per stem."""
    return list(_significant(text).values())


@dataclass(frozen=True)
class Candidate:
    """Something that could answer a need: a catalogue service or a standard delivery."""

    kind: str  # "service" or "standard_delivery"
    ref: str  # service id, or the standard delivery's id as text
    name: str
    strong: str  # name and keywords: a word found here earns its full weight
    text: str  # everything searchable (description, FAQ, need): a word found only here earns half
    alternatives: tuple[str, ...] = ()
    active: bool = True


def rank(need: str, candidates: Iterable[Candidate], *, asked: str = "",
         limit: int | None = 10) -> list[Suggestion]:
    """Rank ``candidates`` against the ``need`` and what was ``asked`` (request, asked-for item).

    Best first, each active candidate at most once. Each significant word weighs more the fewer
    candidates mention it (a rare word like "ipad" says more than "meeting"), and a word of what
    was asked counts double: it names the kind of thing wanted, the need says what for. A word
    covered by a candidate's name or keywords earns its full weight, one found only in its other
    text half; the score is the share of the total weight earned, plus a quarter of the score of
    the best matched service that lists it among its ``alternatives`` (named in ``via``). A
    suggestion is a ``full`` fit when every word is covered, else ``partial`` with the ``missing``
    words listed. Candidates that earn nothing are left out. Ties go to standard deliveries (a
    documented answer to this very kind of request), then by name.
    """
    asked_words = _significant(asked)
    said = {**asked_words, **{k: v for k, v in _significant(need).items() if k not in asked_words}}
    words = list(said)  # stems, what was asked first
    pool: dict[tuple[str, str], Candidate] = {}
    for c in candidates:
        if c.active:
            pool.setdefault((c.kind, c.ref), c)
    if not words or not pool:
        return []
    hits: dict[tuple[str, str], dict[str, float]] = {}
    for key, c in pool.items():
        strong, every = _tokens(c.strong), _tokens(c.strong) | _tokens(c.text)
        hits[key] = {w: 1.0 if w in strong else 0.5 for w in words if w in every}
    df = Counter(w for found in hits.values() for w in found)
    weight = {w: math.log(1 + len(pool) / max(df[w], 1)) * (2 if w in asked_words else 1) for w in words}
    total = sum(weight.values())
    base = {key: sum(weight[w] * share for w, share in found.items()) / total for key, found in hits.items()}
    boost: dict[tuple[str, str], tuple[float, str]] = {}
    for key, c in pool.items():
        for alt in c.alternatives if base[key] > 0 else ():
            target = ("service", alt)
            if target in pool and target != key and 0.25 * base[key] > boost.get(target, (0.0, ""))[0]:
                boost[target] = (0.25 * base[key], c.ref)
    found = []
    for key, c in pool.items():
        extra, via = boost.get(key, (0.0, None))
        score = round(base[key] + extra, 4)
        if score <= 0:
            continue
        missing = [said[w] for w in words if w not in hits[key]]
        found.append(Suggestion(kind=c.kind, service_id=c.ref if c.kind == "service" else None,
                                standard_delivery_id=int(c.ref) if c.kind == "standard_delivery" else None,
                                name=c.name, score=score, fit="partial" if missing else "full", missing=missing,
                                matched=[said[w] for w in words if w in hits[key]], via=via))
    found.sort(key=lambda x: (-x.score, x.kind != "standard_delivery", x.name.casefold(),
                              x.service_id or "", x.standard_delivery_id or 0))
    return found if limit is None else found[:limit]


def _like_any(column: Any, words: Sequence[str]) -> tuple[ColumnElement[bool], ColumnElement[int]]:
    """``column LIKE '%w%'`` for any word, and how many words match (to keep the best candidates)."""
    stems = (w.removesuffix("y") for w in words)  # "battery" finds "batteries" too
    likes = [column.like(f"%{_escape(w)}%", escape="\\") for w in stems]
    return or_(*likes), sum((sql_case((lk, 1), else_=0) for lk in likes), start=literal(0))


def _escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _service_candidates(s: Session, where: Any, order: Any = None) -> list[Candidate]:
    stmt = (select(ServiceRow.id, ServiceRow.name, ServiceRow.search_text, ServiceVersionRow.definition)
            .join(ServiceVersionRow, (ServiceVersionRow.service_id == ServiceRow.id)
                  & (ServiceVersionRow.version == ServiceRow.current_version))
            .where(ServiceRow.active.is_(True), where))
    stmt = stmt.order_by(order.desc(), ServiceRow.id) if order is not None else stmt.order_by(ServiceRow.id)
    out = []
    for sid, name, text, definition in s.execute(stmt.limit(MAX_CANDIDATES)).all():
        keywords = " ".join(definition.get("keywords", []))
        out.append(Candidate("service", sid, name, f"{name} {keywords} {sid.replace('-', ' ')}", text,
                             tuple(definition.get("alternatives", []))))
    return out


def find_candidates(s: Session, text: str) -> list[Candidate]:
    """Active services and standard deliveries that share a word with ``text``, plus the declared
    alternatives of those services — fetched with ``LIKE`` filters, at most a few hundred."""
    words = list(_significant(text))
    if not words:
        return []
    svc_where, svc_hits = _like_any(ServiceRow.search_text, words)
    found = _service_candidates(s, svc_where, svc_hits)
    seen = {c.ref for c in found}
    alts = sorted({a for c in found for a in c.alternatives} - seen)
    if alts:
        found += _service_candidates(s, ServiceRow.id.in_(alts))
    sd_where, sd_hits = _like_any(StandardDeliveryRow.search_text, words)
    rows = s.scalars(select(StandardDeliveryRow).where(StandardDeliveryRow.active.is_(True), sd_where)
                     .order_by(sd_hits.desc(), StandardDeliveryRow.id).limit(MAX_CANDIDATES)).all()
    found += [Candidate("standard_delivery", str(r.id), r.name, f"{r.name} {' '.join(r.keywords)}", r.search_text)
              for r in rows]
    return found


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
        with self._desk.transaction() as s:
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
        with self._desk.transaction() as s:
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
        with self._desk.transaction() as s:
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
        with self._desk.transaction() as s:
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
        with self._desk.transaction() as s:
            total = s.scalar(select(func.count()).select_from(RelationCaseRow).where(where)) or 0
            rows = s.scalars(select(RelationCaseRow).where(where)
                             .order_by(RelationCaseRow.opened_at, RelationCaseRow.id).offset(offset).limit(limit)).all()
            return Page([RelationCaseView.model_validate(r) for r in rows], offset, limit, total)

    def standard_deliveries(self, *, include_retired: bool = False) -> list[StandardDeliveryView]:
        """The standard deliveries kept so far, newest first."""
        stmt = select(StandardDeliveryRow).order_by(StandardDeliveryRow.id.desc())
        if not include_retired:
            stmt = stmt.where(StandardDeliveryRow.active.is_(True))
        with self._desk.transaction() as s:
            return [StandardDeliveryView.model_validate(r) for r in s.scalars(stmt)]

    def standard_delivery(self, delivery_id: int) -> StandardDeliveryView:
        """One standard delivery by id."""
        with self._desk.transaction() as s:
            row = s.get(StandardDeliveryRow, delivery_id)
            if row is None:
                raise NotFound("standard delivery", delivery_id)
            return StandardDeliveryView.model_validate(row)
