"""What an operator can do to a call: one table that feeds the key bindings, the command palette,
the hints under the queue, the pre-flight check and the library call.

Nothing here imports Textual: :func:`perform` runs in a worker thread and only talks to the
public ``bpsm`` API.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bpsm import CallView, Desk
from bpsm.roles import Person, require

__all__ = ["ACTIONS", "CallAction", "Contact", "Escalation", "Survey", "for_triggers", "perform", "preflight"]

Asks = Literal["reason", "optional_reason", "solution", "survey", "escalation", "contact"]


@dataclass(frozen=True)
class Survey:
    """The two survey answers; either may be None when the customer did not answer."""

    effort: int | None
    satisfaction: int | None


@dataclass(frozen=True)
class Escalation:
    """Where an escalated call goes, and why."""

    group: str
    reason: str


@dataclass(frozen=True)
class Contact:
    """Another contact with the customer."""

    channel: str
    note: str | None


@dataclass(frozen=True)
class CallAction:
    """One thing an operator can do to a call.

    Attributes:
        name: our name for it, used in action strings (``act('resolve')``) and binding ids.
        key: the key on the queue and detail screens.
        label: the short label in the footer.
        help: one line for the tooltip and the command palette.
        trigger: the reactive process trigger it fires (None: no state change).
        permission: the library's action name, checked before a dialog is opened.
        asks: what the operator is asked before it runs (None: nothing).
        prompt: the question for ``reason`` / ``solution`` prompts.
        footer: shown in the footer (the rest are in the palette and the key panel).
    """

    name: str
    key: str
    label: str
    help: str
    trigger: str | None
    permission: str
    asks: Asks | None = None
    prompt: str = ""
    footer: bool = True

    @property
    def command(self) -> str:
        """The command-palette name, e.g. ``call: resolve``."""
        return f"call: {self.label.lower()}"


def _a(name: str, key: str, label: str, help: str, trigger: str | None, asks: Asks | None = None,
       prompt: str = "", footer: bool = True, permission: str | None = None) -> CallAction:
    return CallAction(name, key, label, help, trigger, permission or f"call.{trigger}", asks, prompt, footer)


#: Every call action, in the order the footer and palette list them.
ACTIONS: dict[str, CallAction] = {a.name: a for a in (
    _a("accept", "a", "Accept", "Part of our standard service: handle it", "accept"),
    _a("exception", "x", "Exception", "Not standard, but handle it as a recorded exception (asks why)",
       "make_exception", "reason", "Why do we make an exception for this call?"),
    _a("refer", "f", "Refer", "Not standard, no exception: hand over to relation management (asks why)",
       "refer", "reason", "Why is this not handled as a standard service?"),
    _a("wait_customer", "w", "Wait customer", "Park the call until the customer replies", "wait_for_customer",
       footer=False),
    _a("wait_supplier", "s", "Wait supplier", "Park the call until a supplier delivers (optional reason)",
       "wait_for_supplier", "optional_reason", "What are we waiting for? (optional)", footer=False),
    _a("resume", "u", "Resume", "The wait is over: back in progress", "resume", footer=False),
    _a("escalate", "e", "Escalate", "Hand over to another group (asks which, and why)", "escalate", "escalation"),
    _a("resolve", "r", "Resolve", "Record the solution", "resolve", "solution", "What was the solution?"),
    _a("reopen", "o", "Reopen", "The customer says it is not solved (asks why)", "reopen", "reason",
       "Why is the call reopened?", footer=False),
    _a("close", "c", "Close", "Close a resolved call with the customer's survey answers", "close", "survey"),
    _a("contact", "l", "Log contact", "Log another contact with the customer (call, mail, visit)", "log_contact",
       "contact", footer=False),
    _a("cancel", "k", "Cancel", "The customer withdrew the call (asks why)", "cancel", "reason",
       "Why is the call cancelled?", footer=False),
)}
_BY_TRIGGER = {a.trigger: a for a in ACTIONS.values() if a.trigger}


def for_triggers(triggers: list[str]) -> list[CallAction]:
    """The actions behind the triggers ``desk.calls.allowed`` lists, in table order."""
    wanted = {_BY_TRIGGER[t].name for t in triggers if t in _BY_TRIGGER}
    return [a for a in ACTIONS.values() if a.name in wanted]


def preflight(desk: Desk, person: Person | None, call: CallView, action: CallAction) -> None:
    """Raise the library's own error now if ``action`` cannot succeed on ``call`` as last seen.

    Saves the operator typing a solution or a reason for an action that is refused anyway. It
    asks the reactive process (permission, then transition — the checks the library makes
    before its guards); guards and the version check stay with the library when the action
    really runs. Without ``person`` (not yet looked up) only the transition is checked.

    Raises:
        PermissionDenied: ``person`` may not do this at all.
        InvalidTransition: not from the state the call was in when last loaded.
    """
    process = desk.calls.process
    if action.trigger is None:
        if person is not None:
            require(person, action.permission)
    elif person is not None:
        process.check(call, action.trigger, person)
    else:
        process.next_state(call.state, action.trigger, f"call {call.id}")


def perform(desk: Desk, by: str, call: CallView, action: CallAction,
            answer: str | Survey | Escalation | Contact | None) -> tuple[CallView, str]:
    """Run ``action`` on ``call`` through ``desk.calls`` and say what happened.

    Always passes ``expected_version=call.version``: if someone else changed the call since it
    was shown, the library raises :class:`bpsm.ConcurrentModification` and nothing is written.

    Returns:
        The call as it now stands, and a one-line confirmation for the operator.

    Raises:
        bpsm.BpsmError: whatever the library refuses (nothing was changed).
    """
    calls, cid, v = desk.calls, call.id, call.version
    text = ""
    match action.name, answer:
        case "accept", _:
            view = calls.accept(cid, by=by, expected_version=v)
        case "exception", str(reason):
            view = calls.make_exception(cid, reason=reason, by=by, expected_version=v)
        case "refer", str(reason):
            view, case = calls.refer(cid, reason=reason, by=by, expected_version=v)
            text = f"{call.number} referred to relation management (case {case.id})"
        case "wait_customer", _:
            view = calls.wait(cid, for_="customer", by=by, expected_version=v)
        case "wait_supplier", _:
            view = calls.wait(cid, for_="supplier", reason=answer or None, by=by, expected_version=v)
        case "resume", _:
            view = calls.resume(cid, by=by, expected_version=v)
        case "escalate", Escalation(group=group, reason=reason):
            view = calls.escalate(cid, to_group=group, reason=reason, by=by, expected_version=v)
            text = f"{call.number} escalated to {group}"
        case "resolve", str(solution):
            view = calls.resolve(cid, solution=solution, by=by, expected_version=v)
            if view.first_time_right:
                text = f"{call.number} resolved — first time right"
        case "reopen", str(reason):
            view = calls.reopen(cid, reason=reason, by=by, expected_version=v)
        case "close", Survey(effort=effort, satisfaction=satisfaction):
            view = calls.close(cid, effort=effort, satisfaction=satisfaction, by=by, expected_version=v)
            answers = [f"{n} {a}" for n, a in (("effort", effort), ("satisfaction", satisfaction)) if a is not None]
            text = f"{call.number} closed" + (f" ({', '.join(answers)})" if answers else " (no survey answers)")
        case "close", None:
            view = calls.close(cid, by=by, expected_version=v)
        case "contact", Contact(channel=channel, note=note):
            view = calls.log_contact(cid, channel=channel, note=note, by=by, expected_version=v)
            text = f"{call.number}: contact {view.contact_count} logged ({channel})"
        case "cancel", str(reason):
            view = calls.cancel(cid, reason=reason, by=by, expected_version=v)
        case _:
            raise TypeError(f"{action.name}: unexpected answer {answer!r}")
    return view, text or f"{call.number} is now {view.state.replace('_', ' ')}"
