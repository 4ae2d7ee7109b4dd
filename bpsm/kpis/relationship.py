"""The relationship survey's figures, by department and period: one SQL aggregate.

It lives with the KPIs (which may read the processes' records, never the other way round) and is
handed to ``desk.surveys`` by the desk: ``desk.surveys.relationship_report(since, until, by=...)``.

Each relationship survey counts in the period its own period starts in (``period_start``), cut
into the report's days, weeks or months by :mod:`bpsm.kpis.periods`. Additive parts per period and
department, summed in Python for the totals:

* ``surveys``: sent (answered, declined and expired ones included: every survey that went out);
* ``responses``: answered; ``satisfied``: answered 4 or 5; ``score_sum``: the answers' sum;

and the figures ``mean`` (score_sum / responses), ``share`` (satisfied / responses) and
``response_rate`` (responses / surveys), None when their denominator is 0.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, literal_column, select
from sqlalchemy.orm import Session

from bpsm.errors import Problem, ValidationError
from bpsm.kpis.definitions import SATISFIED_MIN
from bpsm.kpis.periods import BY, Period, periods
from bpsm.kpis.sql import bucket_of
from bpsm.processes.surveys.views import RelationshipReport, RelationshipRow
from bpsm.store.tables.survey import SurveyRow
from bpsm.validation import moment

__all__ = ["PARTS", "relationship_report"]

R = SurveyRow
PARTS = ("surveys", "responses", "satisfied", "score_sum")


def _sum(when: Any, value: Any = 1) -> Any:
    return func.coalesce(func.sum(case((when, value), else_=0)), 0)


def relationship_report(
    s: Session, since: datetime, until: datetime, by: str | None, timezone: str
) -> RelationshipReport:
    """The figures per period ``by`` day, week or month (or none: the total only) and department.

    Raises:
        ValidationError: a bad window or period, naming the field.
    """
    since, until = moment("since", since), moment("until", until)
    if until <= since:
        raise ValidationError(
            Problem(f"{until.isoformat()} must be after since {since.isoformat()}", field="until")
        )
    if by is not None and by not in BY:
        raise ValidationError(Problem(f"{by!r} is not one of {', '.join(BY)}", field="by"))
    spans = periods(since, until, by, timezone) if by else [Period(since.date(), since, until)]
    edges = [p.since for p in spans[1:]]
    answered = R.state == "answered"
    stmt = (
        select(
            bucket_of(R.period_start, edges).label("b"),
            R.department,
            _sum(R.sent_at.is_not(None)).label("surveys"),
            _sum(answered).label("responses"),
            _sum(and_(answered, R.satisfaction >= SATISFIED_MIN)).label("satisfied"),
            _sum(and_(answered, R.satisfaction.is_not(None)), R.satisfaction).label("score_sum"),
        )
        .where(R.kind == "relationship", R.period_start >= since, R.period_start < until)
        .group_by(literal_column("1"), R.department)
    )
    cells: dict[tuple[str, str | None], dict[str, float]] = defaultdict(
        lambda: dict.fromkeys(PARTS, 0.0)
    )
    cells[("total", None)]
    for row in s.execute(stmt).all():
        m = row._mapping
        keys = {("total", None), ("total", m["department"])}
        if by is not None:
            label = spans[int(m["b"])].label.isoformat()
            keys |= {(label, None), (label, m["department"])}
        for key in keys:
            for name in PARTS:
                cells[key][name] += float(m[name] or 0)
    labels = [p.label.isoformat() for p in spans] if by else []
    for label in labels:  # an empty period still has its row
        cells[(label, None)]
    rows = [
        RelationshipRow(period=p, department=d, figures=_figures(v)) for (p, d), v in cells.items()
    ]
    rows.sort(
        key=lambda r: (r.department is not None, r.department or "", r.period != "total", r.period)
    )
    return RelationshipReport(
        since=since, until=until, by=by, timezone=timezone, periods=labels, rows=rows
    )


def _figures(parts: dict[str, float]) -> dict[str, int | float | None]:
    out: dict[str, int | float | None] = {n: int(parts[n]) for n in PARTS}
    n, sent = parts["responses"], parts["surveys"]
    out["mean"] = parts["score_sum"] / n if n else None
    out["share"] = parts["satisfied"] / n if n else None
    out["response_rate"] = n / sent if sent else None
    return out
