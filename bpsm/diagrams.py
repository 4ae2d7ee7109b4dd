"""Generate ``docs/processes.md`` from the process tables: one mermaid state diagram per process.

The same :class:`~bpsm.processes.base.Process` tables drive the machines, the TUI's allowed
actions and these diagrams; a test fails when the committed document drifts from the code.
Regenerate with ``bpsm docs processes --write``.
"""

from __future__ import annotations

import inspect
import sys

from bpsm.processes import PROCESSES
from bpsm.processes.base import Process

__all__ = ["process_section", "processes_markdown"]

_HEADER = """# The processes

Generated from the step tables in `bpsm/processes/<name>/steps.py` by `bpsm docs processes --write`;
`tests/test_docs.py` fails when this file and the code disagree. Each arrow is a step; the roles
column is the step's own (the permission table is generated from the same rows). An arrow from
`[*]` opens a record; steps drawn as a loop record a fact without changing the state; every step
writes an audit event.
"""


def process_section(process: Process) -> str:
    """Markdown for one process: its purpose, the diagram and the table."""
    doc = _module_doc(process)
    rows = ["| trigger | from | to | who | what it means |", "|---|---|---|---|---|"]
    for step in process.table:
        roles = ", ".join(sorted(step.roles))
        dest = step.dest or "(stays)"
        rows.append(
            f"| `{step.trigger}` | {', '.join(step.source) or '(new)'} | {dest} | "
            f"{roles} | {step.doc} |"
        )
    return "\n".join(
        [f"## {process.name}", "", doc, "", "```mermaid", process.mermaid(), "```", "", *rows, ""]
    )


def _module_doc(process: Process) -> str:
    """First paragraph of the docstring of the module that declares ``process``."""
    for name, module in sorted(sys.modules.items()):
        if name.startswith("bpsm.processes.") and any(v is process for v in vars(module).values()):
            return (inspect.getdoc(module) or "").split("\n\n")[0].replace("\n", " ")
    return ""


def processes_markdown() -> str:
    """The whole ``docs/processes.md``."""
    return _HEADER + "\n" + "\n".join(process_section(p) for p in PROCESSES.values())
