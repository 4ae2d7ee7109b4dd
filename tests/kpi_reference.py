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
from bpsm.catalogue.policies import WORK_KINDS
from bpsm.store.tables import AuditEventRow, CallRow, EffortRow, ServiceRow, StaffRow
from bpsm.store.tables.proactive import TaskRow
from bpsm.store.tables.recommendation import RecommendationRow

OPEN = {"registered", "in_progress", "waiting_customer", "waiting_supplier", "resolved"}
BANDS = [
    ("under_1d", 0, 1),
    ("1d_3d", 1, 3),
    ("3d_7d", 3, 7),
    ("7d_30d", 7, 30),
    ("30d_plus", 30, None),
]


def facts(desk: Desk) -> list[dict[str, Any]]:
    """Every call as a plain dict, with its service's department (``kind`` ``call``); then every
    effort entry (``kind`` ``effort``, with its person's group) and every job and recommendation
    (``kind`` ``proactive``) — the rows of the engine's three sources, worked out by hand."""
    with desk.transaction() as s:
        departments = dict(s.execute(select(ServiceRow.id, ServiceRow.department)).all())
        rows = s.scalars(select(CallRow)).all()
        out = []
        for r in rows:
            d = {c: getattr(r, c) for c in CallRow.__table__.columns.keys()}  # noqa: SIM118
            d["department"] = departments.get(r.service_id)
            d["kind"] = "call"
            out.append(d)
        groups = dict(s.execute(select(StaffRow.id, StaffRow.group)).all())
        for e in s.scalars(select(EffortRow)).all():
            out.append(
                {
                    "kind": "effort",
                    "at": e.at,
                    "by": e.by,
                    "group": groups.get(e.by),
                    "work": e.work,
                    "minutes": e.minutes,
                    "call_id": e.record_id if e.record_type == "call" else None,
                }
            )
        # a job: (person, record) at the person's first handling of it
        first: dict[tuple[str, str, int], datetime] = {}

        def handled(person: str, kind: str, ref: int, at: datetime) -> None:
            key = (person, kind, ref)
            first[key] = min(at, first.get(key, at))

        for c in out:
            if c["kind"] == "call":
                handled(c["registered_by"], "call", c["id"], c["registered_at"])
        for ev in s.scalars(
            select(AuditEventRow).where(
                AuditEventRow.record_type == "call", AuditEventRow.trigger == "resolve"
            )
        ):
            handled(ev.actor, "call", int(ev.record_id), ev.at)
        for t in s.scalars(select(TaskRow).where(TaskRow.state == "done")):
            handled(t.done_by, "task", t.id, t.done_at)
        for (person, kind, ref), at in first.items():
            out.append(
                {
                    "kind": "proactive",
                    "at": at,
                    "person": person,
                    "group": groups.get(person),
                    "job": 1,
                    "call_id": ref if kind == "call" else None,
                }
            )
        for r in s.scalars(select(RecommendationRow)):
            out.append(
                {
                    "kind": "proactive",
                    "at": r.recommended_at,
                    "person": r.recommended_by,
                    "group": groups.get(r.recommended_by),
                    "job": 0,
                    "rec": r,
                    "call_id": r.call_id,
                }
            )
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
#: the dimensions of the other sources (the person's group now); the rest do not apply there
OTHER_DIM = {
    "effort": {"group": "group", "operator": "by"},
    "proactive": {"group": "group", "operator": "person"},
}


def _effort(e: dict[str, Any]) -> dict[str, Any]:
    return {
        "effort_balance": (
            e["at"],
            {
                "entries": 1,
                "minutes": e["minutes"],
                **{f"{w}_minutes": e["minutes"] if e["work"] == w else 0 for w in WORK_KINDS},
            },
        )
    }


def _proactive(p: dict[str, Any]) -> dict[str, Any]:
    r = p.get("rec")
    parts = dict.fromkeys(
        (
            "recommendations",
            "add_ons",
            "add_ons_accepted",
            "add_ons_declined",
            "leads",
            "leads_won",
            "leads_lost",
            "booked_value_sum",
            "add_on_value_sum",
            "lead_value_sum",
            "turnarounds",
            "turnaround_seconds_sum",
        ),
        0.0,
    )
    parts["jobs"] = p["job"]
    if r is not None:
        add_on = r.kind == "add_on"
        parts.update(
            recommendations=1,
            add_ons=int(add_on),
            add_ons_accepted=int(r.state == "accepted"),
            add_ons_declined=int(r.state == "declined"),
            leads=int(not add_on),
            leads_won=int(r.state == "won"),
            leads_lost=int(r.state == "lost"),
            booked_value_sum=r.booked_value or 0,
            add_on_value_sum=r.value if add_on else 0,
            lead_value_sum=0 if add_on else r.value,
            turnarounds=int(r.turnaround_seconds is not None),
            turnaround_seconds_sum=r.turnaround_seconds or 0,
        )
    return {"proactive": (p["at"], parts)}


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
        "first_time_right": (
            c["resolved_at"],
            {"resolved": 1, "first_time_right": int(ftr), "reopened": int(c["reopen_count"] > 0)},
        ),
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
        "self_service": (
            c["registered_at"],
            {"calls": 1, "flagged": int(c["self_service_faq"] is not None)},
        ),
        "lead_time": (
            c["resolved_at"],
            {
                "measured": int(c["lead_time_met"] is not None),
                "met": int(c["lead_time_met"] is True),
                "timed": int(c["business_minutes_to_resolve"] is not None),
                "business_minutes_sum": c["business_minutes_to_resolve"] or 0,
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
    "self_service": {"share": ("flagged", "calls")},
    "lead_time": {
        "share": ("met", "measured"),
        "mean_business_minutes": ("business_minutes_sum", "timed"),
    },
    "effort_balance": {f"{w}_share": (f"{w}_minutes", "minutes") for w in WORK_KINDS},
    "proactive": {
        "recommendation_rate": ("recommendations", "jobs"),
        "add_on_rate": ("add_ons", "jobs"),
        "lead_rate": ("leads", "jobs"),
        "add_on_value": ("add_on_value_sum", "add_ons"),
        "lead_value": ("lead_value_sum", "leads"),
        "lead_turnaround_seconds": ("turnaround_seconds_sum", "turnarounds"),
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
    *,
    targets: dict[str, int] | None = None,
    population: Any = None,
) -> dict[tuple[str, str | None, str], dict[str, float | None]]:
    """(period, group, kpi) → figures, for the cells with at least one row (and the totals).

    ``calls`` is :func:`facts`; ``targets`` the effort target split (percent) of desk.yaml;
    ``population`` a predicate on a call's dict (a pilot's calls): the other rows count when
    they are linked to such a call. A source without a filter's or the grouping's dimension is
    left out (the engine's ``not_applicable``).
    """
    sums: dict[tuple[str, str | None, str], dict[str, float]] = defaultdict(
        lambda: defaultdict(float)
    )
    used = [*(filters or {}), *([group_by] if group_by else [])]
    by_id = {c["id"]: c for c in calls if c["kind"] == "call"}
    for c in calls:
        dims = DIM if c["kind"] == "call" else OTHER_DIM[c["kind"]]
        if any(d not in dims for d in used):
            continue
        if any(c[dims[k]] != v for k, v in (filters or {}).items()):
            continue
        if population is not None:
            call = c if c["kind"] == "call" else by_id.get(c["call_id"])
            if call is None or not population(call):
                continue
        g = None if group_by is None else (c[dims[group_by]] or "(none)")
        per = {"call": lambda c: _per_call(c, now), "effort": _effort, "proactive": _proactive}
        for kpi, (at, parts) in per[c["kind"]](c).items():
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
        if key[2] == "effort_balance":
            for w in WORK_KINDS:
                target = (targets or {}).get(w, 0) / 100
                figures[f"{w}_target"] = target
                share = figures[f"{w}_share"]
                figures[f"{w}_gap"] = None if share is None else share - target
        if key[2] == "proactive":
            for name, (num, other) in {
                "add_on_hit_rate": ("add_ons_accepted", "add_ons_declined"),
                "lead_hit_rate": ("leads_won", "leads_lost"),
            }.items():
                decided = parts[num] + parts[other]
                figures[name] = parts[num] / decided if decided else None
        out[key] = figures
    return out


def compare(report: Any, ref: dict[tuple[str, str | None, str], dict[str, float | None]]) -> None:
    """Every reference cell is in the report with the same figures; the report's other rows
    are empty (zero counts) rows of periods without calls (a target from desk.yaml aside)."""
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
            assert all(not v for n, v in figures.items() if not n.endswith("_target")), (
                key,
                figures,
            )
