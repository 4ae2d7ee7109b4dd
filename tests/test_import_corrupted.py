"""A corrupted copy of the real ServiceNow log (truncated rows, bad dates, unknown states, broken
quotes, made here from its first 30,000 rows): the good cases import, each bad row is reported
with its row number and reason, a case with a bad row is left out whole, and a second run
imports nothing twice."""

from __future__ import annotations

import gzip
import itertools
import random
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bpsm import Desk
from bpsm.importing import import_file, load_mapping, shipped
from bpsm.store.tables import CallRow
from bpsm.store.tables.importing import ImportLedgerRow
from tests.real_log import LOG

pytestmark = pytest.mark.slow

ROWS = 30_000
KINDS = ("truncated", "bad date", "unknown state", "broken quotes")


def _corrupt(target: Path) -> tuple[dict[int, str], set[str], set[str]]:
    """Write the copy; the corrupted rows (row → kind), the cases they hit, and every case."""
    with gzip.open(LOG, "rt", encoding="utf-8", newline="") as f:
        lines = list(itertools.islice(f, ROWS + 1))
    header = lines[0].rstrip("\n").split(",")
    state, stamp, category = (
        header.index(c) for c in ("incident_state", "sys_updated_at", "category")
    )
    rng = random.Random(10)
    picked = sorted(rng.sample(range(1, ROWS + 1), 40))
    # the first row of a case too: its case is known from the fields before the break
    first_rows = [i for i in range(2, ROWS) if lines[i].split(",")[0] != lines[i - 1].split(",")[0]]
    openers = set(rng.sample([i for i in first_rows if i not in picked], 4))
    bad: dict[int, str] = {}
    for n, i in enumerate(sorted({*picked, *openers})):
        kind = "broken quotes" if i in openers else KINDS[n % len(KINDS)]
        fields = lines[i].rstrip("\n").split(",")
        if kind == "truncated":
            fields = fields[:7]
        elif kind == "bad date":
            fields[stamp] = "31/2/2016 25:61"
        elif kind == "unknown state":
            fields[state] = "Exploded"
        else:
            fields[category] = '"Category 5'
        lines[i] = ",".join(fields) + "\n"
        bad[i + 1] = kind  # the header is row 1
    target.write_text("".join(lines), encoding="utf-8")
    cases = {line.split(",")[0] for line in lines[1:]}
    hit = {lines[row - 1].split(",")[0] for row in bad}
    return bad, hit, cases


def test_a_corrupted_copy_imports_its_good_cases_and_reports_each_bad_row(
    desk: Desk, tmp_path: Path
) -> None:
    if not LOG.exists():
        pytest.skip("the real log is not here (BPSM_SERVICENOW_LOG names it)")
    copy = tmp_path / "corrupted.csv"
    bad, hit, cases = _corrupt(copy)
    mapping = load_mapping(shipped("servicenow"))

    first = import_file(desk, copy, mapping, by="admin")
    assert {b.row for b in first.bad_rows} == set(bad)
    assert len(first.bad_rows) == len(bad)  # one report per bad row
    reasons = {b.row: b.reason for b in first.bad_rows}
    for row, kind in bad.items():
        expected = {
            "truncated": "7 fields, the header has 36 (truncated?)",
            "bad date": "'31/2/2016 25:61' is not a time",
            "unknown state": "unknown state 'Exploded'",
            "broken quotes": "broken quotes",
        }[kind]
        assert expected in reasons[row], (row, kind, reasons[row])
    assert {b.case for b in first.bad_rows} == hit
    assert first.cases_skipped_bad == len(hit) and first.cases_refused == []
    assert first.cases_imported == len(cases) - len(hit)
    with desk.transaction() as s:
        imported = set(s.scalars(select(ImportLedgerRow.case_key)))
        assert s.scalar(select(func.count()).select_from(CallRow)) == first.cases_imported
    assert imported == cases - hit

    again = import_file(desk, copy, mapping, by="admin")
    assert (again.cases_imported, again.cases_skipped_already) == (0, first.cases_imported)
    assert [(b.row, b.reason) for b in again.bad_rows] == [
        (b.row, b.reason) for b in first.bad_rows
    ]
    with desk.transaction() as s:
        assert s.scalar(select(func.count()).select_from(CallRow)) == first.cases_imported
