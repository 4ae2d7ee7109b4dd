"""The catalogue has one source of truth (the database) and changes only through a traced act.

Opening a desk, any command and the examples never change the published catalogue; only an empty
database is seeded. ``bpsm catalogue load`` shows a plan and applies it for a change manager or
admin, as one audit event; a folder other than the bound one may not retire without ``--rebind``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from typer.testing import CliRunner

from bpsm import Desk, PermissionDenied, ValidationError
from bpsm.catalogue.sync import folder_key
from bpsm.demo import seed_demo
from bpsm.store.tables import AuditEventRow, ServiceVersionRow
from bpsm_tui.cli import app
from tests.conftest import CATALOGUE, ROOT

runner = CliRunner()


def run(*args: str, **env: str):
    return runner.invoke(app, [*args], env=env or None)


@pytest.fixture
def bound(tmp_path: Path) -> Path:
    """The desk's own catalogue folder (a copy of the example)."""
    root = tmp_path / "bound"
    shutil.copytree(CATALOGUE, root)
    return root


@pytest.fixture
def other(tmp_path: Path) -> Path:
    """Another folder: laptop faster, mail-and-parcels gone, omar gone from the staff list."""
    root = tmp_path / "other"
    shutil.copytree(CATALOGUE, root)
    laptop = root / "services" / "laptop.yaml"
    laptop.write_text(laptop.read_text().replace("lead_time: P5D", "lead_time: P2D", 1))
    (root / "services" / "mail-and-parcels.yaml").unlink()
    desk_yaml = root / "desk.yaml"
    text = desk_yaml.read_text()
    omar = (
        "  - id: omar\n    name: Omar El Amrani\n    roles: [operator]\n    group: service-desk\n"
    )
    assert omar in text
    desk_yaml.write_text(text.replace(omar, ""))
    return root


@pytest.fixture
def seeded(db_url: str, bound: Path):
    d = Desk.open(db_url, catalogue=bound)
    yield d
    d.close()


def published(desk: Desk) -> tuple[list[tuple[str, int]], int]:
    """Every published version and the number of audit events: what must not move."""
    with desk.transaction() as s:
        versions = s.execute(
            select(ServiceVersionRow.service_id, ServiceVersionRow.version).order_by(
                ServiceVersionRow.service_id, ServiceVersionRow.version
            )
        ).all()
        events = s.scalar(select(func.count()).select_from(AuditEventRow))
    return [tuple(v) for v in versions], int(events or 0)


def url_of(desk: Desk) -> str:
    return desk.engine.url.render_as_string(hide_password=False)


def test_opening_a_desk_seeds_only_an_empty_database_and_traces_it(seeded: Desk, bound: Path):
    (event,) = seeded.catalogue_history()
    assert (event.actor, event.trigger) == ("bpsm", "seed")
    assert event.data["folder"] == folder_key(bound)
    assert event.data["versions"]["laptop"] == 1
    assert seeded.catalogue.root == Path(folder_key(bound))
    before = published(seeded)
    Desk.open(url_of(seeded), catalogue=bound).close()
    Desk.open(url_of(seeded)).close()
    assert published(seeded) == before


def test_opening_with_another_folder_is_refused_and_changes_nothing(seeded: Desk, other: Path):
    before = published(seeded)
    with pytest.raises(ValidationError, match="publishes the catalogue loaded from"):
        Desk.open(url_of(seeded), catalogue=other)
    assert published(seeded) == before
    assert seeded.services.get("laptop").delivery.lead_time.days == 5


def test_kpi_with_another_folder_publishes_no_new_version(seeded: Desk, other: Path):
    before = published(seeded)
    result = run("kpi", "--db", url_of(seeded), "-c", str(other))
    assert result.exit_code == 1
    assert "publishes the catalogue loaded from" in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
    assert published(seeded) == before


def test_a_command_run_elsewhere_never_retires_what_a_change_published(
    seeded: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    new = seeded.services.get("loan-device").model_dump(mode="json")
    new.update(id="tablet", name="Standard tablet", keywords=["tablet"])
    change = seeded.changes.propose(
        kind="add", definition=new, impact="low", summary="Tablets", by="dave"
    )
    seeded.changes.submit(change.id, by="dave")
    for item in [c.id for c in seeded.config.checklist]:
        seeded.changes.check_item(change.id, item, evidence="pilot", by="ben")
    seeded.changes.approve(change.id, by="carla")
    seeded.changes.implement(change.id, by="carla")
    before = published(seeded)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # `cd /tmp && bpsm kpi`: the configured folder is the example
    monkeypatch.delenv("BPSM_CATALOGUE_PATH", raising=False)
    assert run("kpi", "--db", url_of(seeded)).exit_code == 0
    assert published(seeded) == before
    assert seeded.services.get("tablet").name == "Standard tablet"


def test_catalogue_load_shows_the_plan_and_applies_it_only_when_told(seeded: Desk, bound: Path):
    laptop = bound / "services" / "laptop.yaml"
    laptop.write_text(laptop.read_text().replace("lead_time: P5D", "lead_time: P3D", 1))
    (bound / "services" / "mail-and-parcels.yaml").unlink()
    before, db = published(seeded), url_of(seeded)

    asked = run("catalogue", "load", "--db", db, "--as", "carla")  # no terminal to confirm on
    assert asked.exit_code == 1
    assert "~ laptop: new version 1 → 2" in asked.output
    assert "- mail-and-parcels: retired" in asked.output
    assert "plan: 0 added, 1 new versions, 1 retired, 28 unchanged" in asked.output
    assert "not applied: pass --yes" in asked.output
    dry = run("catalogue", "load", str(bound), "--db", db, "--as", "carla", "--dry-run")
    assert dry.exit_code == 0 and "dry run: nothing applied" in dry.output
    diff = run("catalogue", "diff", "--db", db)
    assert diff.exit_code == 1 and "~ laptop: new version 1 → 2" in diff.output
    assert published(seeded) == before

    done = run("catalogue", "load", "--db", db, "--as", "carla", "--yes")
    assert done.exit_code == 0, done.output
    assert "applied by carla: 0 added, 1 new versions, 1 retired" in done.output
    assert seeded.services.get("laptop").delivery.lead_time.days == 3
    event = seeded.catalogue_history()[-1]
    assert (event.actor, event.trigger) == ("carla", "load")
    assert event.data["folder"] == folder_key(bound)
    assert event.data["versions"] == {"laptop": 2}
    assert event.data["services"]["mail-and-parcels"] == {"action": "retire", "from": 1, "to": None}
    clean = run("catalogue", "diff", "--db", db)
    assert clean.exit_code == 0 and "no differences" in clean.output
    again = run("catalogue", "load", "--db", db, "--as", "carla")
    assert again.exit_code == 0 and "nothing to apply" in again.output


def test_operator_loading_the_catalogue_is_refused(seeded: Desk, other: Path, bound: Path):
    before = published(seeded)
    result = run("catalogue", "load", str(bound), "--db", url_of(seeded), "--as", "anna", "--yes")
    assert result.exit_code == 1
    assert "'anna' may not catalogue.load: needs role admin, change_manager" in result.output
    with pytest.raises(PermissionDenied):
        seeded.apply_catalogue(other, by="anna", rebind=True)
    assert published(seeded) == before


def test_catalogue_load_on_a_fresh_database_works(db_url: str, bound: Path):
    nobody = run("catalogue", "load", str(bound), "--db", db_url, "--as", "zoe", "--yes")
    assert nobody.exit_code == 1 and "not on the staff list of" in nobody.output
    result = run("catalogue", "load", str(bound), "--db", db_url, "--as", "admin", "--yes")
    assert result.exit_code == 0, result.output
    assert "applied by admin: 30 added" in result.output
    with Desk.open(db_url) as desk:
        (event,) = desk.catalogue_history()
        assert (event.actor, event.trigger, event.data["folder"]) == (
            "admin",
            "load",
            folder_key(bound),
        )
        assert desk.services.list()[0].current_version == 1


def test_load_from_another_folder_refuses_to_retire_unless_rebound(seeded: Desk, other: Path):
    before, db = published(seeded), url_of(seeded)
    refused = run("catalogue", "load", str(other), "--db", db, "--as", "carla", "--yes")
    assert refused.exit_code == 1
    assert "is not the folder this desk was loaded from" in refused.output
    assert "mail-and-parcels" in refused.output and "--rebind" in refused.output
    with pytest.raises(ValidationError, match="rebind"):
        seeded.apply_catalogue(other, by="carla")
    assert published(seeded) == before

    rebound = run("catalogue", "load", str(other), "--db", db, "--as", "carla", "--yes", "--rebind")
    assert rebound.exit_code == 0, rebound.output
    assert "binding: the desk's catalogue folder becomes" in rebound.output
    assert seeded.catalogue_history()[-1].data["rebind"] is True
    assert run("catalogue", "diff", "--db", db).exit_code == 0  # now bound to `other`


def test_a_plan_made_before_someone_else_published_is_not_applied(seeded: Desk, bound: Path):
    from bpsm import ConcurrentModification

    laptop = bound / "services" / "laptop.yaml"
    laptop.write_text(laptop.read_text().replace("lead_time: P5D", "lead_time: P3D", 1))
    plan = seeded.catalogue_plan()
    seeded.apply_catalogue(by="admin")
    with pytest.raises(ConcurrentModification):
        seeded.apply_catalogue(by="carla", expected=plan)


def test_as_defaults_to_bpsm_operator_for_load_and_proactive(seeded: Desk, bound: Path):
    db = url_of(seeded)
    load = run("catalogue", "load", str(bound), "--db", db, "--yes", BPSM_OPERATOR="anna")
    assert load.exit_code == 1 and "'anna' may not catalogue.load" in load.output
    proactive = run("proactive", "--db", db, BPSM_OPERATOR="anna")
    assert proactive.exit_code == 1 and "'anna' may not" in proactive.output
    ok = run("proactive", "--db", db, "--horizon", "7", BPSM_OPERATOR="admin")
    assert ok.exit_code == 0, ok.output


@pytest.mark.parametrize(
    "command",
    [("catalogue", "load", "--yes"), ("proactive",), ("demo", "seed", "--calls", "1"), ("kpi",)],
)
def test_an_empty_as_is_an_error_not_a_fallback(seeded: Desk, command: tuple[str, ...]):
    if command == ("kpi",):  # kpi acts as nobody; it has no --as to get wrong
        assert "--as" not in run("kpi", "--help").output
        return
    before = published(seeded)
    result = run(*command, "--db", url_of(seeded), "--as", "")
    assert result.exit_code == 2
    assert "--as: an empty staff id names nobody" in result.output
    assert published(seeded) == before


def test_a_person_removed_by_a_load_is_refused_on_a_desk_opened_before(seeded: Desk, other: Path):
    assert seeded.person("omar").id == "omar"
    with Desk.open(url_of(seeded)) as elsewhere:
        elsewhere.apply_catalogue(other, by="carla", rebind=True)
    with pytest.raises(PermissionDenied, match="not on the desk's staff list"):
        seeded.calls.register(caller="Kim", channel="phone", summary="help", by="omar")
    assert seeded.config.staff == seeded.catalogue.desk.staff
    assert "omar" not in {p.id for p in seeded.config.staff}  # re-read after the load


def test_the_desk_acts_on_the_published_desk_yaml_not_the_files(seeded: Desk, bound: Path):
    desk_yaml = bound / "desk.yaml"
    name = seeded.config.name
    desk_yaml.write_text(desk_yaml.read_text().replace(f"name: {name}", "name: Renamed desk", 1))
    with Desk.open(url_of(seeded), catalogue=bound) as again:
        assert again.config.name == name
        plan = again.catalogue_plan()
        assert plan.desk_changed and "desk.yaml: settings changed" in "\n".join(plan.lines())
        again.apply_catalogue(by="admin", expected=plan)
        assert again.config.name == "Renamed desk"
    seeded.person("anna")  # acting re-reads a republished catalogue
    assert seeded.config.name == "Renamed desk"


def test_demo_seed_needs_the_demo_seed_permission(seeded: Desk):
    refused = run("demo", "seed", "--db", url_of(seeded), "--calls", "3", "--as", "anna")
    assert refused.exit_code == 1 and "'anna' may not demo.seed" in refused.output
    with pytest.raises(PermissionDenied):
        seed_demo(seeded, calls=2, by="anna")
    assert seed_demo(seeded, calls=2, by="admin") == 2
    with pytest.raises(PermissionDenied, match="the desk has calls"):
        seed_demo(seeded, calls=2)  # no person: only the first start of an empty desk


SEED = "import sys\nfrom bpsm import Desk\nDesk.open(sys.argv[1], catalogue=sys.argv[2]).close()\n"


def test_eight_processes_seeding_one_empty_database_all_succeed_once(db_url: str, bound: Path):
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", SEED, db_url, str(bound)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(8)
    ]
    failures = [p.communicate(timeout=300)[1] for p in procs if p.wait(timeout=300) != 0]
    assert failures == []
    with Desk.open(db_url) as desk:
        assert [e.trigger for e in desk.catalogue_history()] == ["seed"]
        assert len(desk.services.list()) == 30
        assert {v for _, v in published(desk)[0]} == {1}


@pytest.mark.parametrize(("answer", "applied"), [("y\n", True), ("n\n", False)])
def test_at_a_terminal_the_load_asks_before_applying(
    seeded: Desk, bound: Path, monkeypatch: pytest.MonkeyPatch, answer: str, applied: bool
):
    import bpsm.cli

    laptop = bound / "services" / "laptop.yaml"
    laptop.write_text(laptop.read_text().replace("lead_time: P5D", "lead_time: P3D", 1))
    monkeypatch.setattr(bpsm.cli, "can_ask", lambda: True)
    result = runner.invoke(
        app, ["catalogue", "load", "--db", url_of(seeded), "--as", "admin"], input=answer
    )
    assert "Apply this plan as admin?" in result.output
    assert result.exit_code == (0 if applied else 1), result.output
    assert seeded.services.get("laptop").delivery.lead_time.days == (3 if applied else 5)


@settings(max_examples=30)
@given(
    sid=st.sampled_from(["laptop", "parking", "meeting-room", "payroll-question"]),
    key=st.sampled_from(["name", "owner", "description", "keywords"]),
    value=st.text(
        alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
        min_size=1,
        max_size=40,
    ).filter(str.strip),
)
def test_a_rewritten_service_file_loads_to_the_new_definition_and_keeps_the_rest(
    sid: str, key: str, value: str
) -> None:
    from bpsm.catalogue import load_catalogue, validate_service
    from bpsm.catalogue.writeback import rewrite_service_file

    catalogue = load_catalogue(CATALOGUE)
    old = catalogue.files[sid].read_text()
    data = catalogue.services[sid].model_dump(mode="json")
    data[key] = [value.strip()] if key == "keywords" else value.strip()
    service = validate_service(data)
    text = rewrite_service_file(old, service)
    assert validate_service(yaml.safe_load(text)) == service
    faq = [line for line in old.splitlines() if line.startswith("faq:") or "  - q:" in line]
    assert faq and all(line in text.splitlines() for line in faq)  # untouched blocks, verbatim
