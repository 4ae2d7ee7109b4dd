"""The catalogue browser, driven by keys: search as you type, a department, a service in full.

The versions a service went through are shown with their dates, source and rollback lineage
(``desk.services.versions``), read from the database, not the folder.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console
from textual.widgets import OptionList, Static

from bpsm import Desk, NotFound, ValidationError
from bpsm_tui.screens.catalogue import CatalogueScreen, duration_text
from tests.test_change import folder, in_state  # noqa: F401  (the change tests' fixtures)
from tests.tui.driver import Session, running

SIZES = [(80, 24), (160, 48)]


def shown(s: Session, selector: str) -> str:
    """What a Static on the current screen shows, as plain text (tables and groups too)."""
    console = Console(file=io.StringIO(), width=200, record=True, color_system=None)
    console.print(s.app.screen.query_one(selector, Static).content)
    return console.export_text()


async def to_catalogue(s: Session) -> CatalogueScreen:
    s.app.switch_mode("catalogue")
    await s.settle()
    assert isinstance(s.app.screen, CatalogueScreen)
    return s.app.screen


def listed(screen: CatalogueScreen) -> list[str]:
    return [str(o.id) for o in screen.query_one("#catalogue-list", OptionList).options]


@pytest.mark.parametrize("size", SIZES, ids=lambda v: f"{v[0]}x{v[1]}")
async def test_operator_searches_the_catalogue_as_they_type_and_reads_the_faq_and_versions(
    desk: Desk, size: tuple[int, int]
) -> None:
    async with running(desk, "anna") as s:
        await s.pilot.resize_terminal(*size)
        screen = await to_catalogue(s)
        assert len(listed(screen)) == len(desk.services.list())  # every service, by name
        await s.press("slash")
        await s.type("coffee")  # a word only in an FAQ answer
        assert listed(screen) == [h.id for h in desk.services.search("coffee")]
        await s.press("ctrl+u")  # clear the field (Input's own key)
        await s.type("laptop")
        assert listed(screen)[0] == "laptop"
        detail = shown(s, "#catalogue-service")
        laptop = desk.services.get("laptop")
        assert laptop.name in detail
        assert laptop.faq[0].q in detail and laptop.faq[0].a[:40] in detail
        assert f"Lead time: {duration_text(laptop.delivery.lead_time)}" in detail
        assert laptop.delivery.pickup[:40] in detail
        assert laptop.quality_levels[0].name in detail
        assert "Monday" in detail and "08:00–17:30" in detail
        assert "v1 " in detail and "current" in detail
        await s.press("enter")  # the list, then the details to scroll
        await s.press("enter")
        assert s.app.focused is screen.query_one("#catalogue-detail")
        await s.press("end")
        assert s.errors() == []


async def test_the_department_filter_narrows_the_list_and_a_search_without_match_says_so(
    desk: Desk,
) -> None:
    async with running(desk, "dave") as s:
        screen = await to_catalogue(s)
        await s.press("ctrl+g")
        departments = desk.services.departments()
        await s.press(*["down"] * (departments.index("HR") + 1), "enter")
        assert screen.department == "HR"
        hr = {sv.id for sv in desk.services.list() if sv.department == "HR"}
        assert set(listed(screen)) == hr
        await s.press("slash")
        await s.type("vpn")
        assert listed(screen) == [] and desk.services.search("vpn")
        assert "No published service matches" in shown(s, "#catalogue-service")


def test_versions_list_each_published_version_with_its_source_and_rollback_lineage(
    db_url: str,
    folder: Path,  # noqa: F811
) -> None:
    with Desk.open(db_url, catalogue=folder) as desk:
        assert [(v.version, v.current) for v in desk.services.versions("laptop")] == [(1, True)]
        change = in_state(desk, "implemented")
        desk.changes.roll_back(change.id, reason="pilot users want 5 days back", by="carla")
        versions = desk.services.versions("laptop")
        assert [(v.version, v.restores_version, v.current) for v in versions] == [
            (3, 1, True),
            (2, None, False),
            (1, None, False),
        ]
        assert versions[0].published_at >= versions[2].published_at
        assert all(v.source and v.name for v in versions)
        with pytest.raises(NotFound):
            desk.services.versions("no-such-service")
        with pytest.raises(ValidationError):
            desk.services.versions("x" * 500)


def test_search_by_department_lists_only_that_departments_services(desk: Desk) -> None:
    it = {h.id for h in desk.services.search("", limit=100, department="IT")}
    assert it == {sv.id for sv in desk.services.list() if sv.department == "IT"}
    assert desk.services.search("vpn", department="HR") == [] and desk.services.search("vpn")
    assert desk.services.departments() == sorted({sv.department for sv in desk.services.list()})


async def test_the_number_keys_leave_the_catalogue_as_it_opens_and_after_a_search(
    desk: Desk,
) -> None:
    """The catalogue opens on its list, not in the search field, so a number key goes to another
    area (a new user typed 1 into the search and found no way out); enter leaves the search."""
    async with running(desk, "anna") as s:
        await to_catalogue(s)
        await s.press("1")
        assert not isinstance(s.app.screen, CatalogueScreen)
        screen = await to_catalogue(s)
        await s.press("slash")
        await s.type("vpn")
        await s.press("enter", "1")
        assert not isinstance(s.app.screen, CatalogueScreen)
        assert listed(screen)[0].startswith("vpn")
