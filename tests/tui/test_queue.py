"""The queue by keys: each filter, search by number, caller and summary, sort, jump, paging."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from freezegun import freeze_time
from rich.segment import Segment
from textual.coordinate import Coordinate
from textual.notifications import Notification, Notify
from textual.strip import Strip
from textual.widgets import DataTable

from bpsm import Desk
from bpsm_tui.app import DeskApp
from bpsm_tui.widgets import CallTable
from bpsm_tui.widgets.call_table import fit_state
from tests.helpers import call_in, new_call
from tests.tui.driver import Session

pytestmark = pytest.mark.postgres_too  # about the database: runs on PostgreSQL too

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SIZES = [(80, 24), (160, 48)]


@contextlib.asynccontextmanager
async def queue_at(
    desk: Desk, size: tuple[int, int], operator: str = "anna", page_size: int | None = None
) -> AsyncIterator[Session]:
    """The desk app at ``size``, loaded and settled."""
    app = DeskApp(desk, operator, page_size=page_size, keymap={})
    notes: list[Notification] = []

    def hook(message) -> None:
        if isinstance(message, Notify):
            notes.append(message.notification)

    async with app.run_test(size=size, message_hook=hook) as pilot:
        session = Session(pilot, notes)
        await session.settle()
        yield session


def headers(s: Session) -> list[str]:
    return [str(c.label) for c in s.app.screen.query_one(CallTable).columns.values()]


@pytest.fixture
def states(desk: Desk) -> dict[str, str]:
    """One call per state, a minute apart, plus one registered by omar; numbers by state."""
    made: dict[str, str] = {}
    with freeze_time(T0) as frozen:
        for state in ("registered", "in_progress", "waiting_customer", "resolved"):
            made[state] = call_in(desk, state, caller=f"Caller {state}").number
            frozen.tick(60)
        for state in ("closed", "referred"):
            made[state] = call_in(desk, state).number
            frozen.tick(60)
        made["omar"] = desk.calls.register(
            caller="Omar's caller", channel="phone", summary="Printer jams", by="omar"
        ).number
    return made


@pytest.mark.parametrize("size", SIZES)
async def test_operator_steps_through_every_filter(
    desk: Desk, states: dict[str, str], size: tuple[int, int]
) -> None:
    m = states
    mine = [m["registered"], m["in_progress"], m["waiting_customer"], m["resolved"]]
    expected = [
        ("mine", mine),
        ("my group", [*mine, m["omar"]]),
        ("waiting", [m["waiting_customer"]]),
        ("overdue", mine[:3]),  # registered in March: past the laptop's five days
        ("resolved, not closed", [m["resolved"]]),
        ("closed", [m["closed"]]),
        ("referred", [m["referred"]]),
        ("all", sorted(m.values())),
        ("open", [*mine, m["omar"]]),
    ]
    async with queue_at(desk, size) as s:  # the app runs on the real clock (never frozen)
        assert s.numbers() == [*mine, m["omar"]]
        assert any(h.startswith("State") for h in headers(s))
        for label, numbers in expected:
            await s.burst("t")
            assert s.numbers() == numbers, label
            assert s.text("#queue-view").startswith(label)
        await s.burst("T")
        assert s.text("#queue-view").startswith("all")


@pytest.mark.parametrize("size", SIZES)
async def test_operator_sorts_by_column_and_reverses(desk: Desk, size: tuple[int, int]) -> None:
    with freeze_time(T0) as frozen:
        cleo = new_call(desk, caller="Cleo").number
        frozen.tick(60)
        alex = new_call(desk, caller="Alex").number
    async with queue_at(desk, size) as s:
        assert s.numbers() == [cleo, alex] and "Age ▲" in headers(s)
        await s.press("greater_than_sign")  # age → number
        assert "Number ▲" in headers(s) and "by number ↑" in s.text("#queue-view")
        await s.press("greater_than_sign")  # → caller
        assert s.numbers() == [alex, cleo] and "Caller ▲" in headers(s)
        await s.press("less_than_sign")
        assert s.numbers() == [cleo, alex] and "Caller ▼" in headers(s)


async def test_state_service_age_and_a_readable_summary_at_80_columns_every_column_at_160(
    desk: Desk,
) -> None:
    new_call(desk)
    async with queue_at(desk, (80, 24)) as s:
        assert headers(s) == ["Number", "Service", "State", "Age ▲", "Summary"]
        table = s.app.screen.query_one(CallTable)
        widths = {str(c.label): c.get_render_width(table) for c in table.columns.values()}
        assert widths["Summary"] >= 26 + 2  # its padding
        assert widths["State"] >= len("waiting: customer") + 2
        await s.press("greater_than_sign", "greater_than_sign")  # sorted by caller: it shows
        assert "Caller ▲" in headers(s)
    async with queue_at(desk, (130, 22)) as s:
        assert headers(s) == ["Number", "Caller", "Service", "State", "Group", "Age ▲", "Summary"]
    async with queue_at(desk, (160, 48)) as s:
        assert headers(s) == ["Number", "Caller", "Service", "State", "Group", "Age ▲", "Summary"]


async def test_search_narrows_as_typed_and_escape_clears_it(desk: Desk) -> None:
    with freeze_time(T0) as frozen:
        kim = new_call(desk, caller="Kim Jansen", summary="Laptop will not start").number
        frozen.tick(60)
        sanne = new_call(desk, caller="Sanne de Boer", summary="Printer jams").number
        frozen.tick(60)
        closed = call_in(desk, "closed", caller="Kim Jansen", summary="Old laptop").number
    async with queue_at(desk, (80, 24)) as s:
        await s.burst("slash", "k", "i", "m")  # typed fast: every key lands, the last search wins
        assert s.numbers() == [kim]
        assert "search 'kim'" in s.text("#queue-view")
        await s.burst("escape")
        assert s.numbers() == [kim, sanne]
        await s.burst("slash", *"printer", "enter")  # enter keeps the search, back in the table
        assert s.numbers() == [sanne] and s.app.screen.focused is s.app.screen.query_one(CallTable)
        await s.burst("slash", *["backspace"] * len("printer"), *kim, "enter")
        assert s.numbers() == [kim]  # a call number finds that call
        # in the box, # and ] are characters, not the jump and next-page keys
        await s.burst("slash", "backspace", "number_sign", "right_square_bracket", "enter")
        assert "search '#]'" in s.text("#queue-view") and s.numbers() == []
        await s.burst("slash", "escape", *"tttttttt")  # the search cleared; open → … → all
        assert s.text("#queue-view").startswith("all")
        await s.burst("slash", *"laptop", "enter")  # search within the filter: closed ones too
        assert s.numbers() == [kim, closed]


async def test_jump_to_a_number_shows_its_page_even_outside_the_filter(desk: Desk) -> None:
    with freeze_time(T0) as frozen:
        numbers = []
        for i in range(7):
            numbers.append(new_call(desk, caller=f"Caller {i}").number)
            frozen.tick(60)
        closed = call_in(desk, "closed").number
    async with queue_at(desk, (80, 24), page_size=3) as s:
        assert s.numbers() == numbers[:3]
        await s.burst("number_sign", *numbers[5], "enter")
        assert s.numbers()[0] == numbers[5] and s.errors() == []
        assert s.app.screen.query_one(CallTable).selected_call.number == numbers[5]
        await s.burst("number_sign", *closed.removeprefix("C-").lstrip("0"), "enter")
        assert closed in s.numbers() and s.text("#queue-view").startswith("all")
        assert s.app.screen.query_one(CallTable).selected_call.number == closed
        await s.burst("number_sign", *"abc", "enter")
        assert s.errors()[-1] == "'abc' is not a call number"


async def test_pages_by_key_forward_back_first_and_last(desk: Desk) -> None:
    with freeze_time(T0) as frozen:
        numbers = []
        for i in range(7):
            numbers.append(new_call(desk, caller=f"Caller {i}").number)
            frozen.tick(60)
    async with queue_at(desk, (80, 24), page_size=3) as s:
        screen = s.app.screen
        assert s.numbers() == numbers[:3]
        assert "1–3 of 7" in s.text("#queue-status")
        await s.burst("right_square_bracket")
        assert s.numbers() == numbers[3:6] and "4–6 of 7" in s.text("#queue-status")
        await s.burst("right_square_bracket")
        assert s.numbers() == numbers[6:]
        painted = screen.painted
        await s.burst("right_square_bracket")  # no page after the last: a bell, nothing loads
        assert s.numbers() == numbers[6:] and screen.painted == painted
        await s.burst("left_square_bracket")
        assert s.numbers() == numbers[3:6]
        await s.burst("ctrl+home")
        assert s.numbers() == numbers[:3]
        await s.burst("ctrl+end")
        assert s.numbers() == numbers[4:]  # the last full page by key
        await s.burst("ctrl+home", "pagedown", "pagedown", "pageup")  # typed ahead: in order
        assert s.numbers() == numbers[3:6]


async def test_a_specialist_lands_on_their_groups_queue(desk: Desk) -> None:
    specialist = next(m for m in desk.config.staff if m.roles == ["specialist"])
    theirs = new_call(desk).id
    desk.calls.accept(theirs, by="anna")
    desk.calls.escalate(theirs, to_group=specialist.group, reason="needs a technician", by="anna")
    new_call(desk)  # still with the service desk: not in their group's queue
    async with queue_at(desk, (80, 24), operator=specialist.id) as s:
        assert s.text("#queue-view").startswith("my group")
        assert [c.id for c in s.app.screen.query_one(CallTable).calls] == [theirs]


async def test_keys_typed_ahead_from_the_queue_land_where_they_were_meant(desk: Desk) -> None:
    """One burst each: ``↓ ↓ ⏎`` opens the third call (not the first); ``c 2 ⏎ 5 ⏎`` closes a
    resolved call with both answers; ``/ kim ⏎ ⏎`` searches and opens the call found."""
    from bpsm_tui.screens import CallDetailScreen, QueueScreen

    with freeze_time(T0) as frozen:
        calls = []
        for i in range(3):
            calls.append(call_in(desk, "resolved", caller=f"Caller {i}"))
            frozen.tick(60)
        kim = new_call(desk, caller="Kim Jansen")
    async with queue_at(desk, (80, 24)) as s:
        await s.burst("down", "down", "enter")
        assert isinstance(s.app.screen, CallDetailScreen)
        assert s.app.screen.call_id == calls[2].id
        await s.burst("escape")
        assert isinstance(s.app.screen, QueueScreen)
        await s.burst("up", "up", "c", "2", "enter", "5", "enter")
        closed = desk.calls.get(calls[0].id)
        assert (closed.state, closed.effort_score, closed.satisfaction) == ("closed", 2, 5)
        await s.burst("slash", *"kim", "enter", "enter")
        assert isinstance(s.app.screen, CallDetailScreen) and s.app.screen.call_id == kim.id


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_table_draws_its_rows_as_the_data_table_would(
    desk: Desk, states: dict[str, str], size: tuple[int, int]
) -> None:
    """The call table draws its body rows itself; every line must be the data table's own
    (same characters, same styles and the same row/column meta for the mouse)."""
    new_call(desk, service=None, caller="A caller whose name is far too long", summary="x" * 300)
    async with queue_at(desk, size) as s:
        await s.press("t", "t", "t", "t", "t", "t", "t", "t")  # every call
        await s.settle()
        table = s.app.screen.query_one(CallTable)
        assert len(table.calls) == 8
        table.move_cursor(row=2)
        table.hover_coordinate = Coordinate(3, 1)
        await s.settle()
        base = table.rich_style
        for y in range(table.row_count):
            row_key = table._row_locations.get_key(y)
            args = (row_key, 0, base, table.cursor_coordinate, table.hover_coordinate)
            table._row_render_cache.clear()  # both keep their rows in it, by the same key
            ours = table._render_line_in_row(*args)
            table._row_render_cache.clear()
            theirs = DataTable._render_line_in_row(table, *args)
            mine, expected = list(_strip(ours)), list(_strip(theirs))
            assert mine == expected, f"row {y}: {_first_difference(mine, expected)}"
        # at 80 columns the caller gives way to the service and the summary, cut to its column
        cut = "A caller whose na…" if size[0] >= 100 else "x" * 25 + "…"
        assert cut in _strip(table._render_line_in_row(*args)).text


def _strip(pair: tuple[list[list[Segment]], list[list[Segment]]]) -> Strip:
    fixed, scrollable = pair
    return Strip([seg for cell in (*fixed, *scrollable) for seg in cell]).simplify()


def _first_difference(mine: list[Segment], expected: list[Segment]) -> str:
    for ours, theirs in zip(mine, expected, strict=False):
        if ours != theirs:
            return f"{ours!r} instead of {theirs!r}"
    return f"{len(mine)} segments instead of {len(expected)}"


async def test_a_short_search_says_on_screen_when_it_read_only_part_of_the_calls(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bpsm.processes.calls import queue

    monkeypatch.setattr(queue, "SCAN", 4)  # a page reads at most four calls for a short text
    with freeze_time(T0) as frozen:
        made = []
        for i in range(10):  # matches among the first four calls, then none until the tenth
            made.append(new_call(desk, caller="Xq Ada" if i in (1, 9) else "Bo").number)
            frozen.tick(60)
    async with queue_at(desk, (130, 24), page_size=3) as s:
        await s.burst("slash", "x", "q", "enter")
        assert s.numbers() == [made[1]]
        status = s.text("#queue-status")
        assert "searched the first 4 calls only — PgDn searches on" in status
        assert "of 2" in status  # the count covers every call
        await s.burst("pagedown")
        assert s.numbers() == []
        assert "searched 4 more calls only — PgDn searches on" in s.text("#queue-status")
        await s.burst("pagedown")
        assert s.numbers() == [made[9]] and "searched" not in s.text("#queue-status")
        await s.burst("slash", *["backspace"] * 2, *"ada", "enter")  # the index serves it
        assert s.numbers() == [made[1], made[9]] and "searched" not in s.text("#queue-status")


async def test_paging_on_in_a_counted_list_counts_nothing_again(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The total is kept per filter and search until a reload, and the position of the page
    after or before the one on screen follows from it: page keys run no count."""
    with freeze_time(T0) as frozen:
        for i in range(8):
            new_call(desk, caller=f"Caller {i}")
            frozen.tick(60)
    counted: list[dict[str, object]] = []
    count = desk.calls.count

    def counting(**kw: object) -> int:
        counted.append(kw)
        return count(**kw)  # type: ignore[arg-type]

    monkeypatch.setattr(desk.calls, "count", counting)

    async def counted_in(s: Session) -> None:  # the count starts once the page is painted
        for _ in range(200):
            if "counting" not in s.text("#queue-status"):
                return
            await s.settle()
        raise AssertionError("never counted")

    async with queue_at(desk, (130, 24), page_size=3) as s:
        await counted_in(s)
        assert "1–3 of 8" in s.text("#queue-status") and len(counted) == 1
        await s.burst("pagedown", "pagedown")
        assert "7–8 of 8 · page 3/3" in s.text("#queue-status")
        await s.burst("pageup")
        assert "4–6 of 8 · page 2/3" in s.text("#queue-status")
        await s.burst("ctrl+end")
        assert "6–8 of 8" in s.text("#queue-status")
        assert len(counted) == 1
        await s.burst("t")  # another filter: counted once
        await counted_in(s)
        await s.burst("pagedown")
        assert len(counted) == 2
        await s.burst("g")  # a reload counts again
        assert len(counted) > 2


async def test_the_search_box_changes_the_footers_keys_in_place(desk: Desk) -> None:
    """Opening and closing the search or jump box changes which keys the footer shows (the
    letter keys type into the box; / and # are dimmed) without rebuilding it: the same widgets."""
    from textual.widgets._footer import FooterKey

    from bpsm_tui.widgets.footer import DeskFooter

    new_call(desk)
    async with queue_at(desk, (130, 24)) as s:
        footer = s.app.screen.query_one(DeskFooter)

        def shown() -> dict[str, bool]:
            """The descriptions of the keys shown, and whether each is dimmed."""
            keys = footer.query(FooterKey)
            return {k.description: k.has_class("-disabled") for k in keys if k.display}

        keys, built, before = list(footer.query(FooterKey)), footer.rebuilds, shown()
        assert {"Search", "Jump to", "Filter", "New call"} <= set(before)
        assert not any(before.values())
        for opener in ("slash", "number_sign"):
            await s.burst(opener)
            in_box = shown()
            assert in_box["Search"] and in_box["Jump to"] and not in_box["Details"]
            assert "Filter" not in in_box and "New call" not in in_box
            await s.burst("escape")
            assert shown() == before
        assert list(footer.query(FooterKey)) == keys and footer.rebuilds == built


@pytest.mark.parametrize("width", [80, 100, 130, 160])
def test_the_state_column_shows_every_state_and_an_exception_without_cutting_the_state(
    width: int,
) -> None:
    state = dict(CallTable.column_widths(width))["State"]
    for label in ("waiting: customer", "waiting: supplier", "in progress", "registered"):
        assert fit_state(label, state) == label
        shown = fit_state(f"{label} (exception)", state)
        assert shown.startswith(label) and len(shown) <= state
    assert fit_state("resolved (exception)", state) in ("resolved (exception)", "resolved (exc.)")
    if width >= 130:  # the README's width: every exception keeps a mark
        assert fit_state("waiting: customer (exception)", state) == "waiting: customer (exc.)"
        assert fit_state("resolved (exception)", state) == "resolved (exception)"
