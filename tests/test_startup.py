"""The desk's start path: what opening a desk and the TUI's first queue page import and check.

Import checks run in a fresh interpreter (``sys.modules`` of this test process is shared with
every other test). No wall-clock limits: ``benchmarks/bench_queue.py`` times the start-up.
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError as PydanticError

from bpsm.catalogue.policies import STORED, HolidayCalendar


def test_a_calendar_from_a_file_is_checked_against_the_holidays_library() -> None:
    with pytest.raises(PydanticError, match="'XX' is not a country the holidays library knows"):
        HolidayCalendar.model_validate({"country": "XX"})
    with pytest.raises(PydanticError, match="'ZZ' is not one of DE's"):
        HolidayCalendar.model_validate({"country": "de", "subdivision": "ZZ"})


def test_a_calendar_read_back_from_the_database_is_not_looked_up_again() -> None:
    # published settings were checked in full when they were published
    stored = HolidayCalendar.model_validate(
        {"country": "nl", "subdivision": "ZZ", "extra": ["2026-12-24"]}, context=STORED
    )
    assert (stored.country, stored.subdivision, [str(d) for d in stored.extra]) == (
        "NL",
        "ZZ",
        ["2026-12-24"],
    )
    # everything else is still checked
    with pytest.raises(PydanticError, match="subdivision: give the country it belongs to"):
        HolidayCalendar.model_validate({"subdivision": "BY"}, context=STORED)
    with pytest.raises(PydanticError, match="extra"):
        HolidayCalendar.model_validate({"country": "NL", "extra": ["soon"]}, context=STORED)
