"""A process is its step table: one row added is a step everywhere, with nothing else touched.

The row below is a new ``triage`` step on the reactive process. Nothing but the row is written:
the allowed actions, the permission check, the guard behind its question, the audit event, the
generated diagram and docs, the permission table and the TUI (its action list, its palette and
the dialog built from what the step asks) all pick it up.
"""

from __future__ import annotations

import pytest

from bpsm import Calls, Desk, GuardFailed, InvalidTransition, PermissionDenied, Step
from bpsm.diagrams import process_section
from bpsm.processes.base import text
from bpsm.processes.calls.steps import REACTIVE
from bpsm_tui.data.actions import actions_for
from bpsm_tui.dialogs import TextPrompt
from tests.helpers import OP, call_in, new_call
from tests.tui.driver import running

TRIAGE = Step.row(
    "triage",
    "registered",
    None,
    {"operator"},
    "note the first impression before deciding",
    asks=[text("reason", "What do you see?", guard="triage_note", why="say what you see")],
)


@pytest.fixture
def triaging(monkeypatch: pytest.MonkeyPatch) -> object:
    """The desk's reactive process, with the one extra row."""
    process = REACTIVE.with_steps(TRIAGE)
    monkeypatch.setattr(Calls, "process", process)
    return process


def test_one_row_is_an_allowed_action_with_its_question(desk: Desk, triaging: object) -> None:
    call = new_call(desk)
    allowed = desk.calls.allowed(call, OP)
    assert "triage" in allowed
    [action] = [a for a in allowed if a == "triage"]
    assert [(a.name, a.prompt) for a in action.step.asks] == [("reason", "What do you see?")]
    assert "triage" not in desk.calls.allowed(call, "dave")  # an account manager may not
    assert "triage" not in desk.calls.allowed(
        call_in(desk, "in_progress"), OP
    )  # not from that state


def test_one_row_is_checked_and_audited_like_every_step(desk: Desk, triaging: object) -> None:
    call = new_call(desk)
    with pytest.raises(PermissionDenied):
        desk.calls.fire(call.id, "triage", reason="cable loose", by="dave")
    with pytest.raises(GuardFailed) as refused:
        desk.calls.fire(call.id, "triage", reason="  ", by=OP)
    assert (refused.value.guard, refused.value.reason) == ("triage_note", "say what you see")
    assert desk.calls.get(call.id) == call
    after = desk.calls.fire(
        call.id, "triage", reason="cable loose", by=OP, expected_version=call.version
    )
    assert (after.state, after.version) == ("registered", call.version + 1)
    last = desk.history(after)[-1]
    assert (last.trigger, last.from_state, last.to_state, last.reason, last.actor) == (
        "triage",
        "registered",
        "registered",
        "cable loose",
        OP,
    )
    accepted = desk.calls.accept(call.id, by=OP)
    with pytest.raises(InvalidTransition):
        desk.calls.fire(accepted.id, "triage", reason="again", by=OP)


def test_one_row_is_in_the_diagram_the_docs_and_the_permission_table(triaging: object) -> None:
    assert "    registered --> registered: triage" in triaging.mermaid()  # type: ignore[attr-defined]
    assert (
        "| `triage` | registered | (stays) | operator | note the first impression"
        in process_section(triaging)
    )  # type: ignore[arg-type]
    assert triaging.permissions()["call.triage"] == {"operator"}  # type: ignore[attr-defined]


async def test_one_row_is_in_the_tuis_actions_and_fires_from_the_desk(
    desk: Desk, triaging: object
) -> None:
    actions = actions_for(triaging)  # type: ignore[arg-type]
    triage = actions["triage"]
    assert (triage.id, triage.command, triage.key) == ("call.triage", "call: triage", "")
    assert triage.help.startswith("Note the first impression") and "(asks reason)" in triage.help
    call = new_call(desk)
    async with running(desk) as s:
        s.app.run_step("calls", call, triage)
        await s.settle()
        assert isinstance(s.app.screen, TextPrompt)  # the dialog comes from what the step asks
        await s.type("Screen flickers")
        await s.press("enter")
    assert desk.history(call)[-1].reason == "Screen flickers"
