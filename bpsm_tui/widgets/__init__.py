"""Widgets the screens are built from: the KPI bar, the paged call table, the service search and
the field grid that folds to one column on a narrow screen."""

from bpsm_tui.widgets.call_table import CallTable
from bpsm_tui.widgets.field_pairs import FieldPairs
from bpsm_tui.widgets.kpi_bar import KpiBar
from bpsm_tui.widgets.service_search import ServiceSearch

__all__ = ["CallTable", "FieldPairs", "KpiBar", "ServiceSearch"]
