"""The desk's screens: the call queue, a call's details, and the new-call form."""

from bpsm_tui.screens.call_detail import CallDetailScreen
from bpsm_tui.screens.call_screen import CallScreen, PaletteCommand
from bpsm_tui.screens.new_call import NewCallOutcome, NewCallScreen
from bpsm_tui.screens.queue import QueueScreen

__all__ = [
    "CallDetailScreen",
    "CallScreen",
    "NewCallOutcome",
    "NewCallScreen",
    "PaletteCommand",
    "QueueScreen",
]
