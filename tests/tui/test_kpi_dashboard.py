"""The manager's KPI dashboard: what it shows for a small hand-made desk, and its keys.

Five calls on a frozen clock (Friday 14 March 2025, Amsterdam), counted by hand:

* W10, Tue 4 March: C-1 laptop by phone, resolved at first contact, closed (effort 2,
  satisfaction 5);
* W11, Tue 11 March: C-2 laptop by phone, resolved at first contact, flagged as self-service
  (FAQ 1); C-3 laptop by email, resolved at first contact;
* W11, Wed 12 March: C-4 printing by phone, escalated to second-line-it, resolved there by ben;
* W11, Thu 13 March: C-5 printing by chat, only registered.

So first time right is 3 of 4 resolved (W10 1/1, W11 2/3), 5 calls, 4 open now (C-2 to C-4
resolved but not closed, C-5 registered), effort 2.0 and 100% satisfied (1 answer). Ben logged
45 minutes on C-4, anna 15 on C-2: 60 minutes, all reactive.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from freezegun import freeze_time
from textual.widgets import DataTable, OptionList, Static

from bpsm import DatabaseUnavailable, Desk, KpiFilter, KpiReport
from bpsm_tui.commands import DeskCommands
from bpsm_tui.data.dashboard import MAX_PERIODS, DashboardQuery
from bpsm_tui.data.format import mean_text, period_label, share_text, span_text
from bpsm_tui.dialogs.kpi_filter import KpiFilterPicker
from bpsm_tui.screens.help import HelpScreen, keys_of
from bpsm_tui.screens.kpis import KpiScreen
from bpsm_tui.widgets.kpi_plot import BalanceBars, TrendPlot
from tests.tui.driver import Session, running
from tests.tui.test_event_loop import statements_on_the_loop

NOW = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)
ZONE = "Europe/Amsterdam"


def _at(when: str) -> datetime:
    return datetime.fromisoformat(when).replace(tzinfo=UTC)


def _build(desk: Desk) -> None:
    calls = desk.calls
    with freeze_time(_at("2025-03-04T10:00")):
        c1 = calls.register(
            caller="Kim", channel="phone", summary="slow", service="laptop", by="anna",
            accept=True, solution="restarted",
        )  # fmt: skip
    with freeze_time(_at("2025-03-04T11:00")):
        calls.close(c1.id, effort=2, satisfaction=5, by="anna")
    with freeze_time(_at("2025-03-11T10:00")):
        c2 = calls.register(
            caller="Sanne", channel="phone", summary="slow", service="laptop", by="anna",
            accept=True, solution="the FAQ's steps", self_service_faq=1,
        )  # fmt: skip
        desk.effort.log("call", c2.id, 15, by="anna")
    with freeze_time(_at("2025-03-11T11:00")):
        calls.register(
            caller="Pieter", channel="email", summary="slow", service="laptop", by="anna",
            accept=True, solution="restarted",
        )  # fmt: skip
    with freeze_time(_at("2025-03-12T10:00")):
        c4 = calls.register(
            caller="Fatma", channel="phone", summary="jams", service="printing", by="anna",
            accept=True,
        )  # fmt: skip
        calls.escalate(c4.id, to_group="second-line-it", reason="hands-on", by="anna")
    with freeze_time(_at("2025-03-12T14:00")):
        calls.resolve(c4.id, solution="new roller", by="ben")
        desk.effort.log("call", c4.id, 45, by="ben")
    with freeze_time(_at("2025-03-13T10:00")):
        calls.register(
            caller="Lucas", channel="chat", summary="jams", service="printing", by="anna"
        )


@pytest.fixture
def small(desk: Desk) -> Desk:
    _build(desk)
    return desk


@pytest.fixture
def frozen() -> Iterator[None]:
    """The clock at NOW, ticking (Textual's timers need time to pass)."""
    with freeze_time(NOW, tick=True, real_asyncio=True):
        yield


def _line(*figures: str) -> str:
    """The headline as shown: figures apart by `` · ``, each held together by no-break spaces."""
    return " · ".join(f.replace(" ", "\u00a0") for f in figures)


def _screen(s: Session) -> KpiScreen:
    screen = s.app.screen
    assert isinstance(screen, KpiScreen)
    return screen


def _plot(s: Session, ident: str) -> list[float | None]:
    return s.app.screen.query_one(f"#{ident}", TrendPlot).values


def _pilot_title(s: Session) -> str:
    content = s.app.screen.query_one("#kpi-pilot-title", Static).content
    return getattr(content, "plain", str(content))


def _rows(s: Session, ident: str) -> list[list[str]]:
    table = s.app.screen.query_one(f"#{ident}", DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


# -- the query and the formatting (pure) ------------------------------------------------------


def test_a_week_window_is_whole_local_weeks_ending_with_this_one() -> None:
    since, until = DashboardQuery().window(date(2025, 3, 14), ZONE)
    # Monday 23 December 00:00 CET to Monday 17 March 00:00 CET
    assert (since, until) == (_at("2024-12-22T23:00"), _at("2025-03-16T23:00"))
    assert span_text(since, until, ZONE) == "2024-12-23 – 2025-03-16"
    back = DashboardQuery(back=2, periods=3).window(date(2025, 3, 14), ZONE)
    assert back == (_at("2025-02-09T23:00"), _at("2025-03-02T23:00"))


def test_a_month_window_crosses_daylight_saving_at_local_midnights() -> None:
    query = DashboardQuery().next_by()
    assert (query.by, query.periods) == ("month", 12)
    since, until = query.window(date(2025, 3, 14), ZONE)
    # 1 April 2024 00:00 CEST (UTC+2) to 1 April 2025 00:00 CEST
    assert (since, until) == (_at("2024-03-31T22:00"), _at("2025-03-31T22:00"))


def test_the_range_grows_and_shrinks_within_its_bounds_and_never_passes_now() -> None:
    q = DashboardQuery(by="day", periods=14)
    assert [q.longer().periods, q.shorter().periods] == [21, 9]
    assert DashboardQuery(by="day", periods=2).shorter().periods == 2
    assert DashboardQuery(by="month", periods=30).longer().periods == MAX_PERIODS["month"]
    assert q.later() == q and q.earlier().later() == q and q.earlier().earlier().current() == q
    assert q.next_by().next_by().next_by() == DashboardQuery(by="day", periods=14)


def test_kpi_texts_say_how_many_and_a_dash_for_nothing() -> None:
    assert share_text(3, 4) == "75% (3/4)"
    assert share_text(0, 0) == "—"
    assert mean_text(2.0, 1) == "2.0 (1)"
    assert mean_text(None, 0) == "—"
    assert [period_label("2025-03-10", by) for by in ("day", "week", "month")] == [
        "03-10",
        "W11",
        "Mar 25",
    ]


# -- the screen ---------------------------------------------------------------------------------


async def test_the_dashboard_shows_the_hand_counted_figures_and_trends(
    small: Desk, frozen: None
) -> None:
    async with running(small, "eve", size=(160, 48)) as s:
        screen = _screen(s)
        assert s.text("#kpi-query").startswith("12 weeks: 2024-12-23 – 2025-03-16 · all calls")
        assert s.text("#kpi-headline") == _line(
            "First time right 75% (3/4)",
            "Effort 2.0 (1)",
            "Satisfied 100% (1/1)",
            "Calls 5",
            "Open now 4",
        )
        nothing = [None] * 10
        assert _plot(s, "plot-ftr") == [*nothing, 100.0, pytest.approx(200 / 3)]
        assert _plot(s, "plot-volume") == [0.0] * 10 + [1.0, 4.0]
        assert _plot(s, "plot-ces") == [*nothing, 2.0, None]
        # C-5 is 23½ hours old; C-2, C-3 and C-4 between one and three days
        assert _plot(s, "plot-backlog") == [1.0, 3.0, 0.0, 0.0, 0.0]
        balance = screen.query_one(BalanceBars).render().plain
        reactive = next(line for line in balance.splitlines() if line.startswith("reactive"))
        assert "1h 00m logged" in balance
        assert "100%" in reactive and "50" in reactive and "+50" in reactive  # share, target, gap
        assert _rows(s, "kpi-self-service") == [
            ["1", "laptop", "My laptop is slow or keeps freezing. What can I do myself?"]
        ]
        assert "20% (1/5)" in str(screen.query(".kpi-panel-title").first().content)
        assert small.improvements.list() == []  # looking detected nothing


async def test_period_and_range_keys_change_the_trends_and_the_header(
    small: Desk, frozen: None
) -> None:
    async with running(small, "eve", size=(160, 48)) as s:
        await s.press("p")
        assert s.text("#kpi-query").startswith("12 months: 2024-04-01 – 2025-03-31")
        assert _plot(s, "plot-volume") == [0.0] * 11 + [5.0]
        await s.press("p")
        assert s.text("#kpi-query").startswith("14 days: 2025-03-01 – 2025-03-14")
        ftr = _plot(s, "plot-ftr")
        assert (ftr[3], ftr[10], ftr[11]) == (100.0, 100.0, 0.0)  # 4, 11 and 12 March
        await s.press("minus")
        assert s.text("#kpi-query").startswith("9 days: 2025-03-06 – 2025-03-14")
        await s.press("plus")
        assert s.text("#kpi-query").startswith("13 days: 2025-03-02 – 2025-03-14")
        await s.press("less_than_sign", "less_than_sign")
        assert s.text("#kpi-query").startswith("13 days, 2 back: 2025-02-28 – 2025-03-12")
        await s.press("greater_than_sign")
        assert s.text("#kpi-query").startswith("13 days, 1 back: 2025-03-01 – 2025-03-13")
        await s.press("t")
        assert s.text("#kpi-query").startswith("13 days: 2025-03-02 – 2025-03-14")
        assert _screen(s).dashboard is not None and _screen(s).dashboard.query.back == 0


async def test_a_filter_picked_by_typing_narrows_every_panel_and_x_drops_it(
    small: Desk, frozen: None
) -> None:
    async with running(small, "eve", size=(160, 48)) as s:
        await s.press("f")
        picker = s.app.screen
        assert isinstance(picker, KpiFilterPicker)
        await s.type("lap")  # the laptop service ranks before "Loan laptop or tablet"
        options = picker.query_one(OptionList)
        assert options.highlighted is not None
        assert options.get_option_at_index(options.highlighted).id == "service:laptop"
        await s.press("enter")
        assert "service Standard laptop" in s.text("#kpi-query")
        assert "First\u00a0time\u00a0right\u00a0100%\u00a0(3/3)" in s.text("#kpi-headline")
        assert "33% (1/3)" in str(_screen(s).query(".kpi-panel-title").first().content)
        balance = _screen(s).query_one(BalanceBars).render().plain
        assert "the whole team" in balance  # the service filter is not a filter of people's time
        await s.press("x")
        assert "· all calls ·" in s.text("#kpi-query")
        assert "Calls\u00a05" in s.text("#kpi-headline")


async def test_a_pilot_picked_shows_its_calls_and_its_comparison(small: Desk, frozen: None) -> None:
    """Kim and Sanne (C-1, C-2) pilot from 1 March: both resolved first time, Kim answered
    effort 2, satisfaction 5. The rest (C-3 to C-5): C-3 first time, C-4 escalated, no answers.
    Before 1 March (as long a window) no call at all."""
    with freeze_time(NOW):
        small.pilots.define(
            "early-birds", group="Early adopters", callers=["Kim", "sanne"],
            since=_at("2025-03-01T00:00"), until=_at("2025-04-01T00:00"), by="eve",
        )  # fmt: skip
    async with running(small, "eve", size=(160, 48)) as s:
        assert _pilot_title(s) == "Pilot vs the rest · f: pick a pilot to compare it with the rest"
        await s.press("f")
        await s.type("early")
        await s.press("enter")
        assert "· pilot early-birds ·" in s.text("#kpi-query")
        assert "Calls\u00a02" in s.text("#kpi-headline")  # the trends are the pilot's calls
        title = _pilot_title(s)
        assert title.startswith("Pilot early-birds · Early adopters · 2025-03-01 – 2025-03-14")
        assert _rows(s, "kpi-pilot") == [
            ["First time right", "100% (2/2)", "50% (1/2)", "—"],
            ["Satisfied", "100% (1/1)", "—", "—"],
            ["Effort", "2.0 (1)", "—", "—"],
            ["Calls", "2", "3", "0"],
        ]
        await s.press("x")
        assert "Calls\u00a05" in s.text("#kpi-headline")
        assert _pilot_title(s).endswith("f: pick a pilot to compare it with the rest")
        assert not _screen(s).query_one("#kpi-pilot").display


async def test_a_pilot_not_begun_says_so_in_its_panel(small: Desk, frozen: None) -> None:
    with freeze_time(NOW):
        small.pilots.define(
            "later", group="Sales", callers=["*"], since=_at("2025-04-01T00:00"),
            until=_at("2025-05-01T00:00"), by="eve",
        )  # fmt: skip
    async with running(small, "eve", size=(80, 24)) as s:
        await s.press("f")
        await s.type("later")
        await s.press("enter")
        assert "· pilot later ·" in s.text("#kpi-query")
        assert "begins 2025-04-01" in _pilot_title(s) and "nothing yet" in _pilot_title(s)


async def test_a_group_filter_shows_that_groups_time_and_calls(small: Desk, frozen: None) -> None:
    async with running(small, "eve", size=(160, 48)) as s:
        await s.press("f")
        await s.type("second")
        await s.press("enter")
        assert "group second-line-it" in s.text("#kpi-query")
        assert "Calls\u00a01" in s.text("#kpi-headline")  # C-4 is with second line
        balance = _screen(s).query_one(BalanceBars).render().plain
        assert "group second-line-it" in balance and "45m logged" in balance
        await s.press("f")
        await s.press("escape")  # keeps the filter
        assert "group second-line-it" in s.text("#kpi-query")
        await s.press("f")
        await s.type("email")
        await s.press("enter")
        assert "channel email" in s.text("#kpi-query")
        assert "Calls\u00a01" in s.text("#kpi-headline")


async def test_a_failed_load_is_one_line_and_the_next_key_recovers(
    small: Desk, frozen: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running(small, "eve", size=(80, 24)) as s:
        report = small.kpis.report

        def down(*args: object, **kwargs: object) -> None:
            raise DatabaseUnavailable("sqlite:///desk.db", "disk I/O error")

        monkeypatch.setattr(small.kpis, "report", down)
        await s.press("g")
        assert s.text("#kpi-status") == (
            "Could not compute the KPIs: cannot open the database sqlite:///desk.db: disk I/O error"
        )
        assert _screen(s).query_one("#kpi-status").display
        monkeypatch.setattr(small.kpis, "report", report)
        await s.press("g")
        assert not _screen(s).query_one("#kpi-status").display
        assert "as of" in s.text("#kpi-query")


async def test_every_dashboard_key_is_in_the_help_the_palette_and_the_keymap(
    small: Desk, frozen: None
) -> None:
    async with running(small, "eve", keymap={"kpi.period": "w"}, size=(80, 24)) as s:
        screen = _screen(s)
        ids = {b.id for b in KpiScreen.BINDINGS if hasattr(b, "id")}
        assert ids >= {"kpi.refresh", "kpi.period", "kpi.filter", "kpi.all", "kpi.earlier"}
        helped = {line.name for line in keys_of(screen) if line.group == "this screen"}
        named = {b.description for b in KpiScreen.BINDINGS if hasattr(b, "description")}
        assert named <= helped
        assert next(line.keys for line in keys_of(screen) if line.name == "Period") == "w"
        listed = [name for name, _, _ in DeskCommands(screen)._commands()]
        assert {"kpi: period", "kpi: filter", "kpi: by month"} <= set(listed)
        await s.press("w")  # the remapped key
        assert s.text("#kpi-query").startswith("12 months")
        await s.press("question_mark")
        assert isinstance(s.app.screen, HelpScreen)
        await s.press("escape")
        run = dict((n, r) for n, _, r in DeskCommands(screen)._commands())["kpi: by day"]
        await run()
        await s.settle()
        assert s.text("#kpi-query").startswith("14 days")


@pytest.mark.parametrize("size", [(80, 24), (130, 22)])
async def test_the_panels_stack_and_scroll_on_small_terminals(
    small: Desk, frozen: None, size: tuple[int, int]
) -> None:
    async with running(small, "eve", size=size) as s:
        screen = _screen(s)
        body = screen.query_one("#kpi-body")
        assert body.has_focus and body.max_scroll_y > 0
        for widget in screen.query("#kpi-plots > *, .kpi-panel"):
            assert widget.region.width <= size[0] - 2  # nothing wider than the screen
        drawn = str(screen.query_one("#plot-backlog", TrendPlot).render())
        for band in ("<1d", "1–3d", "3–7d", "7–30d", "30d+"):  # every age band is labelled
            assert band in drawn, (band, drawn)
        await s.press("end")
        # `end` scrolls with an animation: on a loaded machine it is still running when the
        # workers have settled (the flake); wait for it to finish, not for a time
        await s.pilot.wait_for_scheduled_animations()
        assert body.scroll_y == body.max_scroll_y
        assert screen.query_one("#kpi-disruptions").region.bottom <= size[1] - 1


async def test_the_dashboard_never_queries_on_the_event_loop(small: Desk, frozen: None) -> None:
    with statements_on_the_loop(small) as on_loop:
        async with running(small, "eve", size=(130, 22)) as s:
            await s.press("p", "plus", "less_than_sign", "g", "f")
            await s.type("laptop")
            await s.press("enter", "x")
            assert isinstance(s.app.screen, KpiScreen)
    assert on_loop == []


async def test_recurring_disruptions_are_those_the_detector_proposed(
    small: Desk, frozen: None
) -> None:
    with freeze_time(_at("2025-03-14T08:00")):
        for n in range(3):  # with C-4 and C-5, five printing calls within seven days
            small.calls.register(
                caller=f"Caller {n}", channel="phone", summary="jams", service="printing",
                by="anna",
            )  # fmt: skip
    async with running(small, "eve", size=(160, 48)) as s:
        assert _rows(s, "kpi-disruptions")[0][2] == "none proposed"
    assert small.improvements.list() == []
    with freeze_time(NOW):
        found = small.improvements.detect_recurring_disruptions(by="eve")
    assert [f.service_id for f in found] == ["printing"]
    async with running(small, "eve", size=(160, 48)) as s:
        assert _rows(s, "kpi-disruptions") == [
            [str(found[0].id), "identified", "printing", "5", "2025-03-12 – 2025-03-14"]
        ]


async def test_a_dialog_over_the_dashboard_does_not_compute_it_again(
    small: Desk, frozen: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    reports: list[object] = []
    report = small.kpis.report

    def counted(*args: Any, **kwargs: Any) -> KpiReport:
        reports.append(kwargs.get("filters"))
        return report(*args, **kwargs)

    monkeypatch.setattr(small.kpis, "report", counted)
    async with running(small, "eve", size=(130, 22)) as s:
        assert len(reports) == 1
        await s.press("question_mark")
        await s.press("escape")
        await s.press("f")
        await s.press("escape")
        assert len(reports) == 1  # the keys and a picker closed unchanged: the figures stand
        await s.press("f")
        await s.type("chat")
        await s.press("enter")
        assert reports[1:] == [KpiFilter(channel="chat")]  # a filter picked: once
        await s.press("1")
        await s.press("7")
        assert len(reports) == 3  # back from another area: computed again


async def test_a_pilot_defined_while_the_dashboard_is_open_comes_with_a_refresh(
    small: Desk, frozen: None
) -> None:
    """``g`` reads the filter choices again: a pilot defined meanwhile (another terminal, the
    CLI) is offered in the pilot panel and the filter picker without a restart."""
    async with running(small, "eve", size=(160, 48)) as s:
        assert "no pilots" in _pilot_title(s)
        with freeze_time(NOW):
            small.pilots.define(
                "early-birds", group="Early adopters", callers=["Kim", "sanne"],
                since=_at("2025-03-01T00:00"), until=_at("2025-04-01T00:00"), by="eve",
            )  # fmt: skip
        await s.press("g")
        assert _pilot_title(s) == "Pilot vs the rest · f: pick a pilot to compare it with the rest"
        await s.press("f")
        await s.type("early")
        await s.press("enter")
        assert "· pilot early-birds ·" in s.text("#kpi-query")
