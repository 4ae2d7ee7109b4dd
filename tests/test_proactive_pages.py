"""The paged lists the proactive and recommendations screens read: tasks of one kind, a page of
improvements, a page of recommendations (of a call), each with its total, bad filters refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from freezegun import freeze_time

from bpsm import Desk, NotFound, ValidationError
from tests.helpers import new_call


def test_tasks_of_one_kind_are_paged_with_their_total(desk: Desk) -> None:
    with freeze_time(datetime(2026, 1, 5, 9, tzinfo=UTC)):
        desk.maintenance.generate(by="admin")
    every = desk.maintenance.tasks(limit=500)
    contacts = desk.maintenance.tasks(kind="account_contact", limit=500)
    work = desk.maintenance.tasks(kind="maintenance", limit=2)
    assert contacts.total and {t.kind for t in contacts.items} == {"account_contact"}
    assert work.total + contacts.total == every.total and len(work.items) == 2
    assert [t.due_at for t in work.items] == sorted(t.due_at for t in work.items)
    with pytest.raises(ValidationError, match="kind"):
        desk.maintenance.tasks(kind="contact")
    daves = desk.maintenance.tasks(kind="account_contact", assignee="dave", limit=500)
    assert 0 < daves.total < contacts.total and {t.assignee for t in daves.items} == {"dave"}
    with pytest.raises(ValidationError, match="assignee"):
        desk.maintenance.tasks(assignee="nobody")


def test_a_page_of_improvements_by_state_and_source(desk: Desk) -> None:
    ideas = [
        desk.improvements.identify(
            source=source, title=f"idea {n}", description="worth a look", by="carla"
        )
        for n, source in enumerate(["other", "new_technology", "other"])
    ]
    desk.improvements.drop(ideas[0].id, reason="not now", by="carla")
    page = desk.improvements.page(states=("identified",), limit=1)
    assert (page.total, [i.id for i in page.items], page.has_next) == (2, [ideas[2].id], True)
    assert desk.improvements.page(source="other").total == 2
    with pytest.raises(ValidationError, match="source"):
        desk.improvements.page(source="gossip")
    with pytest.raises(ValidationError, match="limit"):
        desk.improvements.page(limit=0)


def test_a_page_of_recommendations_made_on_one_call(desk: Desk) -> None:
    call, other = new_call(desk), new_call(desk)
    mine = desk.recommendations.register(
        customer="Kim", description="dock", item="docking-station", call_id=call.id, by="anna"
    )
    desk.recommendations.register(
        customer="Kim", description="lead", value=9000, call_id=other.id, by="anna"
    )
    page = desk.recommendations.page(call_id=call.id)
    assert (page.total, [r.id for r in page.items]) == (1, [mine.id])
    assert desk.recommendations.page(kind="lead").total == 1
    assert desk.recommendations.page(states=("offered",), kind="lead").total == 0
    with pytest.raises(ValidationError, match="kind"):
        desk.recommendations.page(kind="upsell")
    with pytest.raises(ValidationError, match="call_id"):
        desk.recommendations.page(call_id="C-1")  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        desk.recommendations.page(call_id=0)
