"""RRULEs: refused when the catalogue loads, and bounded when they are evaluated, whatever the rule.

The issue's rules first (``INTERVAL=0`` hung generation, ``BYDAY=+99MO`` raised ``IndexError``,
``BYMONTH=13`` and ``COUNT=-1`` loaded and silently produced nothing), then a fuzz of rules built
from every RRULE part: each is either refused with a ``ValueError`` or evaluates within bounds.
"""

from __future__ import annotations

import copy
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from freezegun import freeze_time
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from typer.testing import CliRunner

from bpsm import ValidationError, load_catalogue
from bpsm.catalogue.rules import check_rule
from bpsm.processes.maintenance import recurrence
from bpsm.processes.maintenance.recurrence import Recurrence, RecurrenceOverflow
from bpsm.store.tables.core import ServiceVersionRow
from bpsm.store.tables.proactive import TaskRow
from bpsm_tui.cli import app
from tests import test_maintenance_schedule as schedule
from tests.conftest import CATALOGUE
from tests.test_maintenance_schedule import AMS, local, one, plan_of

desk_with = schedule.desk_with  # the fixture: a desk on a variant of the example catalogue

ISSUE_RULES = [
    ("FREQ=DAILY;INTERVAL=0", "INTERVAL=0 must be a whole number from 1 to"),
    ("FREQ=MONTHLY;BYDAY=+99MO", "BYDAY=+99MO: the number must be 1..5 or -5..-1"),
    ("BYDAY=+99MO", "FREQ is missing"),
    ("FREQ=YEARLY;BYMONTH=13", "BYMONTH=13 is out of range (1..12)"),
    ("FREQ=DAILY;COUNT=-1", "COUNT=-1 must be a whole number of at least 1"),
]
MORE_RULES = [
    ("FREQ=DAILY;COUNT=0", "COUNT=0 must be a whole number of at least 1"),
    ("FREQ=WEEKLY;INTERVAL=-2", "INTERVAL=-2 must be a whole number"),
    ("FREQ=YEARLY;INTERVAL=101", "INTERVAL=101 must be a whole number from 1 to 100"),
    ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "no occurrence within 10 years"),
    ("FREQ=DAILY;BYMONTH=4;BYMONTHDAY=31", "no occurrence within 10 years"),
    ("FREQ=MONTHLY;BYDAY=MO;BYSETPOS=6", "no occurrence within 10 years"),
    ("FREQ=MONTHLY;BYMONTHDAY=0", "BYMONTHDAY=0 is out of range"),
    ("FREQ=YEARLY;BYYEARDAY=367", "BYYEARDAY=367 is out of range"),
    ("FREQ=YEARLY;BYWEEKNO=54", "BYWEEKNO=54 is out of range"),
    ("FREQ=DAILY;BYHOUR=24", "BYHOUR=24 is out of range"),
    ("FREQ=YEARLY;BYDAY=54MO", "BYDAY=54MO: the number must be 1..53"),
    ("FREQ=WEEKLY;BYDAY=2TU", "a numbered weekday needs FREQ=MONTHLY or YEARLY"),
    ("FREQ=MONTHLY;BYWEEKNO=3", "BYWEEKNO cannot be used with FREQ=MONTHLY"),
    ("FREQ=DAILY;COUNT=3;UNTIL=20300101", "COUNT and UNTIL cannot both be given"),
    ("FREQ=DAILY;FREQ=WEEKLY", "FREQ is given twice"),
    ("FREQ=FORTNIGHTLY", "FREQ=FORTNIGHTLY is not one of YEARLY"),
    ("FREQ=DAILY;EVERY=2", "EVERY is not an RRULE part"),
    ("FREQ=DAILY;;INTERVAL=2", "'' is not a NAME=VALUE part"),
    ("FREQ=DAILY;UNTIL=tomorrow", "is not a valid RRULE"),
    ("FREQ=HOURLY;INTERVAL=2;BYHOUR=3", "is not a valid RRULE"),
]


LAPTOP_RULE = "rule: FREQ=YEARLY;INTERVAL=4\n"
LAPTOP_RULE_LINE = (CATALOGUE / "services" / "laptop.yaml").read_text().split(LAPTOP_RULE)[0]


def laptop_rule_refused(tmp_path: Path, rule: str) -> list:
    root = tmp_path / "c"
    shutil.copytree(CATALOGUE, root)
    laptop = root / "services" / "laptop.yaml"
    laptop.write_text(laptop.read_text().replace(LAPTOP_RULE, f"rule: '{rule}'\n", 1))
    with pytest.raises(ValidationError) as err:
        load_catalogue(root)
    return err.value.problems


@pytest.mark.parametrize(("rule", "says"), ISSUE_RULES + MORE_RULES)
def test_an_unusable_rule_is_refused_at_load_naming_file_line_field_and_why(
    tmp_path: Path, rule: str, says: str
) -> None:
    [problem] = laptop_rule_refused(tmp_path, rule)
    assert problem.file.endswith("laptop.yaml") and problem.line == LAPTOP_RULE_LINE.count("\n") + 1
    assert problem.field == "maintenance.0.rule"
    assert says in problem.message and repr(rule) in problem.message
    assert "\n" not in problem.message and "Traceback" not in problem.message


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=YEARLY;INTERVAL=4",
        "FREQ=MONTHLY;BYDAY=1MO",
        "FREQ=MONTHLY;BYDAY=-1FR",
        "freq=monthly;byday=2mo",
        "RRULE:FREQ=WEEKLY;BYDAY=MO,TH",
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29",  # a leap day: within ten years, always
        "FREQ=YEARLY;BYWEEKNO=53;BYDAY=MO",
        "FREQ=DAILY;UNTIL=20200101",  # ended: valid, it just has no more occurrences
        "FREQ=DAILY;UNTIL=20260604T050000Z",
        "FREQ=YEARLY;INTERVAL=100",
        "FREQ=MINUTELY",  # loads; generation refuses a horizon with too many of them
    ],
)
def test_usable_rules_load_unchanged(rule: str) -> None:
    assert check_rule(rule) == rule


def test_an_occurrence_past_the_rule_is_never_an_index_error() -> None:
    with pytest.raises(ValueError, match=r"BYDAY=\+99MO"):
        Recurrence("FREQ=MONTHLY;BYDAY=+99MO", local(2026, 1, 5), AMS)


PARTS = st.fixed_dictionaries(
    {"FREQ": st.sampled_from(["YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY", "XX"])},
    optional={
        "INTERVAL": st.integers(-2, 40).map(str),
        "COUNT": st.integers(-1, 5).map(str),
        "BYMONTH": st.integers(0, 14).map(str),
        "BYMONTHDAY": st.sampled_from(["0", "1", "15", "29", "30", "31", "-1", "32", "-32"]),
        "BYDAY": st.sampled_from(["MO", "1MO", "-1FR", "5TU", "+99MO", "0MO", "XX", "53SU"]),
        "BYYEARDAY": st.sampled_from(["1", "60", "366", "-1", "367", "0"]),
        "BYWEEKNO": st.sampled_from(["1", "53", "-1", "54"]),
        "BYHOUR": st.sampled_from(["0", "8", "23", "24"]),
        "BYSETPOS": st.sampled_from(["1", "-1", "4", "0", "367"]),
        "UNTIL": st.sampled_from(["20270101", "20200101T000000Z", "soon"]),
        "WKST": st.sampled_from(["MO", "SU", "XX"]),
    },
)


@settings(max_examples=80, deadline=None)
@given(PARTS)
def test_any_rule_is_refused_in_one_line_or_evaluates_within_bounds(parts: dict) -> None:
    rule = ";".join(f"{k}={v}" for k, v in parts.items())
    try:
        check_rule(rule)
    except ValueError as exc:
        assert str(exc).startswith(repr(rule)) and "\n" not in str(exc)
        return
    anchor = local(2026, 1, 31)
    try:
        found = Recurrence(rule, anchor, AMS).between(anchor, local(2028, 1, 31))
    except RecurrenceOverflow:
        return
    assert all(anchor < occ <= local(2028, 1, 31) for occ in found)
    assert found == sorted(set(found))


def test_a_published_rule_that_would_hang_is_refused_when_generating_and_nothing_changes(
    desk_with,
) -> None:
    """A catalogue published before rules were checked: ``INTERVAL=0`` used to loop forever."""
    with freeze_time(local(2026, 1, 5, 9)):
        d = desk_with(one("FREQ=DAILY"))
        d.maintenance.generate(timedelta(days=3), by="admin")
        with d.transaction() as s:
            version = s.scalars(
                select(ServiceVersionRow).where(ServiceVersionRow.service_id == "laptop")
            ).one()
            definition = copy.deepcopy(version.definition)
            definition["maintenance"][0]["rule"] = "FREQ=DAILY;INTERVAL=0"
            version.definition = definition
            tasks = s.scalar(select(func.count()).select_from(TaskRow))
        with pytest.raises(ValidationError) as err:
            d.maintenance.generate(timedelta(days=30), by="admin")
    problem = err.value.problems[0]
    assert problem.field == "laptop.maintenance.job.rule"
    assert "INTERVAL=0 must be a whole number" in problem.message
    assert plan_of(d, "job").rule == "FREQ=DAILY"
    with d.transaction() as s:
        assert s.scalar(select(func.count()).select_from(TaskRow)) == tasks == 3


def test_evaluation_passes_over_a_bounded_number_of_occurrences(
    desk_with, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(recurrence, "MAX_STEPS", 50)
    with pytest.raises(RecurrenceOverflow, match="more than 50 occurrences passed over"):
        Recurrence("FREQ=DAILY", local(2026, 1, 1), AMS).after(local(2026, 6, 1))
    with freeze_time(local(2026, 1, 5, 9)):
        d = desk_with(one("FREQ=HOURLY"))
        with pytest.raises(ValidationError) as err:
            d.maintenance.generate(timedelta(days=30), by="admin")
    assert err.value.problems[0].field == "rule"
    assert "more than 50 occurrences passed over" in str(err.value)


def test_bpsm_proactive_refuses_a_catalogue_with_interval_0_in_one_line(
    tmp_path: Path, db_url: str
) -> None:
    """It used to hang: the rule loaded, then generation never advanced."""
    root = tmp_path / "c"
    shutil.copytree(CATALOGUE, root)
    laptop = root / "services" / "laptop.yaml"
    laptop.write_text(laptop.read_text().replace(LAPTOP_RULE, "rule: FREQ=DAILY;INTERVAL=0\n", 1))
    result = CliRunner().invoke(app, ["proactive", "--db", db_url, "-c", str(root)])
    assert result.exit_code == 1
    assert "laptop.yaml" in result.output and "maintenance.0.rule" in result.output
    assert "INTERVAL=0 must be a whole number" in result.output
    assert "Traceback" not in result.output
