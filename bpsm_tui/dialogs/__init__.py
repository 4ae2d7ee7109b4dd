"""Modal prompts before an action: a reason or solution, the survey, an escalation, a contact,
a catalogue service."""

from bpsm_tui.dialogs.ask_form import AskForm
from bpsm_tui.dialogs.base import Dialog
from bpsm_tui.dialogs.call_dialogs import EscalateDialog, LogContactDialog, SurveyDialog, dialog_for
from bpsm_tui.dialogs.service_dialog import ServiceDialog
from bpsm_tui.dialogs.text_prompt import TextPrompt

__all__ = [
    "AskForm",
    "Dialog",
    "EscalateDialog",
    "LogContactDialog",
    "ServiceDialog",
    "SurveyDialog",
    "TextPrompt",
    "dialog_for",
]
