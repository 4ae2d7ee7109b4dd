"""The import mapping language: the shipped ServiceNow mapping, timestamps, refusals."""

from __future__ import annotations

import csv
import gzip
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bpsm.errors import ValidationError
from bpsm.importing import load_mapping, shipped
from bpsm.importing.mapping import Timestamp
from tests.real_log import LOG


def test_shipped_servicenow_mapping_fits_the_real_header() -> None:
    mapping = load_mapping(shipped("servicenow"))
    if not LOG.exists():
        pytest.skip("the real log is not beside the repository")
    with gzip.open(LOG, "rt", encoding=mapping.encoding, newline="") as f:
        header = next(csv.reader(f, delimiter=mapping.delimiter))
    found = mapping.check_header(header, LOG.name)
    assert found["case_id"] == 0 and found["order.column"] == header.index("sys_mod_count")


def test_day_first_iso_offset_zone_and_fractions() -> None:
    day_first = Timestamp(column="t", format="%d/%m/%Y %H:%M", zone="Europe/Amsterdam")
    assert day_first.parse("5/3/2016 12:00") == datetime(2016, 3, 5, 11, 0, tzinfo=UTC)
    iso = Timestamp(column=3)
    assert iso.parse("2016-03-05T12:00:00.250+02:00") == datetime(
        2016, 3, 5, 10, 0, 0, 250000, tzinfo=UTC
    )
    with pytest.raises(ValueError, match="'31/2/2016 10:00' is not a time"):
        day_first.parse("31/2/2016 10:00")


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "m.yaml"
    path.write_text(text, encoding="utf-8")
    return path


BASE = "name: x\ncase_id: 0\ntimestamp: {column: 1}\nstate: 2\n"


def test_unknown_state_is_refused_naming_file_field_and_value(tmp_path: Path) -> None:
    path = _write(tmp_path, BASE + "states: {Open: opened}\n")
    with pytest.raises(ValidationError) as err:
        load_mapping(path)
    text = str(err.value)
    assert "m.yaml" in text and "states" in text and "'opened'" in text


def test_bad_zone_and_extra_field_are_refused(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "name: x\ncase_id: 0\ntimestamp: {column: 1, zone: Mars/Base}\n"
        "state: 2\nstates: {}\ncolour: red\n",
    )
    with pytest.raises(ValidationError) as err:
        load_mapping(path)
    text = str(err.value)
    assert "Mars/Base" in text and "colour" in text


def test_a_missing_column_is_refused_before_reading(tmp_path: Path) -> None:
    path = _write(tmp_path, BASE.replace("state: 2", "state: status") + "states: {A: ignore}\n")
    mapping = load_mapping(path)
    with pytest.raises(ValidationError, match="no column 'status'"):
        mapping.check_header(["id", "at", "state"], "log.csv")
    with pytest.raises(ValidationError, match="column 5 is past"):
        load_mapping(
            _write(tmp_path, BASE.replace("case_id: 0", "case_id: 5") + "states: {A: ignore}\n")
        ).check_header(["a", "b", "c"], "log.csv")


def test_a_step_that_is_not_one_of_the_reactive_process_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, BASE + "states: {X: in_progress}\nsteps: {X: take_over}\n")
    with pytest.raises(ValidationError) as err:
        load_mapping(path)
    text = str(err.value)
    assert "m.yaml:6" in text and "steps" in text and "'take_over'" in text
