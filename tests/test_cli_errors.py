"""Every ``bpsm`` command ends a bad database URL with one clear line: no traceback, no password.

The commands are enumerated from the typer app itself, so a new command is covered the day it is
added. Each gets a password-bearing URL that is unreachable, names an unknown driver, or is not a
URL at all, both as ``--db`` and as ``BPSM_DATABASE_URL``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest
import typer
import typer.main
from typer.testing import CliRunner

from bpsm.cli import INTERNAL_ERROR, main
from bpsm_tui.cli import app
from tests.conftest import CATALOGUE

SECRET = "S3cret"
BAD_URLS = {
    "unreachable": f"postgresql+psycopg://desk:{SECRET}@db.invalid/bpsm",
    "refused": f"postgresql+psycopg://desk:{SECRET}@127.0.0.1:1/bpsm",
    "unknown driver": f"postgres+nodriver://desk:{SECRET}@x/y",
    "not a url": f"not a url desk:{SECRET}@x",
    "unsupported": f"mysql+pymysql://desk:{SECRET}@x/y",
}
#: commands that never open a database (they ignore BPSM_DATABASE_URL and take no --db)
NO_DATABASE = {("catalogue", "validate"), ("docs", "processes")}


def _commands(command, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], object]]:
    subcommands = getattr(command, "commands", None)
    if subcommands is None:
        yield path, command
        return
    for name, sub in sorted(subcommands.items()):
        yield from _commands(sub, (*path, name))


COMMANDS = dict(_commands(typer.main.get_command(app)))


def _takes(command, option: str) -> bool:
    return any(option in getattr(p, "opts", ()) for p in command.params)


def _args(path: tuple[str, ...], url: str | None) -> list[str]:
    command = COMMANDS[path]
    args = list(path)
    if url is not None:
        args += ["--db", url]
    if _takes(command, "--catalogue"):
        args += ["-c", str(CATALOGUE)]
    for p in command.params:  # a required argument or option gets a placeholder
        if p.required:
            args += ["x"] if not getattr(p, "opts", [""])[0].startswith("-") else [p.opts[0], "x"]
    return args


def _one_clean_line(result, url: str) -> None:
    lines = result.stderr.splitlines()
    assert result.exit_code not in (0, INTERNAL_ERROR), result.output
    assert len(lines) == 1, result.stderr
    assert SECRET not in result.output and "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_the_enumeration_sees_every_command() -> None:
    assert {("desk",), ("kpi",), ("db", "upgrade"), ("demo", "seed"), ("proactive",)} <= set(
        COMMANDS
    )
    for path, command in COMMANDS.items():
        assert _takes(command, "--db") or path in NO_DATABASE, f"{path} opens no database?"


@pytest.mark.parametrize("kind", sorted(BAD_URLS))
@pytest.mark.parametrize("path", sorted(p for p in COMMANDS if p not in NO_DATABASE))
def test_every_command_ends_a_bad_database_url_in_one_line_without_the_password(
    path: tuple[str, ...], kind: str
) -> None:
    url = BAD_URLS[kind]
    result = CliRunner().invoke(app, _args(path, url), env={"BPSM_DATABASE_URL": None})
    _one_clean_line(result, url)


@pytest.mark.parametrize("path", sorted(COMMANDS))
def test_every_command_keeps_a_password_in_the_environment_out_of_sight(
    path: tuple[str, ...],
) -> None:
    result = CliRunner().invoke(
        app, _args(path, None), env={"BPSM_DATABASE_URL": BAD_URLS["unreachable"]}
    )
    assert SECRET not in result.output and "Traceback" not in result.output
    if path in NO_DATABASE:
        assert result.exit_code == 0, result.output
    else:
        _one_clean_line(result, BAD_URLS["unreachable"])


def test_without_the_postgres_driver_the_message_names_the_extra_not_the_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if bpsm-desk[postgres] were missing
    url = f"postgresql+psycopg://desk:{SECRET}@127.0.0.1:5999/bpsm"
    for path in sorted(p for p in COMMANDS if p not in NO_DATABASE):
        result = CliRunner().invoke(app, _args(path, url))
        _one_clean_line(result, url)
        assert "bpsm-desk[postgres]" in result.stderr and "not installed" in result.stderr


def test_db_upgrade_on_an_unreachable_server_is_one_line_not_a_traceback() -> None:
    result = CliRunner().invoke(app, ["db", "upgrade", "--db", BAD_URLS["unreachable"]])
    _one_clean_line(result, BAD_URLS["unreachable"])
    assert result.stderr.startswith(
        "error: cannot open the database postgresql+psycopg://desk:***@db.invalid/bpsm: "
    )


def _explode(*_args: object, **_kw: object) -> None:
    raise RuntimeError(f"boom at postgresql://desk:{SECRET}@db/x\nsecond line")


@pytest.fixture
def broken_kpi(monkeypatch: pytest.MonkeyPatch) -> None:
    import bpsm.cli

    monkeypatch.setattr(bpsm.cli, "open_desk", _explode)


def test_an_unexpected_error_is_one_masked_line_asking_for_a_report(broken_kpi: None) -> None:
    result = CliRunner().invoke(app, ["kpi"], env={"BPSM_DEBUG": None})
    assert result.exit_code == INTERNAL_ERROR
    assert result.stderr.splitlines() == [
        "internal error: RuntimeError: boom at postgresql://desk:***@db/x second line; "
        "please report it (BPSM_DEBUG=1 shows the traceback)"
    ]


def test_bpsm_debug_shows_the_traceback_of_an_unexpected_error(broken_kpi: None) -> None:
    result = CliRunner().invoke(app, ["kpi"], env={"BPSM_DEBUG": "1"})
    assert result.exit_code == INTERNAL_ERROR
    assert "Traceback" in result.stderr and "_explode" in result.stderr


def test_the_console_script_exits_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["bpsm", "kpi", "--db", BAD_URLS["unknown driver"]])
    with pytest.raises(SystemExit) as done:
        main()
    assert done.value.code == 1
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and SECRET not in err and "unknown database type" in err
