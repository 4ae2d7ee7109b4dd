"""``desk.calls``: reactive management through the Python API.

Every action takes ``by`` (the staff id of the person acting), runs in one unit of work with its
audit event, and returns an immutable :class:`~bpsm.processes.calls.views.CallView`. Pass
``expected_version`` (the ``version`` you last saw) to be told, instead of overwriting, when
someone else got there first. Each method is a name for :meth:`Calls.fire` with one step of
:data:`~bpsm.processes.calls.steps.REACTIVE`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, func, select

from bpsm import clock
from bpsm.errors import Problem, ValidationError
from bpsm.processes.calls import queue as q
from bpsm.processes.calls.reports import CallReports
from bpsm.processes.calls.steps import OPEN_STATES, REACTIVE, register
from bpsm.processes.calls.views import CallView, ContactView
from bpsm.processes.facade import ProcessFacade
from bpsm.roles import Person
from bpsm.store.tables import CallContactRow, CallRow
from bpsm.validation import clean_text, limit_of, one_of, paging, search_text, shown
from bpsm.views import Cursor, KeysetPage, Page

__all__ = ["Calls", "Page"]


class Calls(CallReports, ProcessFacade[CallRow, CallView]):
    """The reactive process on one desk (its reports: :class:`CallReports`)."""

    process = REACTIVE
    row_type = CallRow
    view_type = CallView

    def register(
        self,
        *,
        caller: str,
        channel: str,
        summary: str,
        by: str,
        service: str | None = None,
        accept: bool = False,
        solution: str | None = None,
        self_service_faq: int | None = None,
    ) -> CallView:
        """Register a call (contact 1). ``service`` is a catalogue service id, or None if none fits.

        With ``self_service_faq`` the call is flagged as a self-service opportunity (that FAQ
        entry of the service would have answered it, see :meth:`flag_self_service`); with
        ``accept=True`` it is also accepted as standard, and with a ``solution`` also resolved at
        this first contact — all in one transaction, so either every step happens (each with
        its own audit event) or none does.

        Raises:
            ValidationError: naming the field — an empty or too long caller (see
                ``docs/limits.md``) or summary, a channel or service the desk does not have, a
                solution without ``accept``.
        """
        person = self._desk.person(by)
        REACTIVE.require(person, "register")  # a refused person is told so before any field
        caller = clean_text("caller", caller, limit=limit_of(CallRow.caller))
        summary = clean_text("summary", summary, limit=limit_of(CallRow.summary))
        channel = one_of("channel", channel, self._desk.config.channels, what="desk's channels")
        if service is not None:
            service = clean_text("service", service, limit=limit_of(CallRow.service_id))
        if not isinstance(accept, bool):
            raise ValidationError(Problem(f"{shown(accept)} must be True or False", field="accept"))
        if solution is not None:  # an empty one is the resolve step's guard to refuse
            clean_text("solution", solution, limit=limit_of(CallRow.solution), required=False)
        if solution is not None and not accept:
            raise ValidationError(
                "solution: resolving at first contact needs accept=True (a standard service)"
            )
        with self._desk.unit() as uow:
            row = register(
                uow.session,
                person,
                caller=caller,
                channel=channel,
                summary=summary,
                service_id=service,
                channels=tuple(self._desk.config.channels),
            )
            if self_service_faq is not None:
                REACTIVE.fire(
                    uow, row, "flag_self_service", person, env=self._desk, faq=self_service_faq
                )
            if accept:
                REACTIVE.fire(uow, row, "accept", person, env=self._desk)
            if solution is not None:
                REACTIVE.fire(uow, row, "resolve", person, env=self._desk, solution=solution)
            uow.session.flush()
            return CallView.model_validate(row)

    def survey_due(self, call: CallView) -> bool:
        """Whether to ask this call's customer the two survey questions (desk.yaml's survey policy).

        ``ask_on_close: false`` never asks; otherwise every ``every_nth_call``-th call (by number)
        is asked.
        """
        return self._desk.config.survey.due(call.id)

    def accept(self, call_id: int, *, by: str, expected_version: int | None = None) -> CallView:
        """It is part of our standard service: handle it."""
        return self.fire(call_id, "accept", by=by, expected_version=expected_version)

    def make_exception(
        self, call_id: int, *, reason: str, by: str, expected_version: int | None = None
    ) -> CallView:
        """Not standard, but handled as a recorded exception."""
        return self.fire(
            call_id, "make_exception", reason=reason, by=by, expected_version=expected_version
        )

    def refer(
        self, call_id: int, *, reason: str, by: str, expected_version: int | None = None
    ) -> tuple[CallView, Any]:
        """Not standard, no exception: hand over to relation management.

        Returns:
            The call and the new relation case (a :class:`~bpsm.RelationCaseView`).
        """
        view, ctx = self._fire(call_id, "refer", by, expected_version, {"reason": reason})
        return view, ctx.result

    def wait(
        self,
        call_id: int,
        *,
        for_: str,
        by: str,
        reason: str | None = None,
        expected_version: int | None = None,
    ) -> CallView:
        """Wait for the ``"customer"`` or a ``"supplier"``."""
        if not isinstance(for_, str) or for_ not in ("customer", "supplier"):
            raise ValidationError(f"waiting for: {for_!r} must be 'customer' or 'supplier'")
        return self.fire(
            call_id, f"wait_for_{for_}", reason=reason, by=by, expected_version=expected_version
        )

    def resume(
        self, call_id: int, *, by: str, note: str | None = None, expected_version: int | None = None
    ) -> CallView:
        """The wait is over (a customer's reply counts as a new contact)."""
        return self.fire(call_id, "resume", reason=note, by=by, expected_version=expected_version)

    def escalate(
        self,
        call_id: int,
        *,
        to_group: str,
        reason: str,
        by: str,
        expected_version: int | None = None,
    ) -> CallView:
        """Hand over to another group (second line)."""
        return self.fire(
            call_id,
            "escalate",
            to_group=to_group,
            reason=reason,
            by=by,
            expected_version=expected_version,
        )

    def resolve(
        self, call_id: int, *, solution: str, by: str, expected_version: int | None = None
    ) -> CallView:
        """Record the solution."""
        return self.fire(
            call_id, "resolve", solution=solution, by=by, expected_version=expected_version
        )

    def reopen(
        self, call_id: int, *, reason: str, by: str, expected_version: int | None = None
    ) -> CallView:
        """Back to work: the customer says it is not solved."""
        return self.fire(call_id, "reopen", reason=reason, by=by, expected_version=expected_version)

    def close(
        self,
        call_id: int,
        *,
        by: str,
        effort: int | None = None,
        satisfaction: int | None = None,
        survey: str | None = None,
        expected_version: int | None = None,
    ) -> CallView:
        """Close a resolved call with the customer's survey answers.

        Args:
            effort: how much effort it took the customer, 1 (very little) – 7 (a lot).
            satisfaction: how satisfied they are, 1 (very unhappy) – 5 (very happy).
            survey: ``"not_answered"`` when the customer was asked and gave no answer (recorded
                as such). Leave it out when answers are given (recorded as ``answered``).

        The call's ``survey`` then says ``answered``, ``not_answered``, ``pending`` (the policy
        surveys it afterwards: ``desk.surveys``, ``docs/surveys.md``) or ``not_asked``.

        Raises:
            ValidationError: an answer out of its range or not a whole number (naming the field
                and the range), or ``survey="not_answered"`` together with answers.
            GuardFailed: ``survey_taken`` — the policy asks this call, and neither answers nor
                ``survey="not_answered"`` were given.
        """
        return self.fire(
            call_id,
            "close",
            effort=effort,
            satisfaction=satisfaction,
            survey=survey,
            by=by,
            expected_version=expected_version,
        )

    def set_service(
        self,
        call_id: int,
        *,
        service: str,
        by: str,
        reason: str | None = None,
        expected_version: int | None = None,
    ) -> CallView:
        """Set or correct the catalogue service a call is about, at its current version.

        Possible in every open state; the audit event records the old and the new service and
        version (and ``reason``, if given). A call registered without a service can be accepted
        once it has one.

        Raises:
            GuardFailed: ``published_service`` — not a published, active catalogue service;
                ``other_service`` — the call is already about that service at that version.
        """
        return self.fire(
            call_id,
            "set_service",
            service=service,
            reason=reason,
            by=by,
            expected_version=expected_version,
        )

    def flag_self_service(
        self,
        call_id: int,
        *,
        faq: int,
        by: str,
        reason: str | None = None,
        expected_version: int | None = None,
    ) -> CallView:
        """Flag the call as a self-service opportunity: FAQ entry ``faq`` (1 = the first) of the
        call's service version would have answered it. Flagging again with another entry moves
        the flag; the audit event names the entry and its question.

        Raises:
            GuardFailed: ``service_set`` — the call has no catalogue service yet;
                ``faq_of_service`` — the service version has no such entry; ``other_faq`` —
                already flagged with that entry.
            InvalidTransition: the call is no longer open.
        """
        return self.fire(
            call_id,
            "flag_self_service",
            faq=faq,
            reason=reason,
            by=by,
            expected_version=expected_version,
        )

    def unflag_self_service(
        self,
        call_id: int,
        *,
        by: str,
        reason: str | None = None,
        expected_version: int | None = None,
    ) -> CallView:
        """Clear the self-service flag.

        Raises:
            GuardFailed: ``flagged`` — the call is not flagged.
            InvalidTransition: the call is no longer open.
        """
        return self.fire(
            call_id, "unflag_self_service", reason=reason, by=by, expected_version=expected_version
        )

    def cancel(
        self, call_id: int, *, reason: str, by: str, expected_version: int | None = None
    ) -> CallView:
        """The customer withdrew the call."""
        return self.fire(call_id, "cancel", reason=reason, by=by, expected_version=expected_version)

    def log_contact(
        self,
        call_id: int,
        *,
        channel: str,
        by: str,
        note: str | None = None,
        expected_version: int | None = None,
    ) -> CallView:
        """Another contact with the customer about this call."""
        return self.fire(
            call_id,
            "log_contact",
            channel=channel,
            note=note,
            by=by,
            expected_version=expected_version,
        )

    def get(self, call_id: int) -> CallView:
        """One call by id.

        Raises:
            NotFound: there is no such call (also for a whole number no id can have).
            ValidationError: ``call_id`` is not a whole number (a float, a bool, a text...).
        """
        with self._desk.unit() as uow:
            return CallView.model_validate(self._load(uow.session, call_id))

    def contacts(self, call_id: int) -> list[ContactView]:
        """The contacts logged on a call, first to last."""
        with self._desk.unit() as uow:
            self._load(uow.session, call_id)
            rows = uow.session.scalars(
                select(CallContactRow)
                .where(CallContactRow.call_id == call_id)
                .order_by(CallContactRow.seq)
            ).all()
            return [ContactView.model_validate(r) for r in rows]

    def queue(
        self,
        *,
        offset: int = 0,
        limit: int = 50,
        states: Sequence[str] | None = OPEN_STATES,
        group: str | None = None,
    ) -> Page[CallView]:
        """A page of calls in ``states`` (default: open; None: every state), oldest first, of one
        ``group`` if given; counted and paged in SQL.

        Raises:
            ValidationError: bad paging (see ``docs/limits.md``), or a state or group the desk does
                not have, naming it.
        """
        offset, limit = paging(offset, limit)
        wanted = self._check_states(states)
        where: list[ColumnElement[bool]] = [] if wanted is None else [CallRow.state.in_(wanted)]
        if group is not None:
            group = one_of("group", group, self._desk.config.groups, what="desk's groups")
            where.append(CallRow.group == group)
        with self._desk.unit() as uow:
            s = uow.session
            total = s.scalar(select(func.count()).select_from(CallRow).where(*where)) or 0
            rows = s.scalars(
                select(CallRow)
                .where(*where)
                .order_by(CallRow.registered_at, CallRow.id)
                .offset(offset)
                .limit(limit)
            ).all()
            return Page([CallView.model_validate(r) for r in rows], offset, limit, total)

    def find(
        self,
        *,
        filter: str = "open",
        search: str = "",
        sort: str = "age",
        descending: bool = False,
        after: Cursor | None = None,
        before: Cursor | None = None,
        at: int | None = None,
        last: bool = False,
        limit: int = 50,
        by: str | None = None,
    ) -> KeysetPage[CallView]:
        """One page of the queue, found by key: filtered, searched and sorted in SQL.

        Args:
            filter: one of :data:`~bpsm.processes.calls.queue.FILTERS` — ``open`` (default),
                ``mine`` (open calls registered by ``by``: the desk has no assignee, the person
                who registered a call owns it), ``group`` (open calls of ``by``'s group),
                ``waiting``, ``overdue`` (unresolved, past the service version's delivery lead
                time), ``resolved`` (not yet closed), ``closed``, ``referred`` or ``all``.
            search: words matched (case-insensitively, ``%`` and ``_`` as themselves) inside
                the caller or the summary; a call number (``C-000123`` or ``123``) also finds
                that call.
            sort: ``number``, ``caller``, ``service``, ``state``, ``group`` or ``age`` (oldest
                first); ties are broken by number.
            descending: the other way round.
            after: the page after this cursor (a page's ``next``).
            before: the page before this cursor (a page's ``previous``).
            at: the page that starts at this call id (it must match the filter and search).
            last: the last page.
            limit: calls per page.
            by: the person looking (needed by ``mine`` and ``group``).

        Raises:
            ValidationError: naming the field — an unknown filter or sort, a search text too
                long, a cursor of another sort, more than one of ``after``/``before``/``at``/
                ``last``, bad ``limit``.
            NotFound: ``at`` names no call.
        """
        limit = paging(0, limit)[1]
        filter, sort, search, person = self._queue_args(filter, sort, search, by)
        if sum(x is not None for x in (after, before, at)) + bool(last) > 1:
            raise ValidationError(
                Problem("give at most one of after, before, at and last", field="after")
            )
        for name, cursor in (("after", after), ("before", before)):
            if cursor is not None and (not isinstance(cursor, Cursor) or cursor.sort != sort):
                raise ValidationError(
                    Problem(f"{shown(cursor)} is not a cursor of sort {sort!r}", field=name)
                )
        if not isinstance(descending, bool):
            raise ValidationError(
                Problem(f"{shown(descending)} must be True or False", field="descending")
            )
        with self._desk.unit() as uow:
            s = uow.session
            start = None
            if at is not None:
                row = self._load(s, at)
                start = Cursor(sort, q.key_of(row, sort), row.id)
            where = q.matching(s, filter=filter, search=search, person=person, now=clock.now())
            paging_args: dict[str, Any] = {
                "sort": sort,
                "descending": descending,
                "after": after,
                "before": before,
                "at": start,
                "last": last,
                "limit": limit,
            }
            stop = end = None
            if where.scan is not None:  # a search no index serves: a bounded read
                found, stop, end, backwards = q.bounded_page(s, where, **paging_args)
                by_id = {r.id: r for r in s.scalars(select(CallRow).where(CallRow.id.in_(found)))}
                rows = [by_id[i] for i in found]
            else:
                stmt, backwards = q.page_query(where, **paging_args)
                rows = list(s.scalars(stmt).all())
            more = len(rows) > limit
            rows = rows[:limit]
            if backwards:
                rows.reverse()
            items = [CallView.model_validate(r) for r in rows]
            if not rows and stop is None:
                # read to the end and found nothing: back from the last call read (a cursor
                # handed in was on the way there)
                back = end if (after or before or start) and not last else None
                if backwards:
                    return KeysetPage(items, limit, back if before else None, None)
                return KeysetPage(items, limit, None, back)
            if rows:
                first, final = (Cursor(sort, q.key_of(r, sort), r.id) for r in (rows[0], rows[-1]))
            else:  # nothing in the calls read: the cursors go on from the last one read
                assert stop is not None
                first = final = stop
            if backwards:
                previous = first if more else stop
                next_ = final if before is not None else None
            else:
                next_ = final if more else stop
                previous = first if (after is not None or at is not None) else None
            if at is not None and previous is not None and rows:
                previous = self._has_before(s, where, sort, descending, first)
            cut = stop is not None
            return KeysetPage(items, limit, next_, previous, cut=cut, scanned=q.SCAN if cut else 0)

    def count(
        self,
        *,
        filter: str = "open",
        search: str = "",
        by: str | None = None,
        before: Cursor | None = None,
        descending: bool = False,
    ) -> int:
        """How many calls a filter and search text select (see :meth:`find`), counted in SQL.

        With ``before`` (a page's ``previous`` cursor, or a cursor of its first call) only the
        calls that come before it in that cursor's sort: the position of a page. Slower than a
        page on a large desk, so a screen asks for it off its key path.
        """
        sort = before.sort if isinstance(before, Cursor) else "age"
        filter, sort, search, person = self._queue_args(filter, sort, search, by)
        if before is not None and not isinstance(before, Cursor):
            raise ValidationError(Problem(f"{shown(before)} is not a cursor", field="before"))
        with self._desk.unit() as uow:
            s = uow.session
            where = q.matching(s, filter=filter, search=search, person=person, now=clock.now())
            if before is not None:
                where.append(q.before(before, descending))
            return s.scalar(select(func.count()).select_from(CallRow).where(*where)) or 0

    def _queue_args(
        self, filter: str, sort: str, search: str, by: str | None
    ) -> tuple[str, str, str, Person | None]:
        filter = one_of("filter", filter, q.FILTERS, what="queue's filters")
        sort = one_of("sort", sort, q.SORTS, what="queue's columns")
        search = search_text(search, "search").strip()
        person = self._desk.person(by) if by is not None else None
        return filter, sort, search, person

    def _has_before(
        self, s: Any, where: Any, sort: str, descending: bool, first: Cursor
    ) -> Cursor | None:
        args: dict[str, Any] = {"sort": sort, "descending": descending, "before": first}
        args |= {"after": None, "at": None, "last": False, "limit": 1}
        if where.scan is not None:  # bounded: a call found or calls left to read
            bounded = q.bounded_page(s, where, **args)
            return first if bounded.ids or bounded.stop is not None else None
        stmt, _ = q.page_query(where, **args)
        return first if s.scalars(stmt).first() is not None else None
