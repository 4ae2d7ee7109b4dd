"""The catalogue as files: schema, precise errors, all-or-nothing loading, versioned sync."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from bpsm import Desk, ValidationError, load_catalogue
from bpsm.catalogue.schema import MAX_DURATION, format_duration, parse_duration
from bpsm.cli import app
from tests.conftest import CATALOGUE
from tests.helpers import OP, call_in

runner = CliRunner()


def test_example_catalogue_is_valid_and_large_enough(catalogue) -> None:
    assert len(catalogue) >= 25
    assert {s.department for s in catalogue.services.values()} == {"IT", "Facilities", "HR"}
    assert [c.id for c in catalogue.desk.checklist] == [
        "tested",
        "rollback-plan",
        "desk-ready",
        "documentation",
        "parties-informed",
    ]
    for svc in catalogue.services.values():
        assert len(svc.faq) >= 2 and svc.quality_levels and svc.delivery.lead_time > timedelta(0)


def test_cli_validate_prints_ok_with_counts() -> None:
    result = runner.invoke(app, ["catalogue", "validate", str(CATALOGUE)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK: 30 services") or result.output.startswith("OK: ")
    assert "services" in result.output


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    """A copy of the catalogue with a typo'd key, a duplicate id and a bad lead time."""
    root = tmp_path / "catalogue"
    shutil.copytree(CATALOGUE, root)
    laptop = root / "services" / "laptop.yaml"
    laptop.write_text(laptop.read_text().replace("\nkeywords:", "\nkeywrods:", 1))
    smartphone = root / "services" / "smartphone.yaml"
    smartphone.write_text(smartphone.read_text().replace("id: smartphone", "id: printing", 1))
    parking = root / "services" / "parking.yaml"
    text = parking.read_text()
    lead = next(line for line in text.splitlines() if "lead_time:" in line)
    parking.write_text(text.replace(lead, lead.split(":")[0] + ": 3 dayz", 1))
    return root


def _line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_every_error_is_reported_with_file_line_and_field(broken: Path) -> None:
    with pytest.raises(ValidationError) as err:
        load_catalogue(broken)
    found = {(Path(p.file).name, p.line, p.field): p.message for p in err.value.problems}
    services = broken / "services"
    typo = ("laptop.yaml", _line_of(services / "laptop.yaml", "keywrods:"), "keywrods")
    assert "unknown key 'keywrods'" in found[typo]
    assert ("laptop.yaml", 1, "keywords") in found  # the missing required field
    dupe = next(k for k in found if k[2] == "id" and "duplicate service id 'printing'" in found[k])
    assert dupe[0] in {"printing.yaml", "smartphone.yaml"} and dupe[1] == 1
    bad = ("parking.yaml", _line_of(services / "parking.yaml", "lead_time:"), "delivery.lead_time")
    assert "'3 dayz' is not a duration" in found[bad]


def test_cli_validate_lists_every_problem_and_exits_non_zero(broken: Path) -> None:
    result = runner.invoke(app, ["catalogue", "validate", str(broken)])
    assert result.exit_code == 1
    out = result.output
    assert "laptop.yaml:" in out and "keywrods" in out
    assert "duplicate service id 'printing'" in out
    assert "parking.yaml:" in out and "delivery.lead_time" in out and "dayz" in out
    assert "nothing loaded" in out


def test_a_catalogue_with_any_error_loads_nothing(broken: Path, db_url: str) -> None:
    with pytest.raises(ValidationError):
        Desk.open(db_url, catalogue=broken)
    desk = Desk.open(db_url, catalogue=CATALOGUE, sync=False)
    assert desk.services.list() == []
    result = runner.invoke(app, ["catalogue", "load", str(broken), "--db", db_url])
    assert result.exit_code == 1 and desk.services.list() == []


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        (
            ("account_manager: dave", "account_manager: zoe"),
            "account manager 'zoe' is not on the staff list",
        ),
        (
            ("alternatives: [loan-device, peripherals]", "alternatives: [loan-device, hoverboard]"),
            "alternative 'hoverboard' is not a service",
        ),
        (("group: second-line-it", "group: ninjas"), "group 'ninjas' is not one of"),
        (("rule: FREQ=YEARLY;INTERVAL=4", "rule: FREQ=SOMETIMES"), "is not a valid RRULE"),
        (("name: Standard laptop", "name: Standard laptop\nname: Again"), "duplicate key 'name'"),
        (("department: IT", "department: Marketing"), "Input should be 'IT', 'Facilities' or 'HR'"),
        (("faq:", "faq: [\n"), "YAML syntax error"),
    ],
)
def test_bad_values_are_named(tmp_path: Path, patch: tuple[str, str], message: str) -> None:
    root = tmp_path / "c"
    shutil.copytree(CATALOGUE, root)
    laptop = root / "services" / "laptop.yaml"
    original = laptop.read_text()
    assert patch[0] in original
    laptop.write_text(original.replace(patch[0], patch[1], 1))
    with pytest.raises(ValidationError) as err:
        load_catalogue(root)
    assert any(
        message in p.message and p.file.endswith("laptop.yaml") and p.line
        for p in err.value.problems
    ), err.value.problems


def test_loading_is_idempotent_and_versioned(desk: Desk, tmp_path: Path) -> None:
    again = desk.sync_catalogue("admin")
    assert again.added == [] and again.updated == [] and len(again.unchanged) == len(desk.catalogue)
    old = call_in(desk, "in_progress")
    assert (old.service_id, old.service_version) == ("laptop", 1)

    root = tmp_path / "c"
    shutil.copytree(CATALOGUE, root)
    laptop = root / "services" / "laptop.yaml"
    laptop.write_text(laptop.read_text().replace("lead_time: P5D", "lead_time: P3D", 1))
    (root / "services" / "mail-and-parcels.yaml").unlink()
    report = desk.sync_catalogue("admin", load_catalogue(root))
    assert (
        report.updated == ["laptop"]
        and report.retired == ["mail-and-parcels"]
        and report.added == []
    )

    new = call_in(desk, "in_progress")
    assert new.service_version == 2
    assert desk.calls.get(old.id).service_version == 1
    assert desk.services.get("laptop", 1).delivery.lead_time == timedelta(days=5)
    assert desk.services.get("laptop").delivery.lead_time == timedelta(days=3)
    assert "mail-and-parcels" not in {s.id for s in desk.services.list()}


def test_only_admin_or_change_manager_may_load_the_catalogue(desk: Desk) -> None:
    from bpsm import PermissionDenied

    with pytest.raises(PermissionDenied):
        desk.sync_catalogue(OP)


def test_search_finds_services_by_name_keyword_and_faq(desk: Desk) -> None:
    assert desk.services.search("laptop")[0].id == "laptop"
    assert [h.id for h in desk.services.search("tablet")] == ["loan-device"]
    assert desk.services.search("coffee")  # FAQ text: "I spilled coffee over my keyboard"
    assert desk.services.search("100%_") == []


@given(
    st.integers(min_value=0, max_value=10_000),
    st.sampled_from(["minute", "hour", "day", "week"]),
    st.booleans(),
)
def test_plain_durations_parse_up_to_the_limit(n: int, unit: str, plural: bool) -> None:
    seconds = {"minute": 60, "hour": 3600, "day": 86400, "week": 604800}[unit]
    text = f"{n} {unit}{'s' if plural else ''}"
    if timedelta(seconds=n * seconds) <= MAX_DURATION:
        assert parse_duration(text) == timedelta(seconds=n * seconds)
    else:
        with pytest.raises(ValueError, match="is longer than 3650 days"):
            parse_duration(text)


@given(
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3650)).map(
        lambda d: timedelta(seconds=int(d.total_seconds()))
    )
)
def test_iso_durations_round_trip(value: timedelta) -> None:
    assert parse_duration(format_duration(value)) == value


@given(st.text(max_size=12))
def test_garbage_is_never_a_duration_silently(text: str) -> None:
    try:
        value = parse_duration(text)
    except ValueError as exc:
        assert repr(text) in str(exc)
    else:
        assert isinstance(value, timedelta) and text.strip()


def test_a_missing_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as err:
        load_catalogue(tmp_path / "nope")
    [problem] = err.value.problems
    assert problem.message == "catalogue folder not found" and problem.file.endswith("nope")


def test_a_duplicate_id_is_reported_even_when_both_files_have_other_errors(tmp_path: Path) -> None:
    root = tmp_path / "c"
    shutil.copytree(CATALOGUE, root)
    laptop = root / "services" / "laptop.yaml"
    laptop.write_text(laptop.read_text().replace("\nkeywords:", "\nkeywrods:", 1))
    (root / "services" / "laptop-copy.yaml").write_text(
        laptop.read_text().replace("lead_time: P5D", "lead_time: soon")
    )
    with pytest.raises(ValidationError) as err:
        load_catalogue(root)
    messages = [(Path(p.file).name, p.field, p.message) for p in err.value.problems]
    assert (
        "laptop.yaml",
        "id",
        "duplicate service id 'laptop' (also in c/services/laptop-copy.yaml)",
    ) in messages
    assert any(f == "keywrods" for _, f, _ in messages)
    assert any(f == "delivery.lead_time" and "'soon'" in m for _, f, m in messages)
    # a file failing validation still counts as declaring its id: no cascade of dangling references
    assert not any("is not a service in this catalogue" in m for _, _, m in messages)
