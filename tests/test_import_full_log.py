"""The full real ServiceNow log through ``bpsm import servicenow`` and ``bpsm kpi --format json``:
the README's facts exactly in counter mode (24,918 calls; 13,487 first time right, 54.1%; 275
reopened), and the sequence-derived reading of the same history (docs/import.md says why it
differs). Slow (two imports of 141,712 rows); the README's test command runs it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bpsm.cli import app
from bpsm.importing import shipped
from tests.conftest import CATALOGUE
from tests.real_log import LOG

pytestmark = pytest.mark.slow


def _kpis(db_url: str) -> dict[str, Any]:
    got = CliRunner().invoke(
        app,
        ["kpi", "--db", db_url, "-c", str(CATALOGUE), "--format", "json"]
        + ["--since", "2016-01-01", "--until", "2017-12-31"]
        + ["--kpi", "volume", "--kpi", "first_time_right"],
    )
    assert got.exit_code == 0, got.output
    rows = json.loads(got.stdout)["rows"]
    return {r["kpi"]: r["figures"] for r in rows if r["period"] == "total"}


def _import(db_url: str, *args: str) -> str:
    got = CliRunner().invoke(
        app, ["import", *args, str(LOG), "--db", db_url, "-c", str(CATALOGUE), "--as", "admin"]
    )
    assert got.exit_code == 0, got.output
    assert got.stderr == "", got.stderr  # no bad row, no refused case
    return got.stdout


@pytest.fixture
def real_log() -> Path:
    if not LOG.exists():
        pytest.skip(f"the real log is not here ({LOG.name}; BPSM_SERVICENOW_LOG names it)")
    return LOG


def test_counter_mode_gives_the_readme_facts(desk: object, db_url: str, real_log: Path) -> None:
    out = _import(db_url, "servicenow")
    assert "141,712 rows; 24,918 cases imported" in out and "0 refused" in out
    kpis = _kpis(db_url)
    assert kpis["volume"]["registered"] == 24_918
    ftr = kpis["first_time_right"]
    assert (ftr["resolved"], ftr["first_time_right"], ftr["reopened"]) == (24_918, 13_487, 275)
    assert round(100 * ftr["share"], 1) == 54.1


def test_sequence_mode_reads_the_same_history_with_fewer_escalations(
    desk: object, db_url: str, real_log: Path, tmp_path: Path
) -> None:
    text = shipped("servicenow").read_text(encoding="utf-8")
    text = text.replace("name: servicenow", "name: servicenow-sequence")
    text = text.replace("  mode: counters", "  mode: sequence")
    mapping = tmp_path / "sequence.yaml"
    mapping.write_text(text, encoding="utf-8")
    out = _import(db_url, "csv", "--map", str(mapping))
    assert "24,918 cases imported" in out
    ftr = _kpis(db_url)["first_time_right"]
    assert (ftr["resolved"], ftr["first_time_right"], ftr["reopened"]) == (24_918, 20_619, 276)
