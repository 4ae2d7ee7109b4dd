"""Business hours: the desk's opening hours less public holidays and its own closing days.

Hand-computed cases on the example desk (Europe/Amsterdam; Monday–Thursday 08:00–17:30, Friday
08:00–16:00; the Netherlands' holidays; 24 and 31 December closed), across a weekend, a public
holiday, the desk's own closing days and a change to summer time; then properties that hold for
any calendar: business time is additive over splits and zero on closed days.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError as PydanticError

from bpsm import BusinessCalendar, Catalogue, DeskConfig

AMS = ZoneInfo("Europe/Amsterdam")


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=AMS)


@pytest.fixture(scope="module")
def cal(catalogue: Catalogue) -> BusinessCalendar:
    return BusinessCalendar.of(catalogue.desk)


@pytest.mark.parametrize(
    ("start", "end", "minutes"),
    [
        # Friday 15:00 → Tuesday 10:00: Friday to 16:00 (60), King's Day Monday closed, Tuesday
        # from 08:00 (120)
        (local(2026, 4, 24, 15), local(2026, 4, 28, 10), 60 + 120),
        # Wednesday 17:00 → Monday 09:00: 30 on Wednesday; 24 Dec (the desk's own), Christmas,
        # the weekend closed; 60 on Monday
        (local(2026, 12, 23, 17), local(2026, 12, 28, 9), 30 + 60),
        # a weekend spanning the change to summer time (29 March): 60 + 60, not 60 + 120
        (local(2026, 3, 27, 15), local(2026, 3, 30, 9), 60 + 60),
        # inside one day, and before opening
        (local(2026, 4, 21, 9, 15), local(2026, 4, 21, 11, 45), 150),
        (local(2026, 4, 21, 6), local(2026, 4, 21, 7, 59), 0),
        # a whole ordinary week: 4 × 9.5 h + 8 h
        (local(2026, 6, 1), local(2026, 6, 8), 4 * 570 + 480),
        # backwards or empty
        (local(2026, 4, 21, 11), local(2026, 4, 21, 9), 0),
    ],
)
def test_business_minutes_on_the_example_desk(
    cal: BusinessCalendar, start: datetime, end: datetime, minutes: int
) -> None:
    assert cal.minutes(start, end) == minutes


@pytest.mark.parametrize(
    ("start", "lead", "due"),
    [
        # one open day from Friday 15:00: Monday is King's Day, so Tuesday 15:00
        (local(2026, 4, 24, 15), timedelta(days=1), local(2026, 4, 28, 15)),
        # two business hours from Friday 15:00: one on Friday, one from Tuesday's opening
        (local(2026, 4, 24, 15), timedelta(hours=2), local(2026, 4, 28, 9)),
        # registered on Saturday: the clock starts on Tuesday 08:00 (Monday a holiday)
        (local(2026, 4, 25, 10), timedelta(days=1), local(2026, 4, 29, 8)),
        # Thursday 17:00 + one day: Friday closes at 16:00, so by Friday's closing
        (local(2026, 4, 23, 17), timedelta(days=1), local(2026, 4, 24, 16)),
        # five days from Monday 10:00: next Monday 10:00
        (local(2026, 6, 1, 10), timedelta(days=5), local(2026, 6, 8, 10)),
        # a day and a half hour across Christmas and the desk's own closing days
        (local(2026, 12, 23, 17), timedelta(days=1, minutes=30), local(2026, 12, 28, 17, 30)),
    ],
)
def test_a_lead_time_counts_open_days_and_business_hours(
    cal: BusinessCalendar, start: datetime, lead: timedelta, due: datetime
) -> None:
    assert cal.due(start, lead) == due


def test_a_subdivision_has_its_own_holidays() -> None:
    hours = {d: (time(9), time(17)) for d in ("monday", "tuesday", "wednesday", "thursday")}
    epiphany = date(2026, 1, 6)  # a Tuesday: a holiday in Bavaria, not in Berlin
    bavaria = BusinessCalendar("Europe/Berlin", hours, country="DE", subdivision="BY")
    berlin = BusinessCalendar("Europe/Berlin", hours, country="DE", subdivision="BE")
    assert bavaria.is_holiday(epiphany) and not berlin.is_holiday(epiphany)
    assert bavaria.opening(epiphany) is None
    assert berlin.opening(epiphany) == (
        datetime(2026, 1, 6, 8, tzinfo=UTC),
        datetime(2026, 1, 6, 16, tzinfo=UTC),
    )


def test_a_calendar_without_open_days_says_so() -> None:
    closed = BusinessCalendar("UTC", {})
    at = datetime(2026, 1, 1, tzinfo=UTC)
    assert closed.between(at, at + timedelta(days=30)) == timedelta()
    with pytest.raises(ValueError, match="no open time"):
        closed.due(at, timedelta(days=1))


# -- properties ------------------------------------------------------------------------------------

_ZONES = st.sampled_from(["UTC", "Europe/Amsterdam", "America/New_York", "Asia/Kolkata"])
_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@st.composite
def calendars(draw: st.DrawFn) -> BusinessCalendar:
    """Any calendar: random hours (an hour or more) per weekday, some closed; a zone, holidays."""
    hours: dict[str, tuple[time, time] | None] = {}
    for day in _DAYS:
        if draw(st.booleans()):
            opens = draw(st.integers(0, 22 * 60))
            closes = draw(st.integers(opens + 60, 24 * 60 - 1))
            hours[day] = (time(*divmod(opens, 60)), time(*divmod(closes, 60)))
    extra = draw(st.frozensets(st.dates(date(2026, 1, 1), date(2026, 12, 31)), max_size=5))
    country = draw(st.sampled_from([None, "NL", "GB"]))
    return BusinessCalendar(draw(_ZONES), hours, country=country, extra=extra)


_MOMENTS = st.datetimes(datetime(2026, 1, 1), datetime(2026, 12, 31), timezones=st.just(UTC)).map(
    lambda d: d.replace(microsecond=0)
)


@given(calendars(), st.lists(_MOMENTS, min_size=3, max_size=3))
def test_business_time_is_additive_over_a_split(cal: BusinessCalendar, moments: list) -> None:
    a, b, c = sorted(moments)
    whole = cal.between(a, c)
    assert cal.between(a, b) + cal.between(b, c) == whole
    assert timedelta() <= whole <= c - a


@given(calendars(), st.dates(date(2026, 1, 1), date(2026, 12, 30)), st.integers(0, 1440))
def test_business_time_is_zero_on_a_closed_day(
    cal: BusinessCalendar, day: date, minutes: int
) -> None:
    start = datetime.combine(day, time(), cal.zone)
    end = datetime.combine(day + timedelta(days=1), time(), cal.zone)
    inside = start + (end - start) * (minutes / 1440)
    if cal.is_open_day(day):
        hours = cal.opening(day)
        assert hours is not None and cal.between(start, end) == hours[1] - hours[0]
    else:
        assert cal.between(start, end) == timedelta()
        assert cal.between(start, inside) == cal.between(inside, end) == timedelta()


@given(calendars(), _MOMENTS, st.integers(1, 5 * 24 * 60))
def test_adding_business_time_is_undone_by_measuring_it(
    cal: BusinessCalendar, start: datetime, minutes: int
) -> None:
    if not any(cal.is_open_day(start.date() + timedelta(days=i)) for i in range(30)):
        return  # no open weekday at all: nothing can be added (test_..._without_open_days)
    span = timedelta(minutes=minutes)
    end = cal.add(start, span)
    assert cal.between(start, end) == span


def test_holidays_from_the_library_close_the_desk(cal: BusinessCalendar) -> None:
    import holidays

    for day in holidays.country_holidays("NL", years=2026):
        assert cal.opening(day) is None, day


# -- desk.yaml -------------------------------------------------------------------------------------


def _config(catalogue: Catalogue, **changes: object) -> DeskConfig:
    return DeskConfig.model_validate(catalogue.desk.model_dump(mode="json") | changes)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"holidays": {"country": "XX"}}, "'XX' is not a country the holidays library knows"),
        ({"holidays": {"subdivision": "BY"}}, "subdivision: give the country it belongs to"),
        ({"holidays": {"country": "DE", "subdivision": "ZZ"}}, "'ZZ' is not one of DE's"),
        ({"holidays": {"extra": ["24 December"]}}, "valid date"),
        ({"effort": {"target": {"reactive": 60, "change": 30}}}, "sum to 100 percent (they sum"),
        ({"effort": {"target": {"reactive": 120, "change": -20}}}, "must be 0–100 percent"),
        ({"effort": {"target": {"sales": 100}}}, "sales"),
        ({"effort": {"max_minutes": 0}}, "greater than or equal to 1"),
    ],
)
def test_desk_yaml_refuses_bad_calendar_and_effort_settings(
    catalogue: Catalogue, changes: dict, message: str
) -> None:
    with pytest.raises(PydanticError, match=message.replace("(", r"\(")):
        _config(catalogue, **changes)


def test_a_target_may_leave_kinds_of_work_out(catalogue: Catalogue) -> None:
    config = _config(catalogue, effort={"target": {"reactive": 70, "maintenance": 30}})
    assert config.effort.target == {
        "reactive": 70,
        "relation": 0,
        "change": 0,
        "maintenance": 30,
        "improvement": 0,
    }
    assert _config(catalogue, holidays={"country": "nl"}).holidays.country == "NL"
