"""The recurring-disruption detector: one improvement per burst of calls, never two for a burst."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time

from bpsm import ConcurrentModification, Desk
from bpsm.catalogue.loader import Catalogue
from bpsm.catalogue.schema import RecurringDisruption
from bpsm.clock import now
from bpsm.store.tables.proactive import ImprovementRow
from tests.conftest import PG_URL
from tests.helpers import new_call

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def calls_on(
    desk: Desk, service: str | None, count: int, clock, step: timedelta = DAY
) -> list[datetime]:
    """Register ``count`` calls on ``service``, ``step`` apart; returns their registration times."""
    times = []
    for i in range(count):
        if i:
            clock.tick(step)
        times.append(new_call(desk, service=service, summary="Printer jams again").registered_at)
    return times


def detect(desk: Desk):
    return desk.improvements.detect_recurring_disruptions(by="eve")


@pytest.fixture
def tight_desk(db_url: str, catalogue: Catalogue) -> Iterator[Desk]:
    """A desk whose desk.yaml says: 3 calls within 2 days is a recurring disruption."""
    config = catalogue.desk.model_copy(
        update={"recurring_disruption": RecurringDisruption(calls=3, window="P2D")}
    )
    d = Desk.open(db_url, catalogue=dataclasses.replace(catalogue, desk=config))
    yield d
    d.close()


def test_a_burst_of_disruptions_proposes_exactly_one_improvement(desk: Desk) -> None:
    assert (desk.config.recurring_disruption.calls, desk.config.recurring_disruption.window) == (
        5,
        timedelta(days=7),
    )
    with freeze_time(MONDAY) as clock:
        first_four = calls_on(desk, "printing", 4, clock)
        assert detect(desk) == []  # four calls: not yet a burst
        clock.tick(DAY)
        fifth = new_call(desk, service="printing").registered_at
        [found] = detect(desk)
        assert (found.state, found.source, found.service_id, found.identified_by) == (
            "identified",
            "recurring_disruption",
            "printing",
            "eve",
        )
        assert (found.burst_calls, found.burst_window, found.burst_start, found.burst_end) == (
            5,
            timedelta(days=7),
            first_four[0],
            fifth,
        )
        assert (
            "Printing" in found.title
            and "5 calls" in found.description
            and "P7D" in found.description
        )
        [event] = desk.history(found)
        assert (event.trigger, event.from_state, event.to_state, event.actor) == (
            "detect",
            None,
            "identified",
            "eve",
        )
        assert (
            event.data["calls"] == 5
            and event.data["window"] == "P7D"
            and event.data["service_id"] == "printing"
        )

        assert detect(desk) == []  # running it again: the same burst
        clock.tick(timedelta(hours=3))
        new_call(desk, service="printing")  # a sixth call in the same burst
        assert detect(desk) == []
        assert desk.improvements.list() == [found]

        clock.tick(timedelta(weeks=4))  # a new burst weeks later
        second_burst = calls_on(desk, "printing", 5, clock, step=timedelta(hours=20))
        [again] = detect(desk)
        assert (again.burst_calls, again.burst_start, again.burst_end) == (
            5,
            second_burst[0],
            second_burst[-1],
        )
        assert again.id != found.id and detect(desk) == []
    assert len(desk.improvements.list(source="recurring_disruption", service_id="printing")) == 2


def test_calls_outside_the_window_or_on_other_services_do_not_make_a_burst(desk: Desk) -> None:
    with freeze_time(MONDAY) as clock:
        calls_on(desk, "printing", 3, clock)
        clock.tick(timedelta(days=8))
        calls_on(desk, "printing", 2, clock)  # 5 in total, but only 2 within the last week
        calls_on(desk, "laptop", 2, clock, step=timedelta(hours=1))
        calls_on(
            desk, None, 6, clock, step=timedelta(minutes=5)
        )  # no service named: nothing to improve
        assert detect(desk) == []
        calls_on(desk, "laptop", 3, clock, step=timedelta(hours=1))
        [found] = detect(desk)
    assert (found.service_id, found.burst_calls) == ("laptop", 5)


def test_bursts_on_several_services_each_get_one_improvement(desk: Desk) -> None:
    with freeze_time(MONDAY) as clock:
        calls_on(desk, "printing", 5, clock, step=timedelta(hours=1))
        calls_on(desk, "wifi-access", 6, clock, step=timedelta(hours=1))
        found = detect(desk)
    assert [(i.service_id, i.burst_calls) for i in found] == [("printing", 5), ("wifi-access", 6)]


def test_the_window_edge_is_inclusive_and_the_policy_comes_from_desk_yaml(tight_desk: Desk) -> None:
    with freeze_time(MONDAY) as clock:
        times = calls_on(tight_desk, "printing", 3, clock)  # exactly two days from first to last
        assert now() - times[0] == tight_desk.config.recurring_disruption.window
        [found] = detect(tight_desk)
        assert (found.burst_calls, found.burst_window) == (3, timedelta(days=2))
        clock.tick(timedelta(seconds=1))
        calls_on(tight_desk, "printing", 2, clock)
        assert detect(tight_desk) == []  # 2 fresh calls, the policy wants 3
        clock.tick(DAY)
        new_call(tight_desk, service="printing")
        [second] = detect(tight_desk)
    assert second.burst_calls == 3 and second.burst_start > found.burst_end


def test_a_detected_improvement_goes_through_the_process_and_still_counts_as_reported(
    desk: Desk,
) -> None:
    with freeze_time(MONDAY) as clock:
        calls_on(desk, "printing", 5, clock, step=timedelta(hours=2))
        [found] = detect(desk)
        desk.improvements.drop(found.id, reason="the printer is being replaced anyway", by="eve")
        new_call(desk, service="printing")
        assert detect(desk) == []  # dropped, but the burst was reported


def test_the_database_refuses_the_same_burst_twice(desk: Desk) -> None:
    with freeze_time(MONDAY) as clock:
        calls_on(desk, "printing", 5, clock, step=timedelta(hours=2))
        [found] = detect(desk)
    # the unique constraint refuses it; the unit of work says so in the library's words
    with pytest.raises(ConcurrentModification, match="improvements"), desk.transaction() as s:
        s.add(
            ImprovementRow(
                state="identified",
                source="recurring_disruption",
                title="again",
                description="again",
                service_id="printing",
                identified_by="eve",
                identified_at=MONDAY,
                updated_at=MONDAY,
                burst_start=found.burst_start,
                burst_end=found.burst_end,
                burst_calls=5,
            )
        )
        s.flush()
    assert desk.improvements.list() == [found]


@pytest.mark.skipif(not PG_URL, reason="a true race needs concurrent writers (PostgreSQL)")
def test_two_detectors_racing_report_the_burst_once(db_url: str, catalogue: Catalogue) -> None:
    desks = [Desk.open(db_url, catalogue=catalogue) for i in range(2)]
    with freeze_time(MONDAY) as clock:
        calls_on(desks[0], "printing", 5, clock, step=timedelta(hours=2))
        start, results = threading.Barrier(2), []

        def run(d: Desk) -> None:
            start.wait()
            try:
                results.append(len(detect(d)))
            except ConcurrentModification:
                results.append("conflict")

        threads = [threading.Thread(target=run, args=(d,)) for d in desks]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sorted(results, key=str) in ([0, 1], [1, "conflict"])
    assert len(desks[0].improvements.list()) == 1
    for d in desks:
        d.close()
