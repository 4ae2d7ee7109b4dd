"""Textual-free helpers: the table of call actions and how values are shown as text."""

from bpsm_tui.data.actions import (
    ACTIONS,
    CallAction,
    Contact,
    Escalation,
    Survey,
    for_triggers,
    perform,
    preflight,
)
from bpsm_tui.data.format import (
    age,
    error_text,
    kpi_line,
    local_time,
    page_status,
    staff_name,
    state_label,
)

__all__ = [
    "ACTIONS",
    "CallAction",
    "Contact",
    "Escalation",
    "Survey",
    "age",
    "error_text",
    "for_triggers",
    "kpi_line",
    "local_time",
    "page_status",
    "perform",
    "preflight",
    "staff_name",
    "state_label",
]
