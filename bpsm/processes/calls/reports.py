"""``desk.calls``' reports on the records calls carry: self-service opportunities, lead time.

A mixin of :class:`~bpsm.processes.calls.facade.Calls`, kept apart from the steps and the queue;
each report is one unit of work and SQL aggregates (:mod:`bpsm.processes.calls.self_service`,
:mod:`bpsm.processes.calls.lead_time`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bpsm.errors import Problem, ValidationError
from bpsm.port import DeskPort
from bpsm.processes.calls.lead_time import LeadTimeCompliance, lead_time_compliance
from bpsm.processes.calls.self_service import (
    SelfServiceReport,
    faq_questions,
    self_service_report,
)
from bpsm.processes.calls.steps import load
from bpsm.store.tables import CallRow, ServiceRow
from bpsm.validation import clean_text, limit_of, moment, paging, shown

__all__ = ["CallReports"]


class CallReports:
    """Self-service and lead-time reports, and the FAQ a flag may name."""

    _desk: DeskPort

    def faq(self, call_id: int) -> list[str]:
        """The FAQ questions of the call's service version, entry 1 first: what
        :meth:`flag_self_service` may name (empty for a call without a service).

        Raises:
            NotFound: there is no such call.
        """
        with self._desk.unit() as uow:
            return faq_questions(uow.session, load(uow.session, call_id))

    def self_service(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        service: str | None = None,
        top: int = 10,
    ) -> SelfServiceReport:
        """Self-service opportunities among calls registered in ``[since, until)`` (aware
        datetimes, each optional), of one ``service`` if given: the share flagged and the ``top``
        services and FAQ entries. Computed in SQL.

        Raises:
            ValidationError: a bound that is not a datetime, bad ``top``, or ``service`` not a
                catalogue service.
        """
        top = paging(0, top)[1]
        with self._desk.unit() as uow:
            since, until, service = self._window(uow.session, since, until, service)
            return self_service_report(
                uow.session, since=since, until=until, service=service, top=top
            )

    def lead_time_compliance(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        service: str | None = None,
    ) -> LeadTimeCompliance:
        """Of the calls resolved in ``[since, until)`` (of one ``service`` if given), the share
        resolved within their service's lead time counted in the desk's business hours, and
        the mean business minutes to resolve. Computed in SQL over what ``resolve`` stored.
        """
        with self._desk.unit() as uow:
            since, until, service = self._window(uow.session, since, until, service)
            return lead_time_compliance(uow.session, since=since, until=until, service=service)

    @staticmethod
    def _window(
        s: Session, since: datetime | None, until: datetime | None, service: str | None
    ) -> tuple[datetime | None, datetime | None, str | None]:
        since = None if since is None else moment("since", since)
        until = None if until is None else moment("until", until)
        if service is not None:
            service = clean_text("service", service, limit=limit_of(CallRow.service_id))
            if s.get(ServiceRow, service) is None:
                raise ValidationError(
                    Problem(f"{shown(service)} is not a catalogue service", field="service")
                )
        return since, until, service
