"""A case's events replayed on the reactive step table: the call, its contacts and audit trail.

Each event's state is reached from the call's current state by the steps of
:data:`bpsm.processes.calls.steps.REACTIVE` (the shortest way: ``New`` then ``Resolved`` is
``accept`` then ``resolve``); a state no step leads to is a bad case. So an imported call is a
legal path through the process, every step in its trail at its historical time, marked as
imported with its source row (``implied`` on the steps the file did not write but the process
needs). What the desk checks against its present (the catalogue service before ``accept``, the
desk's groups before ``escalate``, the survey policy before ``close``) is not asked of history.

Two readings of the log that the step table cannot follow are decided by the mapping: a
``registered`` row after the call was taken on keeps it where it is (the desk cannot un-accept),
and a ``closed`` row followed by more work is a resolution when ``closed_then_worked`` says so.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bpsm.importing.mapping import Mapping
from bpsm.importing.reader import Event, RawCase
from bpsm.processes.calls.steps import OPEN_STATES, REACTIVE, SURVEY_OUTCOMES

__all__ = ["ROUTES", "Plan", "Replayer"]

_ROUTING: tuple[str, ...] = ("accept", "wait_for_customer", "wait_for_supplier", "resume")
_ROUTING += ("resolve", "reopen")
_ROUTING += ("close", "refer", "cancel")


def _routes() -> dict[tuple[str, str], tuple[tuple[str, str], ...]]:
    """The shortest run of steps ``(trigger, state)`` from each state to each other one."""
    edges: dict[str, list[tuple[str, str]]] = {}
    for step in REACTIVE.table:
        if step.trigger in _ROUTING and step.dest is not None:
            for src in step.source:
                edges.setdefault(src, []).append((step.trigger, step.dest))
    out: dict[tuple[str, str], tuple[tuple[str, str], ...]] = {}
    for start in REACTIVE.states:
        todo: deque[tuple[str, tuple[tuple[str, str], ...]]] = deque([(start, ())])
        seen = {start}
        while todo:
            state, path = todo.popleft()
            for trigger, dest in edges.get(state, ()):
                if dest not in seen:
                    seen.add(dest)
                    out[(start, dest)] = (*path, (trigger, dest))
                    todo.append((dest, (*path, (trigger, dest))))
    return out


_STEPS = frozenset(
    (src, step.trigger, step.dest)
    for step in REACTIVE.table
    if step.dest is not None
    for src in step.source
)
"""Every ``(from, trigger, to)`` the step table has."""

ROUTES = _routes()
"""``(from, to)`` → the steps that lead there, from the step table."""

LIMITS = {"caller": 200, "channel": 32, "group": 64, "person": 64}


@dataclass(slots=True)
class Plan:
    """One call to write: its row (without the id), contacts and audit events (without ids)."""

    case_id: str
    call: dict[str, Any]
    contacts: list[dict[str, Any]]
    events: list[dict[str, Any]]


class CaseRefused(Exception):
    """The case cannot be replayed: ``row`` and the reason."""

    def __init__(self, row: int, reason: str):
        super().__init__(reason)
        self.row, self.reason = row, reason


class Replayer:
    """Replays cases for one import: the mapping, who imports, the desk's staff and services."""

    def __init__(
        self,
        mapping: Mapping,
        *,
        by: str,
        by_group: str,
        source: str,
        staff: frozenset[str],
        services: dict[str, int],
    ):
        self.mapping, self.by, self.by_group, self.source = mapping, by, by_group, source
        self.staff, self.services = staff, services

    def plan(self, case: RawCase) -> Plan:
        """The call ``case`` becomes; :class:`CaseRefused` when no legal path reads it."""
        return _Replay(self, case).run()


class _Replay:
    def __init__(self, r: Replayer, case: RawCase):
        self.r, self.case, self.m = r, case, r.mapping
        self.events: list[dict[str, Any]] = []
        self.contacts: list[dict[str, Any]] = []
        self.state: str | None = None
        self.group: str | None = None
        self.level: int | None = None
        self.contact = 1
        self.escalations = self.reopens = 0
        self.resolved_at: datetime | None = None
        self.resolved_contact: int | None = None
        self.closed_at: datetime | None = None
        self.responded_at: datetime | None = None
        self.at: datetime | None = None
        self.regrouped: str | None = None
        self.first_row = case.first_row

    def emit(self, ev: Event, trigger: str, to: str | None, **data: Any) -> None:
        actor = self.r.by if trigger != "register" else self.registered_by
        payload: dict[str, Any] = {"imported": self.r.source, "row": ev.row, **data}
        if self.regrouped is not None:
            payload["group"], self.regrouped = self.regrouped, None
        if ev.person is not None:
            payload.setdefault("person", ev.person)
        if self.at is not None and ev.at != self.at:
            payload["source_at"] = ev.at.isoformat()
        self.events.append(
            {
                "at": self.at,
                "actor": actor,
                "record_type": "call",
                "trigger": trigger,
                "from_state": self.state,
                "to_state": to if to is not None else self.state,
                "reason": None,
                "data": payload,
            }
        )
        if trigger != "register" and self.responded_at is None:
            self.responded_at = self.at

    def run(self) -> Plan:
        case, m = self.case, self.m
        events = self._read_closes(case.events)
        first = events[0]
        person = first.person
        self.registered_by = person if person in self.r.staff else self.r.by
        channel_src = case.last["channel"]
        channel = m.channels.get(channel_src, channel_src) if channel_src else m.channel_default
        service_src = case.last["service"]
        service_id = m.services.get(service_src) if service_src else None
        if service_src and m.services_are_ids:
            service_id = service_id or service_src
            service_id = service_id if service_id in self.r.services else None
        version = self.r.services.get(service_id) if service_id else None
        caller = case.last["caller"] or "unknown"
        for what, value in (("channel", channel), ("caller", caller)):
            self._fits(first.row, what, value)
        self.at = first.at
        self.first_row = first.row
        self.group = first.group
        self._level(first)
        self.emit(
            first,
            "register",
            "registered",
            case=case.case_id,
            channel=channel,
            service_id=service_id,
            service_version=version,
            **({"service": service_src} if service_src and not service_id else {}),
        )
        self.state = "registered"
        self.contacts.append(self._contact(first, "registered", channel))
        for ev in events:
            self.at = max(self.at, ev.at)
            self._step(ev, channel)
        if self.regrouped is not None:
            self.events[-1]["data"]["group"] = self.regrouped
        if m.facts.mode == "counters":
            escalations = self._count(case, "facts.reassignment_count")
            reopens = self._count(case, "facts.reopen_count")
        else:
            escalations, reopens = self.escalations, self.reopens
        no_handovers = m.facts.contacts.by == "no_handovers"
        resolved_contact = 1 if no_handovers and self.resolved_at else self.resolved_contact
        group = self.group or self.r.by_group
        self._fits(case.first_row, "group", group)
        assert self.state is not None and self.at is not None
        call = {
            "state": self.state,
            "caller": caller,
            "channel": channel,
            "summary": case.last["summary"] or case.case_id,
            "service_id": service_id,
            "service_version": version,
            "registered_by": self.registered_by,
            "group": group,
            "is_exception": False,
            "exception_reason": None,
            "waiting_for": {"waiting_customer": "customer", "waiting_supplier": "supplier"}.get(
                self.state
            ),
            "solution": None,
            "registered_at": first.at,
            "resolved_at": self.resolved_at,
            "closed_at": self.closed_at,
            "responded_at": self.responded_at,
            "contact_count": self.contact,
            "resolved_at_contact": resolved_contact,
            "escalation_count": escalations,
            "reopen_count": reopens,
            "effort_score": None,
            "satisfaction": None,
            "survey": "not_asked" if self.state == "closed" else None,
            "self_service_faq": None,
            "self_service_question": None,
            "business_minutes_to_resolve": None,
            "lead_time_met": None,
            "version": 1,
            # the last change the trail shows (a row that is no step changes nothing)
            "updated_at": self.events[-1]["at"],
        }
        call.update(_case_facts(case))
        return Plan(case.case_id, call, self.contacts, self.events)

    def _read_closes(self, events: list[Event]) -> list[Event]:
        """A ``closed`` row followed by work: a resolution, or the case refused."""
        out, later_work = list(events), False
        for i in range(len(out) - 1, -1, -1):
            ev = out[i]
            if ev.state == "closed" and later_work:
                if self.m.closed_then_worked == "refuse":
                    raise CaseRefused(ev.row, "closed, then worked on again (the close is final)")
                out[i] = Event(
                    ev.row, ev.at, "resolved", ev.source, ev.group, ev.person, ev.level, ev.contact
                )
            elif ev.state not in ("closed", "contact"):
                later_work = True
        return out

    def _step(self, ev: Event, channel: str) -> None:
        assert self.state is not None
        target = ev.state
        contacts = self.m.facts.contacts
        named = contacts.column is not None  # the column alone says which rows are contacts
        if target == "contact":
            made = ev.contact is not None if named else contacts.by == "activities"
            if self.state in OPEN_STATES and made:
                self.contact += 1
                self.contacts.append(self._contact(ev, ev.source, channel))
                self.emit(ev, "log_contact", None, seq=self.contact)
            return
        if named and ev.contact is not None and ev.row != self.first_row:
            note = "customer replied" if self.state == "waiting_customer" else ev.source
            self.contact += 1
            self.contacts.append(self._contact(ev, note, channel))
        if target == "registered" or target == self.state:
            target = self.state  # the desk cannot go back to registered: the call stays
        elif (self.state, target) not in ROUTES:
            raise CaseRefused(
                ev.row,
                f"no step of the reactive process leads from {self.state} "
                f"to {target} (state {ev.source!r})",
            )
        emitted = len(self.events)
        route = ROUTES.get((self.state, target), ())
        written = self.m.steps.get(ev.source)
        if written is not None and route:
            before = route[-2][1] if len(route) > 1 else self.state
            if (before, written, route[-1][1]) in _STEPS:
                route = (*route[:-1], (written, route[-1][1]))
        for i, (trigger, dest) in enumerate(route):
            self._effect(ev, trigger, channel)
            self.emit(ev, trigger, dest, **({"implied": True} if i < len(route) - 1 else {}))
            self.state = dest
        self._regroup(ev, emitted)

    def _effect(self, ev: Event, trigger: str, channel: str) -> None:
        if trigger == "resume" and self.state == "waiting_customer":
            contacts = self.m.facts.contacts
            by_rule = contacts.by == "activities" and contacts.column is None
            if by_rule and contacts.resume_from_customer:
                self.contact += 1
                self.contacts.append(self._contact(ev, "customer replied", channel))
        elif trigger == "resolve":
            self.resolved_at, self.resolved_contact = self.at, self.contact
        elif trigger == "reopen":
            self.reopens += 1
            self.resolved_at = self.resolved_contact = None
        elif trigger == "close":
            self.closed_at = self.at

    def _regroup(self, ev: Event, emitted: int) -> None:
        """A change of group: an escalation where the mapping says so and the step allows."""
        before, after = self.group, ev.group
        was = self.level
        self._level(ev)
        if after is None or after == before:
            return
        self._fits(ev.row, "group", after)
        self.group = after
        if before is None:
            return
        esc = self.m.facts.escalation
        if esc.by == "group_change":
            higher = True
        elif esc.by == "activity":
            higher = ev.source in esc.activities
        else:
            higher = (self.level or 0) > (was or 0)
        if higher and self.state == "in_progress":
            self.escalations += 1
            self.emit(ev, "escalate", "in_progress", from_group=before, to_group=after)
        elif len(self.events) > emitted:  # on the row's own step
            self.events[-1]["data"]["group"] = after
        else:  # a row that is no step: its new group goes on the next step (or the last)
            self.regrouped = after

    def _level(self, ev: Event) -> None:
        esc = self.m.facts.escalation
        if esc.by == "level" and ev.level is not None:
            try:
                self.level = int(float(ev.level))
            except ValueError:
                raise CaseRefused(ev.row, f"level {ev.level!r} is not a number") from None
        elif esc.by == "group_pattern" and ev.group is not None:
            self.level = esc.level_of(ev.group)

    def _contact(self, ev: Event, note: str, channel: str) -> dict[str, Any]:
        return {
            "seq": self.contact,
            "at": self.at,
            "channel": channel,
            "by": self.registered_by if self.contact == 1 else self.r.by,
            "note": note,
        }

    def _count(self, case: RawCase, fld: str) -> int:
        value = case.last[fld]
        try:
            count = int(value or "0")
        except ValueError:
            raise CaseRefused(
                case.first_row, f"{fld.split('.')[-1]} {value!r} is not a whole number"
            ) from None
        if count < 0:
            raise CaseRefused(case.first_row, f"{fld.split('.')[-1]} {count} is negative")
        return count

    @staticmethod
    def _fits(row: int, what: str, value: str) -> None:
        if len(value) > LIMITS[what] or "\x00" in value:
            raise CaseRefused(
                row,
                f"{what} {value[:40]!r}… is longer than {LIMITS[what]} characters"
                if "\x00" not in value
                else f"{what} holds a NUL",
            )


_BOOLS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
_WHOLE = {  # fact → its lowest and highest value
    "effort_score": (1, 7),
    "satisfaction": (1, 5),
    "self_service_faq": (1, 32_767),
    "business_minutes_to_resolve": (0, 2**31 - 1),
}


def _case_facts(case: RawCase) -> dict[str, Any]:
    """The call facts the mapping's ``case_facts`` read from the last row, checked."""
    out: dict[str, Any] = {}
    for key, value in case.last.items():
        if not key.startswith("case_facts.") or value is None:
            continue
        fact = key.removeprefix("case_facts.")
        if fact in _WHOLE:
            low, high = _WHOLE[fact]
            try:
                number = int(value)
            except ValueError:
                number = None
            if number is None or not low <= number <= high:
                raise CaseRefused(
                    case.first_row, f"{fact} {value!r} is not a whole number {low}–{high}"
                )
            out[fact] = number
        elif fact in ("is_exception", "lead_time_met"):
            if value.lower() not in _BOOLS:
                raise CaseRefused(case.first_row, f"{fact} {value!r} is not true or false")
            out[fact] = _BOOLS[value.lower()]
        elif fact == "survey":
            if value not in SURVEY_OUTCOMES:
                raise CaseRefused(
                    case.first_row,
                    f"survey {value!r} is not one of {', '.join(SURVEY_OUTCOMES)}",
                )
            out[fact] = value
        else:
            out[fact] = value
    return out
