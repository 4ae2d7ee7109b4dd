"""What the KPI dashboard asks and what it gets back: the query its keys set, the figures loaded.

:class:`DashboardQuery` is the dashboard's state as the manager's keys set it — the period
(day, week, month), how many periods, how far back, and one filter (service, department, group,
channel or operator) — and the window it means in the desk's time zone. :func:`load_dashboard`
asks the library for everything the dashboard shows in one go (it runs in a thread worker):
``desk.kpis.report`` for the trends, ``desk.effort.balance``, ``desk.calls.self_service`` and
the recurring disruptions the detector proposed (read only: looking never detects). Pure data,
no Textual.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from bpsm import (
    BpsmError,
    Desk,
    EffortBalance,
    ImprovementView,
    KpiFilter,
    KpiReport,
    PilotComparison,
    SelfServiceReport,
)
from bpsm_tui.data.format import error_text

__all__ = [
    "DIMENSIONS",
    "GRANULARITIES",
    "Choices",
    "Dashboard",
    "DashboardQuery",
    "load_choices",
    "load_dashboard",
    "trend",
]

By = Literal["day", "week", "month"]
GRANULARITIES: tuple[By, ...] = ("day", "week", "month")
"""The periods the dashboard steps through (``p``), in that order."""
DIMENSIONS: tuple[str, ...] = ("service", "department", "group", "channel", "operator", "pilot")
"""What the dashboard may be filtered on (one at a time): a :class:`bpsm.KpiFilter` dimension, or
a pilot (by name: its calls, and the comparison with the rest and with before)."""
COMPARED: tuple[str, ...] = ("first_time_right", "satisfaction", "effort", "volume")
"""The KPIs of the pilot comparison panel."""
DEFAULT_PERIODS: dict[str, int] = {"day": 14, "week": 12, "month": 12}
"""How many periods each granularity shows at first: two weeks, a quarter, a year."""
MAX_PERIODS: dict[str, int] = {"day": 92, "week": 104, "month": 36}
"""The most periods the range grows to (``+``)."""
TREND_KPIS: tuple[str, ...] = ("volume", "first_time_right", "effort", "satisfaction", "backlog")
"""The KPIs the dashboard asks the engine for (one grouped scan, and the backlog of now)."""
TOP = 5
"""Rows of the self-service and recurring-disruption tables."""


def _floor(day: date, by: By) -> date:
    if by == "week":
        return day - timedelta(days=day.weekday())
    if by == "month":
        return day.replace(day=1)
    return day


def _step(day: date, by: By, n: int) -> date:
    """``day`` (a period's first day) moved ``n`` periods (back when negative)."""
    if by == "day":
        return day + timedelta(days=n)
    if by == "week":
        return day + timedelta(weeks=n)
    months = day.year * 12 + day.month - 1 + n
    return date(months // 12, months % 12 + 1, 1)


@dataclass(frozen=True)
class DashboardQuery:
    """The dashboard's period, range and filter, as its keys set them.

    Attributes:
        by: the period of the trends: ``day``, ``week`` or ``month`` (local to the desk).
        periods: how many periods the window holds.
        back: how many periods the window ends before the current one (0: it ends with the
            period that holds today).
        dimension: the filter's dimension (one of :data:`DIMENSIONS`), or None for all calls.
        value: the filter's value (a service id, department, group, channel, staff id or a
            pilot's name).
    """

    by: By = "week"
    periods: int = DEFAULT_PERIODS["week"]
    back: int = 0
    dimension: str | None = None
    value: str | None = None

    def window(self, today: date, zone: str) -> tuple[datetime, datetime]:
        """``[since, until)`` in UTC: ``periods`` whole local periods, the last one ``back``
        periods before the one holding ``today`` (the desk's local date)."""
        end = _step(_floor(today, self.by), self.by, 1 - self.back)
        start = _step(end, self.by, -self.periods)
        tz = ZoneInfo(zone)
        return (
            datetime.combine(start, time(), tz).astimezone(UTC),
            datetime.combine(end, time(), tz).astimezone(UTC),
        )

    def window_at(self, now: datetime, zone: str) -> tuple[datetime, datetime]:
        """:meth:`window` for the desk's local date at ``now``."""
        return self.window(now.astimezone(ZoneInfo(zone)).date(), zone)

    def kpi_filter(self) -> KpiFilter:
        """The filter as the KPI engine takes it (a pilot's is its population: see
        :func:`load_dashboard`)."""
        if self.dimension is None or self.dimension == "pilot":
            return KpiFilter()
        by_name: dict[str, Any] = {self.dimension: self.value}
        return KpiFilter(**by_name)

    def next_by(self) -> DashboardQuery:
        """The next granularity (day → week → month → day), at its default range, ending now."""
        by = GRANULARITIES[(GRANULARITIES.index(self.by) + 1) % len(GRANULARITIES)]
        return replace(self, by=by, periods=DEFAULT_PERIODS[by], back=0)

    def longer(self) -> DashboardQuery:
        """Half as many periods again (at least one more), up to :data:`MAX_PERIODS`."""
        grown = max(self.periods + 1, self.periods * 3 // 2)
        return replace(self, periods=min(grown, MAX_PERIODS[self.by]))

    def shorter(self) -> DashboardQuery:
        """A third fewer periods (at least one fewer), down to two."""
        return replace(self, periods=max(2, min(self.periods - 1, self.periods * 2 // 3)))

    def earlier(self) -> DashboardQuery:
        """The window one period earlier."""
        return replace(self, back=self.back + 1)

    def later(self) -> DashboardQuery:
        """The window one period later, never past the current period."""
        return replace(self, back=max(0, self.back - 1))

    def current(self) -> DashboardQuery:
        """The window ending with the current period again."""
        return replace(self, back=0)

    def filtered(self, dimension: str | None, value: str | None = None) -> DashboardQuery:
        """The same period and range with another filter (None: all calls)."""
        return replace(self, dimension=dimension, value=value if dimension else None)


@dataclass(frozen=True)
class Choices:
    """The values the dashboard's filter may take, as the desk knows them.

    Attributes:
        values: per dimension, ``(value, label)`` pairs in the order the picker lists them
            (services by name, people by name, the rest as ``desk.yaml`` lists them).
    """

    values: dict[str, list[tuple[str, str]]]

    def label(self, dimension: str, value: str) -> str:
        """How a value is named on screen (a service's or person's name), else the value."""
        return next((lab for v, lab in self.values.get(dimension, []) if v == value), value)


@dataclass(frozen=True)
class Dashboard:
    """Everything the dashboard shows, computed for one query.

    Attributes:
        query: what was asked.
        since, until: the window, UTC.
        report: ``desk.kpis.report`` by period (the trends, the totals and the backlog now).
        balance: the team's time by kind of work against the target split; of the filter's
            group or operator, else of everyone.
        self_service: self-service opportunities; of the filter's service, else of all calls.
        disruptions: the latest recurring disruptions the detector proposed (of the filter's
            service if it is one), newest first.
        comparison: with a pilot as the filter, its KPIs vs the rest of its scope and vs its
            customers before it (``desk.pilots.compare``); None otherwise, or when it cannot be
            compared yet (``comparison_note`` says why).
        comparison_note: why there is no comparison for the pilot picked (it has not begun).
    """

    query: DashboardQuery
    since: datetime
    until: datetime
    report: KpiReport
    balance: EffortBalance
    self_service: SelfServiceReport
    disruptions: list[ImprovementView]
    comparison: PilotComparison | None = None
    comparison_note: str | None = None

    @property
    def balance_filtered(self) -> bool:
        """Whether the effort balance is of the filter (a group's or a person's time)."""
        return self.query.dimension in ("group", "operator")

    @property
    def self_service_filtered(self) -> bool:
        """Whether the self-service figures are of the filter (one service's calls)."""
        return self.query.dimension == "service"


def load_choices(desk: Desk) -> Choices:
    """The values each filter may take: the catalogue's services and departments (a database
    read), and the groups, channels and staff of ``desk.yaml``."""
    services = desk.services.list()
    config = desk.config
    return Choices(
        {
            "service": [(s.id, s.name) for s in services],
            "department": [(d, d) for d in sorted({s.department for s in services})],
            "group": [(g, g) for g in config.groups],
            "channel": [(c, c) for c in config.channels],
            "operator": [(p.id, p.name) for p in sorted(config.staff, key=lambda p: p.name)],
            "pilot": [
                (p.name, f"{p.name} · {p.group_name}, {p.since:%Y-%m-%d} – {p.until:%Y-%m-%d}")
                for p in desk.pilots.list()
            ],
        }
    )


def load_dashboard(desk: Desk, query: DashboardQuery, now: datetime) -> Dashboard:
    """Compute everything the dashboard shows for ``query`` at ``now`` (database work: call it
    in a worker).

    Raises:
        BpsmError: the library refused the query (a filter value it does not know, …).
    """
    zone = desk.config.timezone
    since, until = query.window_at(now, zone)
    filters, comparison, note = query.kpi_filter(), None, None
    if query.dimension == "pilot" and query.value is not None:
        pilot = desk.pilots.get(query.value)
        filters = KpiFilter(population=pilot.population())
        try:
            comparison = desk.pilots.compare(pilot.name, kpis=COMPARED)
        except BpsmError as err:  # it has not begun: the trends of its calls still show
            note = error_text(err)
    report = desk.kpis.report(since, until, by=query.by, filters=filters, kpis=TREND_KPIS)
    group = query.value if query.dimension == "group" else None
    person = query.value if query.dimension == "operator" else None
    balance = desk.effort.balance(since=since, until=until, group=group, by=person)
    service = query.value if query.dimension == "service" else None
    self_service = desk.calls.self_service(since=since, until=until, service=service, top=TOP)
    if service is None:
        disruptions = list(desk.improvements.page(source="recurring_disruption", limit=TOP).items)
    else:
        disruptions = desk.improvements.list(source="recurring_disruption", service_id=service)
    return Dashboard(
        query, since, until, report, balance, self_service, disruptions[:TOP], comparison, note
    )


def trend(report: KpiReport, kpi: str, figure: str) -> list[float | None]:
    """One figure of one KPI for each period of ``report`` (all calls), None where it has none
    (a share of nothing)."""
    out: list[float | None] = []
    for period in report.periods:
        value = report.get(kpi, period).get(figure)
        out.append(None if value is None else float(value))
    return out
