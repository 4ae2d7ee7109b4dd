"""``desk.calls``: reactive management through the Python API.

Every method takes ``by`` (the staff id of the person acting), runs in one transaction with its
audit event, and returns an immutable :class:`~bpsm.models.CallView`. Pass ``expected_version``
(the ``version`` you last saw) to be told, instead of overwriting, when someone else got there
first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from bpsm.errors import ValidationError
from bpsm.facade import ProcessFacade
from bpsm.models import CallView, ContactView, RelationCaseView
from bpsm.processes import reactive
from bpsm.store.tables import CallContactRow, CallRow

if TYPE_CHECKING:
    pass

__all__ = ["Calls", "Page"]

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a longer list, with the total so a screen can say "51–100 of 12,345"."""

    items: list[T]
    offset: int
    limit: int
    total: int

    @property
    def has_next(self) -> bool:
        return self.offset + len(self.items) < self.total


class Calls(ProcessFacade[CallRow, CallView]):
    """The reactive process on one desk."""

    process = reactive.REACTIVE

    def _load(self, s: Session, ident: int, expected_version: int | None) -> CallRow:
        return reactive.load(s, ident, expected_version)

    def _view(self, s: Session, row: CallRow) -> CallView:
        return CallView.model_validate(row)

    def register(self, *, caller: str, channel: str, summary: str, by: str, service: str | None = None,
                 accept: bool = False, solution: str | None = None) -> CallView:
        """Register a call (contact 1). ``service`` is the catalogue service id, or None if none fits.

        With ``accept=True`` the call is also accepted as standard, and with a ``solution`` also
        resolved at this first contact — all in one transaction, so either every step happens
        (each with its own audit event) or none does.
        """
        if solution is not None and not accept:
            raise ValidationError("solution: resolving at first contact needs accept=True (a standard service)")
        person = self._desk.person(by)
        with self._desk.transaction() as s:
            row = reactive.register(s, person, caller=caller, channel=channel, summary=summary, service_id=service,
                                    channels=tuple(self._desk.config.channels))
            if accept:
                reactive.accept(s, person, row)
            if solution is not None:
                reactive.resolve(s, person, row, solution)
            s.flush()
            return CallView.model_validate(row)

    def survey_due(self, call: CallView) -> bool:
        """Whether to ask this call's customer the two survey questions (desk.yaml's survey policy).

        ``ask_on_close: false`` never asks; otherwise every ``every_nth_call``-th call (by number) is asked.
        """
        return self._desk.config.survey.due(call.id)

    def accept(self, call_id: int, *, by: str, expected_version: int | None = None) -> CallView:
        """It is part of our standard service: handle it."""
        return self._act(call_id, by, expected_version, reactive.accept)

    def make_exception(self, call_id: int, *, reason: str, by: str, expected_version: int | None = None) -> CallView:
        """Not standard, but handled as a recorded exception."""
        return self._act(call_id, by, expected_version, lambda s, p, r: reactive.make_exception(s, p, r, reason))

    def refer(self, call_id: int, *, reason: str, by: str,
              expected_version: int | None = None) -> tuple[CallView, RelationCaseView]:
        """Not standard, no exception: hand over to relation management. Returns call and new case."""
        person = self._desk.person(by)
        with self._desk.transaction() as s:
            row = reactive.load(s, call_id, expected_version)
            case = reactive.refer(s, person, row, reason)
            s.flush()
            return CallView.model_validate(row), RelationCaseView.model_validate(case)

    def wait(self, call_id: int, *, for_: str, by: str, reason: str | None = None,
             expected_version: int | None = None) -> CallView:
        """Wait for the ``"customer"`` or a ``"supplier"``."""
        return self._act(call_id, by, expected_version, lambda s, p, r: reactive.wait(s, p, r, for_, reason))

    def resume(self, call_id: int, *, by: str, note: str | None = None, expected_version: int | None = None) -> CallView:
        """The wait is over (a customer's reply counts as a new contact)."""
        return self._act(call_id, by, expected_version, lambda s, p, r: reactive.resume(s, p, r, note))

    def escalate(self, call_id: int, *, to_group: str, reason: str, by: str,
                 expected_version: int | None = None) -> CallView:
        """Hand over to another group (second line)."""
        groups = tuple(self._desk.config.groups)
        return self._act(call_id, by, expected_version,
                         lambda s, p, r: reactive.escalate(s, p, r, to_group, reason, groups))

    def resolve(self, call_id: int, *, solution: str, by: str, expected_version: int | None = None) -> CallView:
        """Record the solution."""
        return self._act(call_id, by, expected_version, lambda s, p, r: reactive.resolve(s, p, r, solution))

    def reopen(self, call_id: int, *, reason: str, by: str, expected_version: int | None = None) -> CallView:
        """Back to work: the customer says it is not solved."""
        return self._act(call_id, by, expected_version, lambda s, p, r: reactive.reopen(s, p, r, reason))

    def close(self, call_id: int, *, by: str, effort: int | None = None, satisfaction: int | None = None,
              expected_version: int | None = None) -> CallView:
        """Close a resolved call with the survey answers: effort 1 (easy) – 7, satisfaction 1 – 5 (happy)."""
        return self._act(call_id, by, expected_version,
                         lambda s, p, r: reactive.close(s, p, r, effort, satisfaction))

    def cancel(self, call_id: int, *, reason: str, by: str, expected_version: int | None = None) -> CallView:
        """The customer withdrew the call."""
        return self._act(call_id, by, expected_version, lambda s, p, r: reactive.cancel(s, p, r, reason))

    def log_contact(self, call_id: int, *, channel: str, by: str, note: str | None = None,
                    expected_version: int | None = None) -> CallView:
        """Another contact with the customer about this call."""
        if channel not in self._desk.config.channels:
            raise ValidationError(f"channel: {channel!r} is not one of {', '.join(self._desk.config.channels)}")
        return self._act(call_id, by, expected_version,
                         lambda s, p, r: reactive.add_contact(s, p, r, channel, note))

    def get(self, call_id: int) -> CallView:
        """One call by id (:class:`~bpsm.errors.NotFound` if there is none)."""
        with self._desk.transaction() as s:
            return CallView.model_validate(reactive.load(s, call_id))

    def contacts(self, call_id: int) -> list[ContactView]:
        """The contacts logged on a call, first to last."""
        with self._desk.transaction() as s:
            reactive.load(s, call_id)
            rows = s.scalars(select(CallContactRow).where(CallContactRow.call_id == call_id)
                             .order_by(CallContactRow.seq)).all()
            return [ContactView.model_validate(r) for r in rows]

    def queue(self, *, offset: int = 0, limit: int = 50, states: Sequence[str] = reactive.OPEN_STATES,
              group: str | None = None) -> Page[CallView]:
        """A page of calls in ``states`` (default: open ones), oldest first; counted and paged in SQL."""
        if limit < 1 or offset < 0:
            raise ValidationError(f"paging: offset {offset} and limit {limit} must be >= 0 and >= 1")
        where: list[ColumnElement[bool]] = [CallRow.state.in_(list(states))]
        if group is not None:
            where.append(CallRow.group == group)
        with self._desk.transaction() as s:
            total = s.scalar(select(func.count()).select_from(CallRow).where(*where)) or 0
            rows = s.scalars(select(CallRow).where(*where).order_by(CallRow.registered_at, CallRow.id)
                             .offset(offset).limit(limit)).all()
            return Page([CallView.model_validate(r) for r in rows], offset, limit, total)
