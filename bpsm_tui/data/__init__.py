"""Textual-free helpers: the steps people fire (with this desk's keys) and values shown as text."""

from bpsm_tui.data.actions import KEYS, RecordAction, actions_for, confirmation, perform, preflight
from bpsm_tui.data.format import (
    age,
    error_text,
    kpi_line,
    local_time,
    page_status,
    staff_name,
    state_label,
    survey_label,
)

__all__ = [
    "KEYS",
    "RecordAction",
    "actions_for",
    "age",
    "confirmation",
    "error_text",
    "kpi_line",
    "local_time",
    "page_status",
    "perform",
    "preflight",
    "staff_name",
    "state_label",
    "survey_label",
]
