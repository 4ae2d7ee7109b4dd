"""The desk's start path: what opening a desk and the TUI's first queue page import and check.

Import checks run in a fresh interpreter (``sys.modules`` of this test process is shared with
every other test). No wall-clock limits: ``benchmarks/bench_queue.py`` times the start-up.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError as PydanticError

from bpsm import Desk
from bpsm.catalogue.policies import STORED, HolidayCalendar
from bpsm_tui.start import desk_options
from tests.conftest import ROOT


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


@pytest.mark.parametrize("package", ["bpsm", "bpsm.catalogue"])
def test_every_public_name_is_the_object_of_its_module(package: str) -> None:
    module = importlib.import_module(package)
    table = module._MODULES
    assert set(module.__all__) - set(table) <= {"Suggestion"}  # the one alias, tested below
    for name, home in table.items():
        assert getattr(module, name) is getattr(importlib.import_module(home), name), name
        assert name in module.__all__ and name in dir(module)
    with pytest.raises(AttributeError, match="has no attribute 'Nothing'"):
        module.Nothing  # noqa: B018


def test_bpsm_public_names_come_from_where_they_are_defined() -> None:
    import bpsm
    from bpsm.desk import Desk
    from bpsm.processes.relations.views import RelationCaseView

    assert bpsm.Desk is Desk
    assert bpsm.Suggestion is RelationCaseView.Suggestion
    star: dict[str, object] = {}
    exec("from bpsm import *", star)
    assert set(bpsm.__all__) <= set(star)


def _fresh(code: str) -> list[str]:
    """The modules a fresh interpreter holds after running ``code`` (which prints nothing)."""
    done = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys; print('\\n'.join(sys.modules))"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        cwd=ROOT,
    )
    return done.stdout.split()


def test_importing_the_library_loads_nothing_until_a_name_is_used() -> None:
    loaded = _fresh("import bpsm")
    assert not {"sqlalchemy", "pydantic", "bpsm.desk"} & set(loaded)
    loaded = _fresh("from bpsm import BpsmError")
    assert not {"sqlalchemy", "bpsm.desk"} & set(loaded)


#: what the desk's first queue page does not need: the full command line, migrations, the public
#: holidays (the KPIs and the overdue filter load them later, in workers)
NOT_ON_THE_START_PATH = {"typer", "alembic", "holidays"}


def test_bpsm_desk_starts_without_the_command_line_migrations_or_holidays(
    desk: Desk, db_url: str
) -> None:
    # a desk seeded before, as every start after the first; the whole start path up to the
    # person check: refused (exit 2) before the screen opens
    code = (
        "from bpsm_tui.cli import main\n"
        "import bpsm_tui.app, bpsm_tui.screens.queue\n"
        "try:\n"
        f"    main(['desk', '--db', {db_url!r}, '--as', 'mallory'])\n"
        "except SystemExit as done:\n"
        "    assert done.code == 2, done.code\n"
        "else:\n"
        "    raise AssertionError('not refused')"
    )
    loaded = set(_fresh(code))
    assert "bpsm.desk" in loaded and "textual.app" in loaded  # it did get that far
    assert not NOT_ON_THE_START_PATH & loaded


@pytest.mark.parametrize(
    ("args", "options"),
    [
        ([], (None, None, None, True)),
        (["--as", "anna"], (None, None, "anna", True)),
        (["--db=sqlite:///x.db", "-c", "cat", "--no-demo"], ("sqlite:///x.db", "cat", None, False)),
        (["--catalogue=cat", "--as", "kim", "--as", "anna", "--demo"], (None, "cat", "anna", True)),
        (
            ["--as", "--db"],
            (None, None, "--db", True),
        ),  # a value, as the full command line takes it
    ],
)
def test_plain_desk_options_are_read_at_once(
    args: list[str], options: tuple[str | None, str | None, str | None, bool]
) -> None:
    db, catalogue, as_, demo = options
    assert desk_options(args) == {
        "db": db,
        "catalogue": None if catalogue is None else Path(catalogue),
        "as_": as_,
        "demo": demo,
    }


@pytest.mark.parametrize(
    "args",
    [["--help"], ["--as"], ["--bogus"], ["-cdir"], ["-c=dir"], ["--demo=yes"], ["x"], ["--"]],
)
def test_anything_else_is_for_the_full_command_line(args: list[str]) -> None:
    assert desk_options(args) is None
