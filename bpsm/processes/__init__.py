"""The BPSM processes, each a transition table plus its guards and service functions."""

from bpsm.processes.base import Process, Step
from bpsm.processes.reactive import REACTIVE

PROCESSES: dict[str, Process] = {p.name: p for p in (REACTIVE,)}

__all__ = ["PROCESSES", "Process", "REACTIVE", "Step"]
