"""A pure-Python reference for the KPI engine: the definitions of docs/kpis.md, row by row.

Deliberately naive and independent of the engine's SQL: periods from each timestamp's local
date, filters and groups as plain comparisons. Tests compare ``desk.kpis.report`` with it.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bpsm import Desk
from bpsm.store.tables import CallRow, ServiceRow

OPEN = {"registered", "in_progress", "waiting_customer", "waiting_supplier", "resolved"}
BANDS = [
    ("under_1d", 0, 1),
    ("1d_3d", 1, 3),
    ("3d_7d", 3, 7),
    ("7d_30d", 7, 30),
    ("30d_plus", 30, None),
]


def facts(desk: Desk) -> list[dict[str, Any]]:
    """Every call as a plain dict, with its service's department."""
    with desk.transaction() as s:
        departments = dict(s.execute(select(ServiceRow.id, ServiceRow.department)).all())
        rows = s.scalars(select(CallRow)).all()
        out = []
        for r in rows:
            d = {c: getattr(r, c) for c in CallRow.__table__.columns.keys()}  # noqa: SIM118
            d["department"] = departments.get(r.service_id)
            out.append(d)
    return out


def label(at: datetime, by: str | None, tz: str) -> str:
    if by is None:
        return "total"
    d: date = at.astimezone(ZoneInfo(tz)).date()
    if by == "week":
        d -= timedelta(days=d.weekday())
    elif by == "month":
        d = d.replace(day=1)
    return d.isoformat()


DIM = {
    "service": "service_id",
    "department": "department",
    "group": "group",
    "operator": "registered_by",
    "channel": "channel",
}


def _per_call(c: dict[str, Any], now: datetime) -> dict[str, tuple[str | None, dict[str, float]]]:
    """For each KPI: the call's anchor time and what it adds to each part."""
    ftr = c["resolved_at_contact"] == 1 and c["escalation_count"] == 0 and c["reopen_count"] == 0
    referred = c["state"] == "referred"
    eff, sat = c["effort_score"], c["satisfaction"]
    asked = c["survey"] in ("sent", "answered", "not_answered")  # the survey went out
    secs = lambda a, b: (b - a).total_seconds()  # noqa: E731
    out: dict[str, Any] = {
        "volume": (
            c["registered_at"],
            {"registered": 1, "exceptions": int(c["is_exception"]), "referred": int(referred)},
        ),
        "first_time_right": (c["resolved_at"], {"resolved": 1, "first_time_right": int(ftr)}),
        "effort": (
            c["closed_at"],
            {
                "asked": int(asked),
                "responses": int(eff is not None),
                "easy": int(eff is not None and eff <= 3),
                "score_sum": eff or 0,
            },
        ),
        "satisfaction": (
            c["closed_at"],
            {
                "asked": int(asked),
                "responses": int(sat is not None),
                "not_answered": int(c["survey"] == "not_answered"),
                "satisfied": int(sat is not None and sat >= 4),
                "score_sum": sat or 0,
            },
        ),
        "response_time": (
            c["registered_at"],
            {
                "acted_on": int(c["responded_at"] is not None),
                "not_acted_on": int(c["responded_at"] is None),
                "seconds_sum": secs(c["registered_at"], c["responded_at"])
                if c["responded_at"]
                else 0,
            },
        ),
        "resolution_time": (
            c["resolved_at"],
            {
                "resolved": 1,
                "seconds_sum": secs(c["registered_at"], c["resolved_at"])
                if c["resolved_at"]
                else 0,
            },
        ),
        "mileage": (
            c["registered_at"],
            {
                "requests": 1,
                "processes_sum": 1 + referred,
                "handovers_sum": c["escalation_count"] + referred,
                "reports_sum": c["contact_count"],
            },
        ),
    }
    age = now - c["registered_at"]
    is_open = c["state"] in OPEN
    back = {"open": int(is_open)}
    for name, lo, hi in BANDS:
        back[name] = int(
            is_open and age >= timedelta(days=lo) and (hi is None or age < timedelta(days=hi))
        )
    out["backlog"] = (None, back)
    return out


FIGURES = {
    "first_time_right": {"share": ("first_time_right", "resolved")},
    "effort": {
        "mean": ("score_sum", "responses"),
        "easy_share": ("easy", "responses"),
        "response_rate": ("responses", "asked"),
    },
    "satisfaction": {
        "share": ("satisfied", "responses"),
        "mean": ("score_sum", "responses"),
        "response_rate": ("responses", "asked"),
    },
    "response_time": {"mean_seconds": ("seconds_sum", "acted_on")},
    "resolution_time": {"mean_seconds": ("seconds_sum", "resolved")},
    "mileage": {
        "processes": ("processes_sum", "requests"),
        "handovers": ("handovers_sum", "requests"),
        "reports": ("reports_sum", "requests"),
    },
}


def reference(
    calls: list[dict[str, Any]],
    since: datetime,
    until: datetime,
    tz: str,
    now: datetime,
    by: str | None = None,
    group_by: str | None = None,
    filters: dict[str, str] | None = None,
) -> dict[tuple[str, str | None, str], dict[str, float | None]]:
    """(period, group, kpi) → figures, for the cells with at least one call (and the totals)."""
    sums: dict[tuple[str, str | None, str], dict[str, float]] = defaultdict(
        lambda: defaultdict(float)
    )
    for c in calls:
        if any(c[DIM[k]] != v for k, v in (filters or {}).items()):
            continue
        g = None if group_by is None else (c[DIM[group_by]] or "(none)")
        for kpi, (at, parts) in _per_call(c, now).items():
            if kpi == "backlog":
                if parts["open"]:
                    cells = {("now", None), ("now", g)}
                else:
                    continue
            else:
                if at is None or not since <= at < until:
                    continue
                cells = {("total", None), ("total", g)}
                if by is not None:
                    cells |= {(label(at, by, tz), None), (label(at, by, tz), g)}
            for period, grp in cells:
                for name, v in parts.items():
                    sums[(period, grp, kpi)][name] += v
    out = {}
    for key, parts in sums.items():
        figures: dict[str, float | None] = dict(parts)
        for name, (num, den) in FIGURES.get(key[2], {}).items():
            figures[name] = parts[num] / parts[den] if parts[den] else None
        out[key] = figures
    return out


def compare(report: Any, ref: dict[tuple[str, str | None, str], dict[str, float | None]]) -> None:
    """Every reference cell is in the report with the same figures; the report's other rows
    are empty (zero counts) rows of periods without calls."""
    got = {(r.period, r.group, r.kpi): r.figures for r in report.rows}
    for key, figures in ref.items():
        assert key in got, f"missing {key}"
        for name, v in figures.items():
            g = got[key][name]
            if v is None:
                assert g is None, (key, name, g)
            else:
                assert g is not None and abs(g - v) <= 1e-6 * max(1.0, abs(v)), (key, name, g, v)
    for key, figures in got.items():
        if key not in ref:
            assert key[1] is None, f"unexpected group row {key}"
            assert all(not v for v in figures.values()), (key, figures)
