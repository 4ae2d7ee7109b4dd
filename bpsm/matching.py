"""Matching a customer's need to what the desk offers: the ranking of alternatives.

:func:`rank` is a pure function: the significant words of the need, the request and the asked-for
item are looked up in each candidate's name and keywords (full weight) and its description and
FAQ (half weight), rare words weighing more; the declared ``alternatives`` of a matched service
get a capped boost. The order is the lexicographic :func:`rank_key`: every full fit before any
partial fit, then the score. :func:`find_candidates` asks the database with one ``LIKE`` filter
per word instead of reading the whole catalogue.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, literal, or_, select
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session

from bpsm.services import escape_like
from bpsm.store.tables.core import ServiceRow, ServiceVersionRow
from bpsm.store.tables.relation import StandardDeliveryRow
from bpsm.validation import SEARCH_LIMIT
from bpsm.views import View

__all__ = [
    "ALTERNATIVE_BOOST",
    "MAX_CANDIDATES",
    "MAX_QUERY_WORDS",
    "Candidate",
    "Suggestion",
    "find_candidates",
    "rank",
    "rank_key",
    "significant_words",
]


class Suggestion(View):
    """A proposed alternative: a catalogue service or a standard delivery, and how well it fits."""

    kind: str  # "service" or "standard_delivery"
    service_id: str | None
    standard_delivery_id: int | None
    name: str
    score: float
    fit: str  # "full": every significant word of the need is covered; else "partial"
    missing: list[str]
    matched: list[str]
    via: str | None  # the matched service that lists this one among its alternatives


_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    [
        "a",
        "able",
        "about",
        "after",
        "again",
        "all",
        "also",
        "always",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "been",
        "being",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "each",
        "for",
        "from",
        "get",
        "got",
        "had",
        "has",
        "have",
        "he",
        "her",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "just",
        "like",
        "make",
        "may",
        "me",
        "might",
        "more",
        "most",
        "must",
        "my",
        "need",
        "needed",
        "needs",
        "new",
        "no",
        "not",
        "of",
        "on",
        "one",
        "only",
        "or",
        "other",
        "our",
        "out",
        "over",
        "own",
        "please",
        "per",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "to",
        "too",
        "up",
        "us",
        "use",
        "using",
        "very",
        "via",
        "want",
        "wanted",
        "wants",
        "was",
        "way",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "why",
        "will",
        "with",
        "within",
        "without",
        "would",
        "yes",
        "you",
        "your",
    ]
)
MAX_CANDIDATES = 200
#: The most words of a need that go into the database's ``LIKE`` filters.
MAX_QUERY_WORDS = 64


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
            return word[: -len(suffix)]
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
    """The meaningful words of ``text``: lower case, no stop words, in order, one per stem."""
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


#: How much of a matched service's score its declared alternatives receive (before the cap).
ALTERNATIVE_BOOST = 0.25
_STEP = 1e-4  # scores are rounded to four decimals: the smallest difference the order sees


def rank_key(s: Suggestion) -> tuple[bool, float, bool, str, str, int]:
    """The order of suggestions, best first: a lexicographic key.

    1. the fit class: every ``full`` fit before any ``partial`` one, whatever the scores;
    2. the score, highest first;
    3. ties: standard deliveries (a documented answer to this very kind of request) first,
       then by name, then by id — so the order never depends on the input's order.
    """
    return (
        s.fit != "full",
        -s.score,
        s.kind != "standard_delivery",
        s.name.casefold(),
        s.service_id or "",
        s.standard_delivery_id or 0,
    )


def _boosts(
    pool: dict[tuple[str, str], Candidate], base: dict[tuple[str, str], float]
) -> dict[tuple[str, str], tuple[float, str]]:
    """Key → (the boosted score, the declarer it came from) for the declared alternatives.

    An alternative receives :data:`ALTERNATIVE_BOOST` of the best matched declarer's score, capped
    so that it never rises above any matched service declaring it that it did not already
    outrank on its own: at most one step below that declarer, or not at all on a tie.
    """
    offered: dict[tuple[str, str], tuple[float, str]] = {}
    declarers: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for key, c in pool.items():
        for alt in c.alternatives if base[key] > 0 else ():
            target = ("service", alt)
            if target not in pool or target == key:
                continue
            declarers.setdefault(target, []).append(key)
            if ALTERNATIVE_BOOST * base[key] > offered.get(target, (0.0, ""))[0]:
                offered[target] = (ALTERNATIVE_BOOST * base[key], c.ref)
    out = {}
    for key, (extra, via) in offered.items():
        own = base[key]
        caps = [base[d] - _STEP if base[d] > own else own for d in declarers[key] if base[d] >= own]
        score = round(max(own, min([own + extra, *caps])), 4)
        if score > own:
            out[key] = (score, via)
    return out


def rank(
    need: str, candidates: Iterable[Candidate], *, asked: str = "", limit: int | None = 10
) -> list[Suggestion]:
    """Rank ``candidates`` against the ``need`` and what was ``asked`` (request, asked-for item).

    Each active candidate at most once, in the order of :func:`rank_key`: full fits first, then
    by score. Each significant word weighs more the fewer candidates mention it (a rare word like
    "ipad" says more than "meeting"), and a word of what was asked counts double: it names the
    kind of thing wanted, the need says what for. A word covered by a candidate's name or
    keywords earns its full weight, one found only in its other text half; the score is the share
    of the total weight earned. A suggestion is a ``full`` fit when every word is covered, else
    ``partial`` with the ``missing`` words listed.

    The declared ``alternatives`` of a matched service get a boost of a quarter of its score
    (the best such declarer is named in ``via``), capped so an alternative never outranks a
    service that declares it unless it did so on its own words. Candidates that earn nothing are
    left out.
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
    weight = {
        w: math.log(1 + len(pool) / max(df[w], 1)) * (2 if w in asked_words else 1) for w in words
    }
    total = sum(weight.values())
    base = {
        key: round(sum(weight[w] * share for w, share in found.items()) / total, 4)
        for key, found in hits.items()
    }
    boosted = _boosts(pool, base)
    found = []
    for key, c in pool.items():
        score, via = boosted.get(key, (base[key], None))
        if score <= 0:
            continue
        missing = [said[w] for w in words if w not in hits[key]]
        found.append(
            Suggestion(
                kind=c.kind,
                service_id=c.ref if c.kind == "service" else None,
                standard_delivery_id=int(c.ref) if c.kind == "standard_delivery" else None,
                name=c.name,
                score=score,
                fit="partial" if missing else "full",
                missing=missing,
                matched=[said[w] for w in words if w in hits[key]],
                via=via,
            )
        )
    found.sort(key=rank_key)
    return found if limit is None else found[:limit]


def _like_any(column: Any, words: Sequence[str]) -> tuple[ColumnElement[bool], ColumnElement[int]]:
    """``column LIKE '%w%'`` for any word, and how many match (to keep the best candidates)."""
    stems = (w.removesuffix("y") for w in words)  # "battery" finds "batteries" too
    likes = [column.like(f"%{escape_like(w)}%", escape="\\") for w in stems]
    return or_(*likes), sum((sql_case((lk, 1), else_=0) for lk in likes), start=literal(0))


def _service_candidates(s: Session, where: Any, order: Any = None) -> list[Candidate]:
    stmt = (
        select(ServiceRow.id, ServiceRow.name, ServiceRow.search_text, ServiceVersionRow.definition)
        .join(
            ServiceVersionRow,
            (ServiceVersionRow.service_id == ServiceRow.id)
            & (ServiceVersionRow.version == ServiceRow.current_version),
        )
        .where(ServiceRow.active.is_(True), where)
    )
    stmt = (
        stmt.order_by(order.desc(), ServiceRow.id)
        if order is not None
        else stmt.order_by(ServiceRow.id)
    )
    out = []
    for sid, name, text, definition in s.execute(stmt.limit(MAX_CANDIDATES)).all():
        keywords = " ".join(definition.get("keywords", []))
        out.append(
            Candidate(
                "service",
                sid,
                name,
                f"{name} {keywords} {sid.replace('-', ' ')}",
                text,
                tuple(definition.get("alternatives", [])),
            )
        )
    return out


def find_candidates(s: Session, text: str) -> list[Candidate]:
    """Active services and standard deliveries that share a word with ``text``, plus the declared
    alternatives of those services — fetched with ``LIKE`` filters, at most a few hundred.

    The filters use the first :data:`MAX_QUERY_WORDS` significant words of ``text``, each cut to
    :data:`~bpsm.validation.SEARCH_LIMIT` characters, so a long need never builds a statement the
    database refuses (SQLite's expression depth and ``LIKE`` pattern length).
    """
    words = [w[:SEARCH_LIMIT] for w in list(_significant(text))[:MAX_QUERY_WORDS]]
    if not words:
        return []
    svc_where, svc_hits = _like_any(ServiceRow.search_text, words)
    found = _service_candidates(s, svc_where, svc_hits)
    seen = {c.ref for c in found}
    alts = sorted({a for c in found for a in c.alternatives} - seen)
    if alts:
        found += _service_candidates(s, ServiceRow.id.in_(alts))
    sd_where, sd_hits = _like_any(StandardDeliveryRow.search_text, words)
    rows = s.scalars(
        select(StandardDeliveryRow)
        .where(StandardDeliveryRow.active.is_(True), sd_where)
        .order_by(sd_hits.desc(), StandardDeliveryRow.id)
        .limit(MAX_CANDIDATES)
    ).all()
    found += [
        Candidate(
            "standard_delivery",
            str(r.id),
            r.name,
            f"{r.name} {' '.join(r.keywords)}",
            r.search_text,
        )
        for r in rows
    ]
    return found
