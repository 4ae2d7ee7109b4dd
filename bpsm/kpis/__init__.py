"""KPIs that show whether customers are happy: each defined once as an SQL aggregation.

* :mod:`bpsm.kpis.definitions` — the KPIs (source, anchor, additive SQL parts, derived figures);
* :mod:`bpsm.kpis.periods` — days, weeks and months in the desk's time zone;
* :mod:`bpsm.kpis.engine` — ``desk.kpis``: reports by period and group, the headline snapshot;
* :mod:`bpsm.kpis.rollup` — the daily roll-ups the reports read whole past days from.

See ``docs/kpis.md`` for each definition and the report's schema.
"""

from bpsm.kpis.definitions import AGE_BANDS, EASY_MAX, KPIS, SATISFIED_MIN, SOURCES, Kpi, Source
from bpsm.kpis.engine import (
    DIMENSIONS,
    KpiFilter,
    KpiPotential,
    KpiReport,
    KpiRow,
    Kpis,
    KpiSnapshot,
    Population,
    first_time_right_clause,
)
from bpsm.kpis.periods import BY, Period, periods
from bpsm.kpis.rollup import refresh as refresh_rollups  # registers the roll-up with the engine

__all__ = [
    "AGE_BANDS",
    "BY",
    "DIMENSIONS",
    "EASY_MAX",
    "KPIS",
    "SATISFIED_MIN",
    "SOURCES",
    "Kpi",
    "KpiFilter",
    "KpiPotential",
    "KpiReport",
    "KpiRow",
    "KpiSnapshot",
    "Kpis",
    "Period",
    "Population",
    "Source",
    "first_time_right_clause",
    "periods",
    "refresh_rollups",
]
