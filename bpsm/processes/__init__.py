"""The BPSM processes, each a transition table plus its guards and service functions."""

from bpsm.processes.base import Process, Step
from bpsm.processes.change import CHANGE
from bpsm.processes.improvement import IMPROVEMENT
from bpsm.processes.maintenance import TASK
from bpsm.processes.reactive import REACTIVE
from bpsm.processes.recommendation import RECOMMENDATION
from bpsm.processes.relation import RELATION

PROCESSES: dict[str, Process] = {p.name: p for p in (REACTIVE, CHANGE, IMPROVEMENT, RECOMMENDATION, RELATION, TASK)}

__all__ = ["CHANGE", "IMPROVEMENT", "PROCESSES", "Process", "REACTIVE", "RECOMMENDATION", "RELATION", "Step", "TASK"]
