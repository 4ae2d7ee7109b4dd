"""The catalogue as files: schema, precise errors, all-or-nothing loading, versioned sync."""

from __future__ import annotations

import os
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from bpsm import Desk, ValidationError, load_catalogue
from bpsm.catalogue.loader import MAX_PROBLEMS_PER_FILE, MAX_SERVICE_FILES, validate_service
from bpsm.catalogue.schema import MAX_DURATION, format_duration, parse_duration
from bpsm.catalogue.yamlfile import MAX_DEPTH, MAX_FILE_BYTES, MAX_NUMBER_CHARS, MAX_VALUES
from bpsm.cli import app
from bpsm.errors import Problem
from tests.conftest import CATALOGUE, ROOT
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
    text = path.read_bytes().decode("utf-8", "replace")
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


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
    desk = Desk.open(db_url, catalogue=CATALOGUE, seed=False)
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
    report = desk.sync_catalogue("admin", load_catalogue(root), rebind=True)
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


# --- Hostile and broken files (issue 7): refused with file and line, nothing loaded, no crash ---


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "c"
    shutil.copytree(CATALOGUE, root)
    return root


def _problems(root: Path) -> list[Problem]:
    with pytest.raises(ValidationError) as err:
        load_catalogue(root)
    return err.value.problems


def _only_problem_of(root: Path, name: str) -> Problem:
    """The single problem reported for file ``name`` (every other file is fine)."""
    problems = _problems(root)
    assert all(p.file and Path(p.file).name == name for p in problems), problems
    [problem] = problems
    return problem


def _with_laptop(root: Path, text: str | bytes) -> Path:
    laptop = root / "services" / "laptop.yaml"
    if isinstance(text, str):
        laptop.write_text(text, encoding="utf-8")
    else:
        laptop.write_bytes(text)
    return laptop


LAUGHS = "".join(
    f"l{i}: &l{i} [{', '.join(['lol' if i == 0 else f'*l{i - 1}'] * 9)}]\n" for i in range(10)
)


def test_a_billion_laughs_alias_bomb_is_refused_at_its_first_anchor(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    laptop = root / "services" / "laptop.yaml"
    _with_laptop(root, laptop.read_text() + LAUGHS)
    problem = _only_problem_of(root, "laptop.yaml")
    assert (problem.line, problem.field) == (_line_of(laptop, "l0: &l0"), "l0")
    assert "anchor &l0: anchors and aliases are not allowed" in problem.message


def test_a_self_referencing_alias_is_refused(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    laptop = root / "services" / "laptop.yaml"
    _with_laptop(root, laptop.read_text().replace("alternatives: [", "alternatives: &a [*a, ", 1))
    problem = _only_problem_of(root, "laptop.yaml")
    assert problem.line == _line_of(laptop, "alternatives:") and "anchor &a" in problem.message
    assert problem.field == "alternatives"


@pytest.mark.parametrize("levels", [MAX_DEPTH + 1, 1000])
def test_deeply_nested_lists_are_refused_at_the_line_that_nests_too_deep(
    tmp_path: Path, levels: int
) -> None:
    root = _copy(tmp_path)
    laptop = root / "services" / "laptop.yaml"
    deep = "keywords:\n  - - - " + "[" * levels + "]" * levels + "\nx:"
    _with_laptop(root, laptop.read_text().replace("keywords:", deep, 1))
    problem = _only_problem_of(root, "laptop.yaml")
    assert problem.line == _line_of(laptop, "[[[[")
    assert problem.field is None or problem.field.startswith("keywords.0.0.0")
    if levels == MAX_DEPTH + 1:
        assert problem.message == f"nested more than {MAX_DEPTH} levels deep"
    else:  # libyaml may stop it first, at its own limit: the same line, in its own words
        assert "nest" in problem.message


def test_a_complex_key_is_refused_with_its_line(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    laptop = root / "services" / "laptop.yaml"
    _with_laptop(root, laptop.read_text() + "? [a, b]\n: 1\n")
    problem = _only_problem_of(root, "laptop.yaml")
    assert problem.line == _line_of(laptop, "? [a, b]")
    assert "a key must be a single name, not a list" in problem.message


def test_a_lead_time_of_p99999999999d_is_refused_as_too_long(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    laptop = root / "services" / "laptop.yaml"
    _with_laptop(root, laptop.read_text().replace("lead_time: P5D", "lead_time: P99999999999D"))
    problem = _only_problem_of(root, "laptop.yaml")
    assert (problem.field, problem.line) == ("delivery.lead_time", _line_of(laptop, "lead_time:"))
    assert problem.message.startswith("'P99999999999D' is longer than 3650 days")


@pytest.mark.parametrize("text", ["P3651D", "PT87625H", "522 weeks", "99999999999999999999 weeks"])
def test_a_duration_beyond_ten_years_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="longer than 3650 days"):
        parse_duration(text)


def test_a_nul_byte_is_refused_with_its_line_and_column(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    laptop = root / "services" / "laptop.yaml"
    _with_laptop(root, laptop.read_bytes().replace(b"owner: Head", b"owner: He\x00ad", 1))
    problem = _only_problem_of(root, "laptop.yaml")
    assert problem.line == _line_of(laptop, "owner:")
    assert problem.message == "NUL byte (0x00) at column 10; catalogue files are plain text"


def test_a_control_character_is_refused_with_its_line_and_column(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    laptop = root / "services" / "laptop.yaml"
    _with_laptop(root, laptop.read_bytes().replace(b"owner: Head", b"owner: \x1b[31mHead", 1))
    problem = _only_problem_of(root, "laptop.yaml")
    assert problem.line == _line_of(laptop, "owner:")
    assert problem.message.startswith("control character U+001B at column 8")


def test_bad_utf8_is_refused_with_its_line_and_column(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    laptop = root / "services" / "laptop.yaml"
    _with_laptop(root, laptop.read_bytes().replace(b"owner: Head", b"owner: H\xe9ad", 1))
    problem = _only_problem_of(root, "laptop.yaml")
    assert problem.line == _line_of(laptop, "owner:")
    assert problem.message == ("not valid UTF-8: byte 0xe9 at column 9; save the file as UTF-8")


def test_a_utf16_file_is_refused_as_not_utf8(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    laptop = root / "services" / "laptop.yaml"
    _with_laptop(root, laptop.read_text().encode("utf-16"))
    problem = _only_problem_of(root, "laptop.yaml")
    assert problem.line == 1 and "(the file looks like UTF-16)" in problem.message


def test_a_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    laptop = root / "services" / "laptop.yaml"
    _with_laptop(root, b"\xef\xbb\xbf" + laptop.read_bytes())
    assert load_catalogue(root).services["laptop"].name == "Standard laptop"


def test_a_10_mb_service_file_is_refused_and_nothing_is_stored(tmp_path: Path, db_url: str) -> None:
    root = _copy(tmp_path)
    laptop = root / "services" / "laptop.yaml"
    padding = "\n  " + "lorem ipsum " * (10 * 1024 * 1024 // 12)
    _with_laptop(root, laptop.read_text().replace("description: >-", "description: >-" + padding))
    assert laptop.stat().st_size > 10_000_000
    problem = _only_problem_of(root, "laptop.yaml")
    assert problem.file == "c/services/laptop.yaml"
    assert problem.message == (
        f"file is {laptop.stat().st_size:,} bytes; a catalogue file may be at most "
        f"{MAX_FILE_BYTES:,} bytes (1 MiB)"
    )
    with pytest.raises(ValidationError):
        Desk.open(db_url, catalogue=root)
    assert Desk.open(db_url, catalogue=CATALOGUE, seed=False).services.list() == []


def test_a_file_of_exactly_the_size_limit_is_read(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    laptop = root / "services" / "laptop.yaml"
    text = laptop.read_text()
    _with_laptop(root, text + "#" * (MAX_FILE_BYTES - len(text.encode()) - 1) + "\n")
    assert laptop.stat().st_size == MAX_FILE_BYTES
    assert "laptop" in load_catalogue(root).services


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_named_pipe_posing_as_a_service_file_is_refused_without_blocking(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    os.mkfifo(root / "services" / "pipe.yaml")
    assert _only_problem_of(root, "pipe.yaml").message == "not a regular file"


def test_a_folder_with_too_many_service_files_is_refused_before_reading_them(
    tmp_path: Path,
) -> None:
    root = _copy(tmp_path)
    for i in range(MAX_SERVICE_FILES):
        (root / "services" / f"extra-{i}.yaml").touch()
    [problem] = _problems(root)
    assert problem.file == "c/services" and problem.message == (
        f"{MAX_SERVICE_FILES + 30:,} service files; a catalogue may hold at most "
        f"{MAX_SERVICE_FILES:,}"
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("9" * 65, "is longer than 64 characters"),
        ("0x" + "f" * 5000, "is longer than 64 characters"),
        ("1" + ":1" * 2000, "is longer than 64 characters"),
        ("!!binary aGVsbG8=", "tag !!binary is not allowed in catalogue files"),
        ("!!python/object/apply:os.system [true]", "tag !!python/object/apply:os.system is not"),
        ("!!set {a, b}", "tag !!set is not allowed"),
        ("2020-13-45", "cannot read '2020-13-45': month must be in 1..12"),
        ('"He\\0ad"', "a value holds a NUL character"),
        ("&owner Head", "anchor &owner"),
    ],
)
def test_a_value_a_catalogue_has_no_use_for_is_refused_with_its_line(
    tmp_path: Path, value: str, message: str
) -> None:
    root = _copy(tmp_path)
    laptop = root / "services" / "laptop.yaml"
    _with_laptop(
        root, laptop.read_text().replace("owner: Head of IT Operations", f"owner: {value}")
    )
    problem = _only_problem_of(root, "laptop.yaml")
    assert message in problem.message and problem.line == _line_of(laptop, "owner:")
    assert problem.field == "owner"
    assert len(problem.message) < 200


def test_a_second_yaml_document_is_refused_with_its_line(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    laptop = root / "services" / "laptop.yaml"
    _with_laptop(root, laptop.read_text() + "---\nid: other\n")
    problem = _only_problem_of(root, "laptop.yaml")
    assert (
        problem.line == _line_of(laptop, "---") and "more than one YAML document" in problem.message
    )


def test_a_top_level_list_is_refused(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _with_laptop(root, "- id: laptop\n")
    problem = _only_problem_of(root, "laptop.yaml")
    assert (problem.line, problem.message) == (
        1,
        "expected a mapping of keys at the top, got a list",
    )


@pytest.mark.parametrize(
    ("patch", "field", "message"),
    [
        (("price: 249", "price: .inf"), "recommendations.price_list.0.price", "finite number"),
        (
            ("lead_threshold: 500", "lead_threshold: .nan"),
            "recommendations.lead_threshold",
            "finite",
        ),
        (("currency: EUR", "currency: EURO"), "recommendations.currency", "should match pattern"),
        (("timezone: Europe/Amsterdam", "timezone: Europe"), "timezone", "unknown time zone"),
        (("name: Anna de Vries", "name: " + "A" * 201), "staff.0.name", "at most 200 characters"),
    ],
)
def test_desk_values_beyond_what_the_desk_can_hold_are_refused(
    tmp_path: Path, patch: tuple[str, str], field: str, message: str
) -> None:
    root = _copy(tmp_path)
    desk_file = root / "desk.yaml"
    original = desk_file.read_text()
    assert patch[0] in original
    desk_file.write_text(original.replace(patch[0], patch[1], 1))
    problem = _only_problem_of(root, "desk.yaml")
    assert problem.field == field and message in problem.message, problem
    assert problem.line == _line_of(desk_file, patch[1][:30])


def test_a_service_name_longer_than_its_column_is_refused_and_nothing_is_stored(
    tmp_path: Path, db_url: str
) -> None:
    root = _copy(tmp_path)
    laptop = root / "services" / "laptop.yaml"
    _with_laptop(root, laptop.read_text().replace("name: Standard laptop", "name: " + "L" * 201))
    problem = _only_problem_of(root, "laptop.yaml")
    assert problem.field == "name" and "at most 200 characters" in problem.message
    with pytest.raises(ValidationError):
        Desk.open(db_url, catalogue=root)
    assert Desk.open(db_url, catalogue=CATALOGUE, seed=False).services.list() == []


def test_a_file_with_very_many_problems_reports_the_first_fifty_and_counts_the_rest(
    tmp_path: Path,
) -> None:
    root = _copy(tmp_path)
    laptop = root / "services" / "laptop.yaml"
    many = "keywords: [" + ", ".join(["[]"] * 500) + "]"
    _with_laptop(root, laptop.read_text().replace("keywords: [", many + "\nx: [", 1))
    problems = _problems(root)
    assert len(problems) == MAX_PROBLEMS_PER_FILE + 1
    assert problems[-1].message == f"… and {500 + 1 - MAX_PROBLEMS_PER_FILE:,} more problem(s)"


@pytest.mark.parametrize("char", ["\x00", "\x1b", "\x7f"])
def test_a_proposed_service_with_a_control_character_in_its_text_is_refused(
    catalogue, char: str
) -> None:
    data = catalogue.services["laptop"].model_dump(mode="json")
    data["owner"] = f"Head{char} of IT"
    with pytest.raises(ValidationError) as err:
        validate_service(data)
    [problem] = err.value.problems
    assert problem.field == "owner"
    assert problem.message == f"control character U+{ord(char):04X} is not allowed in text"


def test_an_escaped_control_character_in_a_file_is_refused_with_its_line(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    laptop = root / "services" / "laptop.yaml"
    owner = 'owner: "\\e[31mHead of IT Operations"'
    _with_laptop(root, laptop.read_text().replace("owner: Head of IT Operations", owner, 1))
    problem = _only_problem_of(root, "laptop.yaml")
    assert (problem.field, problem.line) == ("owner", _line_of(laptop, "owner:"))


def test_the_documented_limits_are_the_ones_enforced() -> None:
    doc = (ROOT / "docs" / "catalogue-files.md").read_text(encoding="utf-8")
    for stated in (
        f"{MAX_FILE_BYTES:,} bytes",
        f"| {MAX_SERVICE_FILES:,} |",
        f"{MAX_DEPTH} levels",
        f"| {MAX_VALUES:,} |",
        f"{MAX_NUMBER_CHARS} characters",
        f"{MAX_DURATION.days:,} days",
        f"At most {MAX_PROBLEMS_PER_FILE} problems",
    ):
        assert stated in doc, stated


@pytest.mark.parametrize(
    ("addition", "message"),
    [
        (LAUGHS, "anchor &l0"),
        ("x: " + "[" * 1000 + "]" * 1000 + "\n", f"nested more than {MAX_DEPTH} levels deep"),
        ("? [a, b]\n: 1\n", "a key must be a single name, not a list"),
        ("x: !!binary aGVsbG8=\n", "tag !!binary is not allowed"),
        ("---\nid: other\n", "more than one YAML document"),
    ],
)
def test_without_libyaml_the_same_files_are_refused_the_same_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, addition: str, message: str
) -> None:
    monkeypatch.setattr("yaml.__with_libyaml__", False)
    root = _copy(tmp_path)
    laptop = root / "services" / "laptop.yaml"
    _with_laptop(root, laptop.read_text() + addition)
    problem = _only_problem_of(root, "laptop.yaml")
    assert message in problem.message
    assert problem.line == len(laptop.read_text().splitlines()) - len(addition.splitlines()) + 1
