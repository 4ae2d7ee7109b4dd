"""The KPI roll-ups: each anchored KPI's additive parts per local day, and the calls' changes.

``kpi_rollup`` holds, for each anchor (``registered_at``, ``resolved_at``, ``closed_at``), local
day and dimension value (a service, a group, an operator, a channel), the sums of the anchor's
parts in the numbered slots ``s0`` … (which part is in which slot is the roll-up's layout, kept
with its fingerprint in ``kpi_rollup_state``). ``kpi_dirty`` is filled by triggers on ``calls``
(migration 0008): every insert, update or delete of a call writes its anchors' old and new
timestamps there, so the days a change touched are known until the next refresh recomputes
them. See :mod:`bpsm.kpis.rollup` and ``docs/kpis.md``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bpsm.store.tables.core import Base

__all__ = ["SLOTS", "KpiDirtyRow", "KpiRollupRow", "KpiRollupStateRow"]

#: how many additive parts one anchor's roll-up row holds (an anchor with more stays live)
SLOTS = 24


class KpiRollupRow(Base):
    """One anchor's parts for one local day and one value of one dimension."""

    __tablename__ = "kpi_rollup"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dimension: Mapped[str] = mapped_column(String(16))
    value: Mapped[str | None] = mapped_column(String(200))
    """The call's service id, group, registering operator or channel (None: no service)."""
    anchor: Mapped[str] = mapped_column(String(32))
    day: Mapped[int] = mapped_column(Integer)
    """The local day, as its proleptic Gregorian ordinal (``date.toordinal()``)."""
    # the anchor's parts, in the layout's order (SLOTS of them)
    s0: Mapped[float] = mapped_column(Float, default=0.0)
    s1: Mapped[float] = mapped_column(Float, default=0.0)
    s2: Mapped[float] = mapped_column(Float, default=0.0)
    s3: Mapped[float] = mapped_column(Float, default=0.0)
    s4: Mapped[float] = mapped_column(Float, default=0.0)
    s5: Mapped[float] = mapped_column(Float, default=0.0)
    s6: Mapped[float] = mapped_column(Float, default=0.0)
    s7: Mapped[float] = mapped_column(Float, default=0.0)
    s8: Mapped[float] = mapped_column(Float, default=0.0)
    s9: Mapped[float] = mapped_column(Float, default=0.0)
    s10: Mapped[float] = mapped_column(Float, default=0.0)
    s11: Mapped[float] = mapped_column(Float, default=0.0)
    s12: Mapped[float] = mapped_column(Float, default=0.0)
    s13: Mapped[float] = mapped_column(Float, default=0.0)
    s14: Mapped[float] = mapped_column(Float, default=0.0)
    s15: Mapped[float] = mapped_column(Float, default=0.0)
    s16: Mapped[float] = mapped_column(Float, default=0.0)
    s17: Mapped[float] = mapped_column(Float, default=0.0)
    s18: Mapped[float] = mapped_column(Float, default=0.0)
    s19: Mapped[float] = mapped_column(Float, default=0.0)
    s20: Mapped[float] = mapped_column(Float, default=0.0)
    s21: Mapped[float] = mapped_column(Float, default=0.0)
    s22: Mapped[float] = mapped_column(Float, default=0.0)
    s23: Mapped[float] = mapped_column(Float, default=0.0)

    __table_args__ = (Index("ix_kpi_rollup_key", "dimension", "anchor", "day", "value"),)


class KpiRollupStateRow(Base):
    """The roll-up's one state row: what it was built with and up to which day."""

    __tablename__ = "kpi_rollup_state"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    """Hash of the time zone and of every rolled part's SQL: another one means rebuild."""
    through: Mapped[int] = mapped_column(Integer)
    """The last local day rolled up (ordinal); every earlier day is rolled up too."""
    refreshed_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer)
    """Incremented by every refresh: a report that saw it change re-reads."""


class KpiDirtyRow(Base):
    """An anchor timestamp of a call that changed since the last refresh (written by triggers)."""

    __tablename__ = "kpi_dirty"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    anchor: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime]
