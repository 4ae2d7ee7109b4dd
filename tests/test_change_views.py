"""The change board's reads: changes paged by state, and what a change does to its service."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bpsm import Desk, ValidationError
from tests.conftest import CATALOGUE

ITEMS = ["tested", "rollback-plan", "desk-ready", "documentation", "parties-informed"]


@pytest.fixture
def cdesk(db_url: str, tmp_path: Path) -> Iterator[Desk]:
    folder = tmp_path / "catalogue"
    shutil.copytree(CATALOGUE, folder)
    d = Desk.open(db_url, catalogue=folder)
    yield d
    d.close()


def faster_laptops(desk: Desk) -> dict:
    definition = desk.services.get("laptop").model_dump(mode="json")
    definition["delivery"]["lead_time"] = "P3D"
    return definition


def published_version(desk: Desk) -> int:
    return next(s.current_version for s in desk.services.list() if s.id == "laptop")


def modify_laptop(desk: Desk):
    return desk.changes.propose(
        kind="modify",
        definition=faster_laptops(desk),
        summary="Deliver laptops in 3 days",
        rollback_plan="republish the previous version",
        by="dave",
    )


def test_change_board_pages_changes_newest_first_by_state(cdesk: Desk) -> None:
    ids = [modify_laptop(cdesk).id for _ in range(5)]
    for change_id in ids[:3]:
        cdesk.changes.submit(change_id, by="dave")
    first = cdesk.changes.page(states=("submitted",), limit=2)
    second = cdesk.changes.page(states=("submitted",), offset=2, limit=2)
    assert [c.id for c in first.items] == [ids[2], ids[1]]
    assert [c.id for c in second.items] == [ids[0]]
    assert (first.total, first.has_next, second.has_next) == (3, True, False)
    assert cdesk.changes.page().total == 5
    assert all(c.checklist for c in first.items)


def test_change_board_page_with_an_unknown_state_is_refused(cdesk: Desk) -> None:
    with pytest.raises(ValidationError, match="done"):
        cdesk.changes.page(states=("done",))
    with pytest.raises(ValidationError, match="limit"):
        cdesk.changes.page(limit=0)


def test_modify_diff_shows_the_changed_lead_time_against_the_published_version(
    cdesk: Desk,
) -> None:
    change = modify_laptop(cdesk)
    published = published_version(cdesk)
    diff = cdesk.changes.definition_diff(change.id)
    assert diff.before_version == published and diff.after_version is None
    removed = [line for line in diff.lines if line.startswith("-") and "lead_time" in line]
    added = [line for line in diff.lines if line.startswith("+") and "lead_time" in line]
    assert added == ["+  lead_time: P3D"] and len(removed) == 1
    assert diff.lines[0] == f"--- laptop v{published}"
    assert not diff.unchanged


def test_implemented_and_rolled_back_diff_compares_the_versions_published(cdesk: Desk) -> None:
    change = modify_laptop(cdesk)
    before = published_version(cdesk)
    cdesk.changes.submit(change.id, by="dave")
    for item in ITEMS:
        cdesk.changes.check_item(change.id, item, evidence=f"{item}: pilot report", by="ben")
    cdesk.changes.approve(change.id, by="carla")
    cdesk.changes.implement(change.id, by="carla")
    implemented = cdesk.changes.definition_diff(change.id)
    assert (implemented.before_version, implemented.after_version) == (before, before + 1)
    assert "+  lead_time: P3D" in implemented.lines
    cdesk.changes.roll_back(change.id, reason="suppliers cannot keep up", by="carla")
    assert cdesk.changes.definition_diff(change.id).lines == implemented.lines


def test_add_diff_is_all_new_and_retire_diff_is_all_gone(cdesk: Desk) -> None:
    definition = cdesk.services.get("laptop").model_dump(mode="json")
    definition.update(id="tablet", name="Tablet")
    add = cdesk.changes.propose(kind="add", definition=definition, summary="Tablets", by="dave")
    retire = cdesk.changes.propose(
        kind="retire", service_id="parking", summary="No more parking", by="dave"
    )
    added = cdesk.changes.definition_diff(add.id)
    gone = cdesk.changes.definition_diff(retire.id)
    assert added.before == "" and added.before_version is None
    assert all(not line.startswith("-") for line in added.lines[1:])
    assert "+id: tablet" in added.lines
    assert gone.after == "" and gone.before_version is not None
    assert all(not line.startswith("+") for line in gone.lines[2:])
    assert "-id: parking" in gone.lines


def test_an_unmodified_proposal_has_an_empty_diff(cdesk: Desk) -> None:
    definition = cdesk.services.get("laptop").model_dump(mode="json")
    change = cdesk.changes.propose(
        kind="modify", definition=definition, summary="Same again", by="dave"
    )
    assert cdesk.changes.definition_diff(change.id).unchanged
