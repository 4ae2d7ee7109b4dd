"""Widgets the screens are built from: the KPI bar, the paged call table and the service search."""

from bpsm_tui.widgets.call_table import CallTable
from bpsm_tui.widgets.kpi_bar import KpiBar
from bpsm_tui.widgets.service_search import ServiceSearch

__all__ = ["CallTable", "KpiBar", "ServiceSearch"]
