"""The BPSM processes, each a transition table plus its guards and service functions."""

from bpsm.processes.base import Process, Step
from bpsm.processes.change import CHANGE
from bpsm.processes.reactive import REACTIVE

PROCESSES: dict[str, Process] = {p.name: p for p in (REACTIVE, CHANGE)}

__all__ = ["CHANGE", "PROCESSES", "Process", "REACTIVE", "Step"]
