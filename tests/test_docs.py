"""docs/processes.md is generated from the process tables and must not drift from them."""

from __future__ import annotations

from bpsm.diagrams import processes_markdown
from bpsm.processes import PROCESSES
from tests.conftest import ROOT


def test_process_docs_match_the_code() -> None:
    committed = (ROOT / "docs" / "processes.md").read_text(encoding="utf-8")
    assert committed == processes_markdown(), (
        "docs/processes.md is stale: run `bpsm docs processes --write`"
    )


def test_every_transition_is_drawn() -> None:
    text = processes_markdown()
    for process in PROCESSES.values():
        assert f"## {process.name}" in text
        for step in process.table:
            for src in step.source:
                assert f"    {src} --> {step.dest or src}: {step.trigger}" in text
