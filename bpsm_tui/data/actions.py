"""What a person can do to a record: the library's steps, plus this desk's keys for them.

The library says which steps a process has, who may fire them, what each asks
(``Step.asks``) and what it means (``Step.doc``); :meth:`bpsm.Process.allowed` says which are
possible now. This module only adds a key per step (:data:`KEYS`, remappable through the keymap
in settings) and runs a step through the process's facade. A step added to a process's table
shows up here — key, palette entry, dialog — without touching this file; without a key of its
own it is still in the palette.

Nothing here imports Textual: :func:`perform` runs in a worker thread and only talks to the
public ``bpsm`` API.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bpsm import Desk, Person, Process, Step
from bpsm_tui.data.format import record_label, state_label

__all__ = ["KEYS", "RecordAction", "actions_for", "confirmation", "perform", "preflight"]


@dataclass(frozen=True)
class KeySpec:
    """This desk's name (binding id ``<process>.<name>``), key and footer place for one step."""

    name: str
    key: str
    footer: bool = True


#: process → trigger → its key. Names keep the binding ids people have remapped
#: (``call.exception``).
KEYS: dict[str, dict[str, KeySpec]] = {
    "call": {
        "accept": KeySpec("accept", "a"),
        "make_exception": KeySpec("exception", "x"),
        "refer": KeySpec("refer", "f"),
        "wait_for_customer": KeySpec("wait_customer", "w", footer=False),
        "wait_for_supplier": KeySpec("wait_supplier", "s", footer=False),
        "resume": KeySpec("resume", "u", footer=False),
        "escalate": KeySpec("escalate", "e"),
        "resolve": KeySpec("resolve", "r"),
        "reopen": KeySpec("reopen", "o", footer=False),
        "close": KeySpec("close", "c"),
        "log_contact": KeySpec("contact", "l", footer=False),
        "cancel": KeySpec("cancel", "k", footer=False),
        "set_service": KeySpec("service", "v", footer=False),
    },
    "task": {"complete": KeySpec("complete", "c"), "skip": KeySpec("skip", "s")},
    "improvement": {
        "assess": KeySpec("assess", "a"),
        "approve": KeySpec("approve", "p"),
        "drop": KeySpec("drop", "x"),
    },
    "recommendation": {
        "accept": KeySpec("accept", "a"),
        "decline": KeySpec("decline", "x"),
        "send_proposal": KeySpec("proposal", "p"),
        "win": KeySpec("win", "w"),
        "lose": KeySpec("lose", "l"),
    },
    "survey": {"answer": KeySpec("answer", "y"), "decline": KeySpec("decline", "", footer=False)},
    "change": {
        "submit": KeySpec("submit", "s", footer=False),
        "amend": KeySpec("amend", "m", footer=False),
        "check_item": KeySpec("mark", "k"),
        "approve": KeySpec("approve", "a"),
        "reject": KeySpec("reject", "x"),
        "implement": KeySpec("implement", "i"),
        "roll_back": KeySpec("roll_back", "b"),
        "withdraw": KeySpec("withdraw", "w", footer=False),
    },
}


@dataclass(frozen=True)
class RecordAction:
    """One step as the screens offer it.

    Attributes:
        process: the process's name (``call``).
        name: the binding id's second half (``exception``); ``act('<name>')`` runs it.
        key: the key on screens that show such records ("" when the step has no key).
        footer: shown in the footer (the rest are in the palette and the key panel).
        step: the library's step: trigger, ``doc``, ``label`` and ``asks``.
    """

    process: str
    name: str
    key: str
    footer: bool
    step: Step

    @property
    def trigger(self) -> str:
        return self.step.trigger

    @property
    def id(self) -> str:
        """The binding id, ``call.resolve``: the name a keymap uses."""
        return f"{self.process}.{self.name}"

    @property
    def label(self) -> str:
        """The short label in the footer: the step's label, capitalised."""
        return self.step.label[:1].upper() + self.step.label[1:]

    @property
    def help(self) -> str:
        """One line for the tooltip and the palette: what the step means, and what it asks."""
        asks = [a.name.replace("_", " ") for a in self.step.asks if a.required]
        return (
            self.step.doc[:1].upper()
            + self.step.doc[1:]
            + (f" (asks {', '.join(asks)})" if asks else "")
        )

    @property
    def command(self) -> str:
        """The command-palette name, e.g. ``call: resolve``."""
        return f"{self.process}: {self.step.label}"


def actions_for(process: Process) -> dict[str, RecordAction]:
    """Every step of ``process`` that moves a record, by name, in table order, with its key."""
    keys = KEYS.get(process.name, {})
    found: dict[str, RecordAction] = {}
    for step in process.table:
        if step.opens or any(a.step.trigger == step.trigger for a in found.values()):
            continue
        spec = keys.get(step.trigger, KeySpec(step.trigger, "", footer=False))
        found[spec.name] = RecordAction(process.name, spec.name, spec.key, spec.footer, step)
    return found


def preflight(process: Process, person: Person | None, record: Any, action: RecordAction) -> None:
    """Raise the library's own error now if ``action`` cannot succeed on ``record`` as last seen.

    Saves typing a solution or a reason for an action that is refused anyway: permission,
    transition, then the guards that read only the record (:meth:`bpsm.Process.check`). Without
    ``person`` (not yet looked up) only the transition is checked.

    Raises:
        PermissionDenied: ``person`` may not do this at all.
        InvalidTransition: not from the state the record was in when last loaded.
        GuardFailed: a guard on the record refuses it (``accept`` on a call without a service).
    """
    if person is not None:
        process.check(record, action.trigger, person)
    else:
        process.next_state(record.state, action.trigger, f"{process.name} {record.id}")


def perform(
    desk: Desk, facade: str, by: str, record: Any, action: RecordAction, answers: Mapping[str, Any]
) -> tuple[Any, str]:
    """Fire ``action`` on ``record`` through ``desk.<facade>.fire`` and say what happened.

    Always passes ``expected_version=record.version``: if someone else changed the record since
    it was shown, the library raises :class:`bpsm.ConcurrentModification` and nothing is written.

    Returns:
        The record as it now stands, and a one-line confirmation.

    Raises:
        bpsm.BpsmError: whatever the library refuses (nothing was changed).
    """
    view = getattr(desk, facade).fire(
        record.id, action.trigger, by=by, expected_version=record.version, **answers
    )
    return view, confirmation(record, view, action, answers)


def confirmation(before: Any, after: Any, action: RecordAction, answers: Mapping[str, Any]) -> str:
    """The line shown after a step: what the person needs to know, not just the new state."""
    if action.process == "survey":
        return _survey_confirmation(before, action, answers)
    number = getattr(before, "number", None) or record_label(action.process, before.id)
    match action.trigger:
        case "escalate":
            return f"{number} escalated to {answers['to_group']}"
        case "resolve" if getattr(after, "first_time_right", False):
            return f"{number} resolved — first time right"
        case "close":
            said = [f"{k} {answers[k]}" for k in ("effort", "satisfaction") if answers.get(k)]
            outcome = getattr(after, "survey", None)
            if outcome == "not_answered":
                said = ["the customer did not answer the survey"]
            elif outcome == "not_asked":
                said = ["no survey for this call"]
            return f"{number} closed" + (f" ({', '.join(said)})" if said else "")
        case "set_service":
            return f"{number} is now about {after.service_id} v{after.service_version}"
        case "approve" if getattr(after, "change_id", None) is not None:
            return f"{number} approved: change {after.change_id} opened"
        case "log_contact":
            return f"{number}: contact {after.contact_count} logged ({answers['channel']})"
        case "amend":
            fields = [k.replace("_", " ") for k, v in answers.items() if v is not None]
            return f"{number} amended: {', '.join(fields)}"
        case "check_item":
            met = "met" if answers.get("met") is not False else "not met"
            return f"{number}: {answers['item']} marked {met}"
        case "implement" if getattr(after, "published_version", None):
            return f"{number} implemented: {after.service_id} v{after.published_version} published"
        case "implement":
            return f"{number} implemented: {after.service_id} retired"
        case "roll_back" if getattr(after, "previous_version", None):
            return f"{number} rolled back: {after.service_id} v{after.previous_version} restored"
    return f"{number} is now {state_label(after.state)}"


def _survey_confirmation(before: Any, action: RecordAction, answers: Mapping[str, Any]) -> str:
    whose = (
        f"{record_label('call', before.call_id)}'s survey"
        if getattr(before, "call_id", None) is not None
        else f"The {before.department} relationship survey"
    )
    if action.trigger == "decline":
        return f"{whose}: the customer declined"
    said = [f"{k} {answers[k]}" for k in ("effort", "satisfaction") if answers.get(k)]
    return f"{whose} answered" + (f" ({', '.join(said)})" if said else "")
