"""The change process: changes to the catalogue only, with the change manager as gatekeeper.

A proposal (add / modify / retire a service) carries the proposed service definition, checked by
the same schema as the catalogue files, and an impact level. While it is ``submitted``, named
people mark the checklist items of ``desk.yaml`` as met, with evidence. Only a change manager can
``approve``, and only when every item is met (and a rollback plan exists from the configured
impact level up); otherwise the refusal lists every unmet item. ``implement`` publishes a new
catalogue version and writes the service file back into the catalogue folder; ``roll_back``
restores what was there before.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from bpsm import clock
from bpsm.catalogue.loader import validate_service
from bpsm.catalogue.schema import DeskConfig, Service
from bpsm.catalogue.sync import publish_service
from bpsm.errors import GuardFailed, NotFound, ValidationError
from bpsm.processes.base import Process, Step, audit, load_row
from bpsm.roles import ACCOUNT_MANAGER, ADMIN, CHANGE_MANAGER, MANAGER, SPECIALIST, Person, require
from bpsm.store.tables.change import ChangeRow, ChecklistMarkRow
from bpsm.store.tables.core import ServiceRow, ServiceVersionRow

__all__ = ["CHANGE", "FileOp", "IMPACTS", "KINDS", "amend", "checklist_status", "propose"]

S = Step.row

#: The change process, top to bottom.
CHANGE = Process(
    name="change",
    states=("draft", "submitted", "approved", "rejected", "implemented", "rolled_back", "withdrawn"),
    initial="draft",
    final=("rejected", "rolled_back", "withdrawn"),
    table=(
        S("propose", (), "draft", {ACCOUNT_MANAGER, ADMIN, CHANGE_MANAGER, MANAGER, SPECIALIST},
          "propose adding, modifying or retiring a service"),
        S("submit", "draft", "submitted", {ACCOUNT_MANAGER, ADMIN, CHANGE_MANAGER, MANAGER, SPECIALIST}, "put before the change manager; the checklist is worked"),
        S("amend", ("draft", "submitted"), None, {ACCOUNT_MANAGER, ADMIN, CHANGE_MANAGER, MANAGER, SPECIALIST}, "record or improve the rollback plan, impact or summary"),
        S("check_item", "submitted", "submitted", {ACCOUNT_MANAGER, ADMIN, CHANGE_MANAGER, SPECIALIST}, "a named person marks a checklist item, with evidence"),
        S("approve", "submitted", "approved", {CHANGE_MANAGER}, "the gatekeeper: every checklist item met"),
        S("reject", "submitted", "rejected", {CHANGE_MANAGER}, "the change manager says no, with a reason"),
        S("implement", "approved", "implemented", {CHANGE_MANAGER}, "publish the new catalogue version and write the file"),
        S("roll_back", "implemented", "rolled_back", {CHANGE_MANAGER}, "restore the previous version"),
        S("withdraw", ("draft", "submitted", "approved"), "withdrawn", {ACCOUNT_MANAGER, ADMIN, CHANGE_MANAGER, MANAGER, SPECIALIST}, "the proposer takes it back"),
    ),
)

KINDS = ("add", "modify", "retire")
IMPACTS = ("low", "medium", "high")


@dataclass(frozen=True)
class FileOp:
    """A change to a catalogue file, applied only after the database transaction commits."""

    path: Path
    content: str | None  # None: delete the file

    def apply(self) -> None:
        if self.content is None:
            self.path.unlink(missing_ok=True)
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(self.path.suffix + ".tmp")
        tmp.write_text(self.content, encoding="utf-8")
        tmp.replace(self.path)


def service_yaml(service: Service) -> str:
    """A service as catalogue-file YAML (the same schema the loader reads)."""
    data = service.model_dump(mode="json", exclude_defaults=True)
    data = {"id": data.pop("id"), **data}
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def load(s: Session, change_id: int, expected_version: int | None = None) -> ChangeRow:
    """Fetch a change, checking the version the caller last saw."""
    return load_row(s, ChangeRow, "change", change_id, expected_version)


def propose(s: Session, by: Person, *, kind: str, summary: str, impact: str = "medium",
            service_id: str | None = None, definition: dict[str, Any] | Service | None = None,
            rollback_plan: str | None = None, origin: tuple[str, object] | None = None) -> ChangeRow:
    """Record a change proposal in ``draft``. The definition is validated like a catalogue file.

    Raises:
        ValidationError: unknown kind or impact, a definition that breaks the schema, an add for an
            existing service, a modify/retire of an unknown one.
    """
    CHANGE.require(by, "propose")
    if kind not in KINDS:
        raise ValidationError(f"kind: {kind!r} is not one of {', '.join(KINDS)}")
    if impact not in IMPACTS:
        raise ValidationError(f"impact: {impact!r} is not one of {', '.join(IMPACTS)}")
    if not (summary or "").strip():
        raise ValidationError("summary: must not be empty")
    service: Service | None = None
    if kind in ("add", "modify"):
        if definition is None:
            raise ValidationError(f"definition: a change of kind {kind!r} needs the proposed service definition")
        service = definition if isinstance(definition, Service) else validate_service(definition, "definition")
        if service_id is not None and service_id != service.id:
            raise ValidationError(f"service_id: {service_id!r} differs from the definition's id {service.id!r}")
        service_id = service.id
    elif definition is not None:
        raise ValidationError("definition: a retirement carries no definition")
    if service_id is None:
        raise ValidationError("service_id: required")
    existing = s.get(ServiceRow, service_id)
    if kind == "add" and existing is not None and existing.active:
        raise ValidationError(f"service_id: {service_id!r} is already in the catalogue; propose a modify")
    if kind in ("modify", "retire") and (existing is None or not existing.active):
        raise ValidationError(f"service_id: {service_id!r} is not an active catalogue service")
    now = clock.now()
    row = ChangeRow(state=CHANGE.initial, kind=kind, service_id=service_id, impact=impact, summary=summary.strip(),
                    definition=service.model_dump(mode="json") if service else None,
                    rollback_plan=(rollback_plan or "").strip() or None,
                    origin_type=origin[0] if origin else None, origin_id=str(origin[1]) if origin else None,
                    proposed_by=by.id, proposed_at=now, updated_at=now)
    s.add(row)
    s.flush()
    audit(s, by, "change", row.id, "propose", None, row.state, row.summary,
          {"kind": kind, "service_id": service_id, "impact": impact,
           "origin": f"{origin[0]} {origin[1]}" if origin else None})
    return row


def submit(s: Session, by: Person, row: ChangeRow) -> None:
    """Put the proposal before the change manager."""
    CHANGE.apply(s, row, "submit", by)


def check_item(s: Session, by: Person, row: ChangeRow, config: DeskConfig, item_id: str, evidence: str,
               met: bool = True) -> None:
    """Mark checklist item ``item_id`` met (or not met any more), by ``by``, with evidence."""
    CHANGE.check(row, "check_item", by)
    known = [c.id for c in config.checklist]
    if item_id not in known:
        raise ValidationError(f"checklist item: {item_id!r} is not one of {', '.join(known)}")
    if not (evidence or "").strip():
        raise GuardFailed("evidence", f"marking {item_id!r} needs an evidence note")
    CHANGE.apply(s, row, "check_item", by, reason=evidence.strip(), data={"item": item_id, "met": met})
    s.add(ChecklistMarkRow(change_id=row.id, item_id=item_id, met=met, by=by.id, at=clock.now(),
                           evidence=evidence.strip()))


def amend(s: Session, by: Person, row: ChangeRow, *, rollback_plan: str | None = None, impact: str | None = None,
          summary: str | None = None, definition: dict[str, Any] | Service | None = None) -> None:
    """Record the rollback plan, or correct impact, summary or the proposed definition, before the decision."""
    CHANGE.check(row, "amend", by)
    changes: dict[str, Any] = {}
    if definition is not None:
        if row.kind == "retire":
            raise ValidationError("definition: a retirement carries no definition")
        service = definition if isinstance(definition, Service) else validate_service(definition, "definition")
        if service.id != row.service_id:
            raise ValidationError(f"definition: id {service.id!r} differs from the change's service {row.service_id!r}")
        changes["definition"] = service.model_dump(mode="json")
    if rollback_plan is not None:
        if not rollback_plan.strip():
            raise ValidationError("rollback_plan: must not be empty")
        changes["rollback_plan"] = rollback_plan.strip()
    if impact is not None:
        if impact not in IMPACTS:
            raise ValidationError(f"impact: {impact!r} is not one of {', '.join(IMPACTS)}")
        changes["impact"] = impact
    if summary is not None:
        if not summary.strip():
            raise ValidationError("summary: must not be empty")
        changes["summary"] = summary.strip()
    if not changes:
        raise ValidationError("amend: nothing to change (rollback_plan, impact, summary or definition)")
    before = {k: getattr(row, k) for k in changes}
    CHANGE.apply(s, row, "amend", by, data={"fields": sorted(changes), "before": before, "after": changes})
    for key, value in changes.items():
        setattr(row, key, value)


def checklist_status(s: Session, row: ChangeRow, config: DeskConfig) -> list[dict[str, Any]]:
    """Each checklist item with its latest mark: id, text, met, by, at, evidence."""
    marks = s.scalars(select(ChecklistMarkRow).where(ChecklistMarkRow.change_id == row.id)
                      .order_by(ChecklistMarkRow.id)).all()
    latest = {m.item_id: m for m in marks}
    out = []
    for item in config.checklist:
        m = latest.get(item.id)
        out.append({"id": item.id, "text": item.text, "met": bool(m and m.met), "by": m.by if m else None,
                    "at": m.at if m else None, "evidence": m.evidence if m else None})
    return out


def rollback_plan_required(row: ChangeRow, config: DeskConfig) -> bool:
    """A rollback plan is mandatory from ``desk.yaml``'s ``rollback_required_from`` impact up."""
    return IMPACTS.index(row.impact) >= IMPACTS.index(config.rollback_required_from)


def approve(s: Session, by: Person, row: ChangeRow, config: DeskConfig, note: str | None = None) -> None:
    """The gate: refuse, listing every unmet item, unless the whole checklist is met."""
    CHANGE.check(row, "approve", by)
    unmet = [f"{i['id']} ({i['text']})" for i in checklist_status(s, row, config) if not i["met"]]
    if rollback_plan_required(row, config) and not row.rollback_plan:
        unmet.append(f"rollback plan: required for {row.impact}-impact changes "
                     f"(from {config.rollback_required_from} up) but none is recorded")
    if unmet:
        raise GuardFailed("checklist_met", "unmet: " + "; ".join(unmet))
    CHANGE.apply(s, row, "approve", by, reason=note)
    row.decided_by, row.decided_at, row.decision_reason = by.id, clock.now(), note


def reject(s: Session, by: Person, row: ChangeRow, reason: str) -> None:
    """Say no, with the reason."""
    CHANGE.check(row, "reject", by)
    if not (reason or "").strip():
        raise GuardFailed("rejection_reason", "a rejection needs a reason")
    CHANGE.apply(s, row, "reject", by, reason=reason.strip())
    row.decided_by, row.decided_at, row.decision_reason = by.id, clock.now(), reason.strip()


def _service_file(catalogue_root: Path, service_id: str, files: dict[str, Path]) -> Path:
    return files.get(service_id, catalogue_root / "services" / f"{service_id}.yaml")


def implement(s: Session, by: Person, row: ChangeRow, catalogue_root: Path, files: dict[str, Path]) -> FileOp:
    """Publish the change as a new catalogue version; returns the file write to do after commit."""
    CHANGE.check(row, "implement", by)
    current = s.get(ServiceRow, row.service_id)
    if row.kind == "add" and current is not None and current.active:
        raise GuardFailed("service_absent", f"{row.service_id!r} was added to the catalogue meanwhile")
    if row.kind in ("modify", "retire") and (current is None or not current.active):
        raise GuardFailed("service_present", f"{row.service_id!r} is no longer an active catalogue service")
    CHANGE.apply(s, row, "implement", by)
    row.previous_version = current.current_version if current is not None and current.active else None
    path = _service_file(catalogue_root, row.service_id, files)
    if row.kind == "retire":
        assert current is not None
        current.active, current.updated_at = False, clock.now()
        row.published_version = None
        op = FileOp(path, None)
    else:
        service = Service.model_validate(row.definition)
        _, row.published_version = publish_service(s, service, f"change:{row.id}")
        op = FileOp(path, service_yaml(service))
    row.implemented_at = clock.now()
    return op


def roll_back(s: Session, by: Person, row: ChangeRow, reason: str, catalogue_root: Path,
              files: dict[str, Path]) -> FileOp:
    """Restore the catalogue as it was before this change; returns the file write to do after commit."""
    CHANGE.check(row, "roll_back", by)
    if not (reason or "").strip():
        raise GuardFailed("rollback_reason", "say why the change is rolled back")
    current = s.get(ServiceRow, row.service_id)
    if current is None:
        raise NotFound("service", row.service_id)
    CHANGE.apply(s, row, "roll_back", by, reason=reason.strip(),
                 data={"restores_version": row.previous_version})
    path = _service_file(catalogue_root, row.service_id, files)
    if row.previous_version is None:  # it was an add: take the service out again
        current.active, current.updated_at = False, clock.now()
        return FileOp(path, None)
    before = s.get(ServiceVersionRow, (row.service_id, row.previous_version))
    assert before is not None
    service = Service.model_validate(before.definition)
    publish_service(s, service, f"rollback of change:{row.id}")
    return FileOp(path, service_yaml(service))


def withdraw(s: Session, by: Person, row: ChangeRow, reason: str) -> None:
    """The proposer takes the change back."""
    CHANGE.check(row, "withdraw", by)
    if not (reason or "").strip():
        raise GuardFailed("withdraw_reason", "say why the change is withdrawn")
    CHANGE.apply(s, row, "withdraw", by, reason=reason.strip())
