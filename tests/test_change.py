"""The change process: the change manager's gate, write-back to files, rollback, guards and roles.

Every legal, illegal and forbidden step of every process is checked once for all of them: without a
database in ``tests/test_process_tables.py``, through the API in ``tests/test_process_contract.py``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from bpsm import (
    ConcurrentModification,
    Desk,
    GuardFailed,
    PermissionDenied,
    ValidationError,
)
from bpsm.catalogue import load_catalogue
from bpsm.cli import app
from bpsm.processes.changes.steps import CHANGE
from tests.conftest import CATALOGUE

ITEMS = ["tested", "rollback-plan", "desk-ready", "documentation", "parties-informed"]
LEGAL = {(src, s.trigger): (s.dest or src) for s in CHANGE.table for src in s.source}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "catalogue"
    shutil.copytree(CATALOGUE, root)
    return root


@pytest.fixture
def cdesk(db_url: str, folder: Path):
    d = Desk.open(db_url, catalogue=folder)
    yield d
    d.close()


def laptop_faster(desk: Desk) -> dict:
    definition = desk.services.get("laptop").model_dump(mode="json")
    # always a difference from what is published (a desk reused across examples may already
    # have published 3 days: a change proposing no difference is refused)
    definition["delivery"]["lead_time"] = (
        "P2D" if definition["delivery"]["lead_time"] == "P3D" else "P3D"
    )
    return definition


def propose(desk: Desk, impact: str = "low", **kw):
    return desk.changes.propose(
        kind="modify",
        definition=laptop_faster(desk),
        impact=impact,
        summary="Deliver laptops in 3 days",
        by="dave",
        **kw,
    )


def tick_all(desk: Desk, change_id: int) -> None:
    for item in ITEMS:
        desk.changes.check_item(change_id, item, evidence=f"{item}: see pilot report", by="ben")


PATHS = {
    "draft": [],
    "submitted": ["submit"],
    "approved": ["submit", "tick", "approve"],
    "implemented": ["submit", "tick", "approve", "implement"],
    "rejected": ["submit", "reject"],
    "rolled_back": ["submit", "tick", "approve", "implement", "roll_back"],
    "withdrawn": ["withdraw"],
}


def in_state(desk: Desk, state: str):
    c = propose(desk, rollback_plan="restore previous version")
    for step in PATHS[state]:
        if step == "tick":
            tick_all(desk, c.id)
            c = desk.changes.get(c.id)
        else:
            c = FIRE[step](desk, c)
    assert c.state == state
    return c


FIRE = {
    "submit": lambda d, c: d.changes.submit(c.id, by="dave"),
    "amend": lambda d, c: d.changes.amend(
        c.id, rollback_plan="reinstall previous image", by="dave"
    ),
    "check_item": lambda d, c: d.changes.check_item(
        c.id, "tested", evidence="pilot week 12", by="ben"
    ),
    "approve": lambda d, c: d.changes.approve(c.id, by="carla"),
    "reject": lambda d, c: d.changes.reject(c.id, reason="not now", by="carla"),
    "implement": lambda d, c: d.changes.implement(c.id, by="carla"),
    "roll_back": lambda d, c: d.changes.roll_back(
        c.id, reason="supplier cannot deliver", by="carla"
    ),
    "withdraw": lambda d, c: d.changes.withdraw(c.id, reason="no longer needed", by="dave"),
}


def test_fire_covers_every_trigger() -> None:
    assert set(FIRE) == set(CHANGE.triggers)


def test_approval_with_unmet_items_lists_every_one(cdesk: Desk) -> None:
    c = cdesk.changes.submit(propose(cdesk, impact="high").id, by="dave")
    cdesk.changes.check_item(c.id, "tested", evidence="pilot with 8 users, week 12", by="ben")
    with pytest.raises(GuardFailed) as err:
        cdesk.changes.approve(c.id, by="carla")
    message = err.value.reason
    for item in ITEMS[1:]:
        assert item in message
    assert "tested" not in message.split("unmet:")[1].split("(")[0]
    assert "rollback plan: required for high-impact changes" in message
    assert cdesk.changes.get(c.id).state == "submitted"


def test_rollback_plan_is_required_only_from_the_configured_impact(cdesk: Desk) -> None:
    low = cdesk.changes.submit(propose(cdesk, impact="low").id, by="dave")
    tick_all(cdesk, low.id)
    assert cdesk.changes.approve(low.id, by="carla").state == "approved"
    medium = cdesk.changes.submit(propose(cdesk, impact="medium").id, by="dave")
    tick_all(cdesk, medium.id)
    with pytest.raises(GuardFailed, match="rollback plan"):
        cdesk.changes.approve(medium.id, by="carla")
    cdesk.changes.amend(
        medium.id, rollback_plan="re-publish version 1 and restore the file", by="dave"
    )
    assert cdesk.changes.approve(medium.id, by="carla").state == "approved"


def test_a_withdrawn_mark_is_unmet_again_and_marks_name_the_person(cdesk: Desk) -> None:
    c = cdesk.changes.submit(propose(cdesk).id, by="dave")
    tick_all(cdesk, c.id)
    c = cdesk.changes.check_item(
        c.id, "documentation", evidence="manual still in review", met=False, by="carla"
    )
    assert c.unmet == ["documentation"]
    assert next(i for i in c.checklist if i.id == "tested").by == "ben"


@pytest.mark.parametrize("who", ["dave", "ben", "anna", "eve", "admin"])
def test_only_the_change_manager_may_approve(cdesk: Desk, who: str) -> None:
    c = cdesk.changes.submit(propose(cdesk).id, by="dave")
    tick_all(cdesk, c.id)
    c = cdesk.changes.get(c.id)
    with pytest.raises(PermissionDenied):
        cdesk.changes.approve(c.id, by=who)
    assert cdesk.changes.get(c.id) == c


def test_rejection_needs_a_reason(cdesk: Desk) -> None:
    c = cdesk.changes.submit(propose(cdesk).id, by="dave")
    with pytest.raises(GuardFailed, match="reason"):
        cdesk.changes.reject(c.id, reason=" ", by="carla")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "rename"}, "kind: 'rename' is not one of"),
        ({"impact": "huge"}, "impact: 'huge' is not one of"),
        ({"summary": ""}, "summary: must not be empty"),
        (
            {"definition": {"id": "laptop", "name": "x"}},
            "definition: department: required field is missing",
        ),
        ({"kind": "add"}, "'laptop' is already in the catalogue"),
        (
            {"kind": "retire", "definition": None, "service_id": "hoverboard"},
            "'hoverboard' is not an active",
        ),
    ],
)
def test_bad_proposals_are_refused_with_the_field_named(
    cdesk: Desk, kwargs: dict, message: str
) -> None:
    args = {
        "kind": "modify",
        "definition": laptop_faster(cdesk),
        "impact": "low",
        "summary": "x",
        "by": "dave",
    }
    with pytest.raises(ValidationError) as err:
        cdesk.changes.propose(**{**args, **kwargs})
    assert message in str(err.value)
    assert cdesk.changes.list() == []


def test_implementation_publishes_a_version_and_writes_the_file(cdesk: Desk, folder: Path) -> None:
    c = in_state(cdesk, "implemented")
    assert (c.previous_version, c.published_version) == (1, 2)
    assert cdesk.services.get("laptop").delivery.lead_time.days == 3
    written = yaml.safe_load((folder / "services" / "laptop.yaml").read_text())
    assert written["delivery"]["lead_time"] == "P3D"
    assert (
        load_catalogue(folder).services["laptop"].delivery.lead_time.days == 3
    )  # still a valid catalogue
    assert cdesk.changes.diff().clean


def test_the_file_is_written_only_after_the_database_committed(
    cdesk: Desk, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bpsm.processes import base

    c = in_state(cdesk, "approved")
    before = (folder / "services" / "laptop.yaml").read_text()

    def broken(*_: object, **__: object) -> None:  # the audit insert fails after the effect ran
        raise RuntimeError("disk full")

    monkeypatch.setattr(base, "audit", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        cdesk.changes.implement(c.id, by="carla")
    monkeypatch.undo()
    assert (
        folder / "services" / "laptop.yaml"
    ).read_text() == before  # the after-commit hook never ran
    assert (
        cdesk.changes.get(c.id) == c and cdesk.services.get("laptop").delivery.lead_time.days != 3
    )
    assert cdesk.changes.implement(c.id, by="carla").state == "implemented"
    assert (folder / "services" / "laptop.yaml").read_text() != before


def test_rollback_restores_the_previous_version_and_file(cdesk: Desk, folder: Path) -> None:
    original = load_catalogue(folder).services["laptop"]
    c = in_state(cdesk, "rolled_back")
    assert cdesk.services.get("laptop") == original
    assert load_catalogue(folder).services["laptop"] == original
    assert cdesk.changes.diff().clean
    assert [e.trigger for e in cdesk.history(c)][-2:] == ["implement", "roll_back"]


def test_adding_and_retiring_services_through_changes(cdesk: Desk, folder: Path) -> None:
    new = cdesk.services.get("loan-device").model_dump(mode="json")
    new.update(
        id="tablet",
        name="Standard tablet",
        keywords=["tablet", "ipad"],
        alternatives=["loan-device"],
    )
    add = cdesk.changes.propose(
        kind="add", definition=new, impact="low", summary="Tablets become standard", by="dave"
    )
    cdesk.changes.submit(add.id, by="dave")
    tick_all(cdesk, add.id)
    cdesk.changes.approve(add.id, by="carla")
    cdesk.changes.implement(add.id, by="carla")
    assert (folder / "services" / "tablet.yaml").is_file()
    assert cdesk.services.search("tablet")[0].id == "tablet"

    retire = cdesk.changes.propose(
        kind="retire", service_id="tablet", impact="low", summary="Back out", by="dave"
    )
    cdesk.changes.submit(retire.id, by="dave")
    tick_all(cdesk, retire.id)
    cdesk.changes.approve(retire.id, by="carla")
    cdesk.changes.implement(retire.id, by="carla")
    assert not (folder / "services" / "tablet.yaml").exists()
    assert "tablet" not in {s.id for s in cdesk.services.list()}
    cdesk.changes.roll_back(retire.id, reason="board wants them after all", by="carla")
    assert (folder / "services" / "tablet.yaml").is_file() and cdesk.services.get(
        "tablet"
    ).name == "Standard tablet"
    assert cdesk.changes.diff().clean


def test_diff_shows_database_versus_files(cdesk: Desk, folder: Path) -> None:
    laptop = folder / "services" / "laptop.yaml"
    laptop.write_text(laptop.read_text().replace("lead_time: P5D", "lead_time: P4D", 1))
    (folder / "services" / "mail-and-parcels.yaml").unlink()
    diff = cdesk.changes.diff()
    assert (diff.different, diff.only_in_database, diff.only_in_files) == (
        ["laptop"],
        ["mail-and-parcels"],
        [],
    )
    result = CliRunner().invoke(
        app,
        [
            "catalogue",
            "diff",
            str(folder),
            "--db",
            str(cdesk.engine.url.render_as_string(hide_password=False)),
        ],
    )
    assert result.exit_code == 1, result.output
    assert "laptop" in result.output and "mail-and-parcels" in result.output


def test_a_stale_change_is_not_overwritten(cdesk: Desk) -> None:
    c = cdesk.changes.submit(propose(cdesk).id, by="dave")
    cdesk.changes.check_item(c.id, "tested", evidence="pilot", by="ben")
    with pytest.raises(ConcurrentModification):
        cdesk.changes.reject(c.id, reason="stale view", by="carla", expected_version=c.version)
    assert cdesk.changes.get(c.id).state == "submitted"


def test_rollback_restores_the_same_content_as_a_linked_version_and_the_file_bytes(
    db_url: str, folder: Path
) -> None:
    from bpsm.catalogue.sync import content_hash
    from bpsm.store.tables import ServiceVersionRow

    laptop = folder / "services" / "laptop.yaml"
    text = laptop.read_text().replace("faq:", "# Answers checked with the pilot group.\nfaq:", 1)
    laptop.write_text("# Owned by IT; reviewed every quarter.\n" + text)
    original = laptop.read_bytes()
    with Desk.open(db_url, catalogue=folder) as desk:
        c = in_state(desk, "implemented")
        written = laptop.read_text()
        assert written.startswith("# Owned by IT; reviewed every quarter.\n")  # header kept
        assert "# Answers checked with the pilot group.\nfaq:" in written  # untouched key kept
        assert "lead_time: P3D" in written and "lead_time: P5D" not in written
        assert load_catalogue(folder).services["laptop"] == desk.services.get("laptop")
        desk.changes.roll_back(c.id, reason="pilot users want 5 days back", by="carla")
        assert laptop.read_bytes() == original  # comments and layout of version 1, byte for byte
        with desk.transaction() as s:
            v1, v2, v3 = (s.get(ServiceVersionRow, ("laptop", n)) for n in (1, 2, 3))
            assert v3 is not None and v1 is not None and v2 is not None
            assert (v3.restores_version, v3.content_hash) == (1, v1.content_hash)
            assert v2.restores_version is None and v2.content_hash != v1.content_hash
        assert content_hash(desk.services.get("laptop")) == v1.content_hash
        assert desk.history(c)[-1].data == {"restores_version": 1, "published_version": 3}
        assert desk.changes.diff().clean
        assert desk.catalogue_plan().empty  # files and database agree


def test_a_proposal_whose_file_would_exceed_the_catalogue_limit_is_refused(cdesk: Desk) -> None:
    definition = laptop_faster(cdesk)
    definition["faq"] = [{"q": f"Question {i}?", "a": "word " * 3000} for i in range(80)]
    with pytest.raises(ValidationError, match=r"definition: its file would be [\d,]+ bytes"):
        cdesk.changes.propose(
            kind="modify", definition=definition, impact="low", summary="x", by="dave"
        )
    assert cdesk.changes.list() == []
