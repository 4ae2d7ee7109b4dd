"""The change process: changes to the catalogue only, with the change manager as gatekeeper.

A proposal (add / modify / retire a service) carries the proposed service definition, checked by
the same schema as the catalogue files, and an impact level. While it is ``submitted``, named
people mark the checklist items of ``desk.yaml`` as met, with evidence. Only a change manager can
``approve``, and only when every item is met (and a rollback plan exists from the configured
impact level up); otherwise the refusal lists every unmet item. ``implement`` publishes a new
catalogue version and writes the service file back into the catalogue folder; ``roll_back``
restores what was there before: the previous definition republished as version n+2 with
``restores_version = n`` (same content hash), and the file's exact text of version n.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bpsm import clock
from bpsm.catalogue.loader import validate_service
from bpsm.catalogue.schema import DeskConfig, Service
from bpsm.catalogue.sync import publish_service
from bpsm.catalogue.writeback import rewrite_service_file, service_yaml
from bpsm.catalogue.yamlfile import MAX_FILE_BYTES
from bpsm.errors import NotFound, ValidationError
from bpsm.processes.base import (
    Ask,
    Context,
    Guard,
    Process,
    Step,
    audit,
    load_row,
    optional,
    reason,
)
from bpsm.roles import ACCOUNT_MANAGER, ADMIN, CHANGE_MANAGER, MANAGER, SPECIALIST, Person
from bpsm.store.tables.catalogue import PUBLISHED_ID, PublishedCatalogueRow
from bpsm.store.tables.change import ChangeRow, ChecklistMarkRow
from bpsm.store.tables.core import ServiceRow, ServiceVersionRow

__all__ = [
    "CHANGE",
    "IMPACTS",
    "KINDS",
    "FileOp",
    "checklist_status",
    "load",
    "propose",
    "service_yaml",
]

# -- guards and effects (read with the table below) -------------------------------------------


def _known_item(ctx: Context) -> bool:
    known = [c.id for c in ctx.env.config.checklist]
    if ctx.item not in known:
        raise ValidationError(f"checklist item: {ctx.item!r} is not one of {', '.join(known)}")
    return True


def _check_item(ctx: Context) -> None:
    met = True if ctx.met is None else ctx.met
    ctx.reason, ctx.data = ctx.evidence, {"item": ctx.item, "met": met}
    ctx.session.add(
        ChecklistMarkRow(
            change_id=ctx.row.id,
            item_id=ctx.item,
            met=met,
            by=ctx.by.id,
            at=clock.now(),
            evidence=ctx.evidence,
        )
    )


def proposed_service(definition: Service | dict[str, Any]) -> Service:
    """The proposed definition, validated as a catalogue file would be, size included.

    Raises:
        ValidationError: the definition is invalid, or its file would exceed the catalogue's
            file limit (the next load would refuse the file the change writes back).
    """
    service = (
        definition
        if isinstance(definition, Service)
        else validate_service(definition, "definition")
    )
    size = len(service_yaml(service).encode("utf-8"))
    if size > MAX_FILE_BYTES:
        raise ValidationError(
            f"definition: its file would be {size:,} bytes; a catalogue file may be at most "
            f"{MAX_FILE_BYTES:,} bytes (1 MiB)"
        )
    return service


def _amendments(ctx: Context) -> dict[str, Any]:
    row, changes = ctx.row, {}
    definition, rollback_plan = ctx.answers.get("definition"), ctx.answers.get("rollback_plan")
    impact, summary = ctx.answers.get("impact"), ctx.answers.get("summary")
    if definition is not None:
        if row.kind == "retire":
            raise ValidationError("definition: a retirement carries no definition")
        service = proposed_service(definition)
        if service.id != row.service_id:
            raise ValidationError(
                f"definition: id {service.id!r} differs from the change's service "
                f"{row.service_id!r}"
            )
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
        raise ValidationError(
            "amend: nothing to change (rollback_plan, impact, summary or definition)"
        )
    return changes


def _amend(ctx: Context) -> None:
    changes = _amendments(ctx)
    ctx.data = {
        "fields": sorted(changes),
        "before": {k: getattr(ctx.row, k) for k in changes},
        "after": changes,
    }
    for key, value in changes.items():
        setattr(ctx.row, key, value)


def _unmet(ctx: Context) -> bool | str:
    row, config = ctx.row, ctx.env.config
    unmet = [
        f"{i['id']} ({i['text']})"
        for i in checklist_status(ctx.session, row, config)
        if not i["met"]
    ]
    if rollback_plan_required(row, config) and not row.rollback_plan:
        unmet.append(
            f"rollback plan: required for {row.impact}-impact changes "
            f"(from {config.rollback_required_from} up) but none is recorded"
        )
    return "unmet: " + "; ".join(unmet) if unmet else True


def _decide(ctx: Context) -> None:
    ctx.row.decided_by, ctx.row.decided_at, ctx.row.decision_reason = (
        ctx.by.id,
        clock.now(),
        ctx.reason,
    )


def _active(ctx: Context) -> bool:
    current = ctx.session.get(ServiceRow, ctx.row.service_id)
    return current is not None and current.active


def _service_absent(ctx: Context) -> bool | str:
    return (
        ctx.row.kind != "add"
        or not _active(ctx)
        or f"{ctx.row.service_id!r} was added to the catalogue meanwhile"
    )


def _service_present(ctx: Context) -> bool | str:
    return (
        ctx.row.kind == "add"
        or _active(ctx)
        or f"{ctx.row.service_id!r} is no longer an active catalogue service"
    )


def _makes_a_difference(ctx: Context) -> bool | str:
    """A modify must propose something other than the published version: implementing the same
    definition would republish it as a new version that changes nothing."""
    row = ctx.row
    if row.kind != "modify" or row.definition is None:
        return True
    current = ctx.session.get(ServiceRow, row.service_id)
    if current is None or not current.active:
        return True  # the service-present guard says so
    version = ctx.session.get(ServiceVersionRow, (row.service_id, current.current_version))
    if version is None or Service.model_validate(row.definition) != Service.model_validate(
        version.definition
    ):
        return True
    return (
        f"it proposes {row.service_id} exactly as published (v{current.current_version}); "
        "amend the proposed definition first"
    )


def _write_back(ctx: Context, op: FileOp) -> None:
    """Record the publication and write the service file once the database has committed."""
    published = ctx.session.get(PublishedCatalogueRow, PUBLISHED_ID)
    if published is not None:
        files = dict(published.files)
        if op.content is None:
            files.pop(ctx.row.service_id, None)
        else:
            files[ctx.row.service_id] = _relative(op.path, Path(published.folder))
        published.files, published.revision = files, published.revision + 1
        published.published_at, published.published_by = clock.now(), ctx.by.id
    ctx.uow.after_commit(op.apply)
    ctx.result = op


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return (Path("services") / path.name).as_posix()


def _file(ctx: Context) -> Path:
    sid, published = ctx.row.service_id, ctx.session.get(PublishedCatalogueRow, PUBLISHED_ID)
    if published is None:
        raise ValidationError("catalogue: this database publishes no catalogue to write back to")
    root = Path(published.folder)
    return root / published.files.get(sid, f"services/{sid}.yaml")


def _implement(ctx: Context) -> None:
    row, s = ctx.row, ctx.session
    current = s.get(ServiceRow, row.service_id)
    row.previous_version = (
        current.current_version if current is not None and current.active else None
    )
    path = _file(ctx)
    if row.kind == "retire":
        assert current is not None
        current.active, current.updated_at = False, clock.now()
        row.published_version = None
        op = FileOp(path, None)
    else:
        service = Service.model_validate(row.definition)
        text = rewrite_service_file(_current_text(path), service)
        _, row.published_version = publish_service(s, service, f"change:{row.id}", text=text)
        op = FileOp(path, text)
    row.implemented_at = clock.now()
    _write_back(ctx, op)


def _current_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _roll_back(ctx: Context) -> None:
    """Restore the previous definition as a new version with the same content (``restores``).

    The file gets back the exact text the restored version was published from, comments and
    all; only a version without recorded text (none so far) is written from its definition.
    """
    row, s = ctx.row, ctx.session
    current = s.get(ServiceRow, row.service_id)
    if current is None:
        raise NotFound("service", row.service_id)
    ctx.data = {"restores_version": row.previous_version}
    if row.previous_version is None:  # it was an add: take the service out again
        current.active, current.updated_at = False, clock.now()
        _write_back(ctx, FileOp(_file(ctx), None))
        return
    before = s.get(ServiceVersionRow, (row.service_id, row.previous_version))
    assert before is not None
    service = Service.model_validate(before.definition)
    text = before.file_text or service_yaml(service)
    _, version = publish_service(
        s, service, f"rollback of change:{row.id}", text=text, restores=before.version
    )
    ctx.data["published_version"] = version
    _write_back(ctx, FileOp(_file(ctx), text))


S = Step.row
PROPOSERS = {ACCOUNT_MANAGER, ADMIN, CHANGE_MANAGER, MANAGER, SPECIALIST}

#: The change process, top to bottom.
CHANGE = Process(
    name="change",
    states=(
        "draft",
        "submitted",
        "approved",
        "rejected",
        "implemented",
        "rolled_back",
        "withdrawn",
    ),
    initial="draft",
    final=("rejected", "rolled_back", "withdrawn"),
    table=(
        S("propose", (), "draft", PROPOSERS, "propose adding, modifying or retiring a service"),
        S(
            "submit",
            "draft",
            "submitted",
            PROPOSERS,
            "put before the change manager; the checklist is worked",
            guards=[Guard("difference", "the proposal changes nothing", _makes_a_difference)],
        ),
        S(
            "amend",
            ("draft", "submitted"),
            None,
            PROPOSERS,
            "record or improve the rollback plan, impact or summary",
            asks=[
                optional("rollback_plan", "Rollback plan", "any"),
                optional("impact", "Impact (low, medium, high)", "any"),
                optional("summary", "Summary", "any"),
                optional("definition", "The proposed service definition", "any"),
            ],
            effect=_amend,
        ),
        S(
            "check_item",
            "submitted",
            "submitted",
            {ACCOUNT_MANAGER, ADMIN, CHANGE_MANAGER, SPECIALIST},
            "a named person marks a checklist item, with evidence",
            asks=[
                Ask("item", "Which checklist item?", "choice", choices_from="checklist"),
                optional("evidence", "Evidence: what shows it is met?"),
                optional("met", "Met? (no withdraws an earlier mark)", "yes_no"),
            ],
            guards=[
                Guard("known_item", "not an item of the desk's checklist", _known_item),
                Guard(
                    "evidence",
                    "marking an item needs an evidence note",
                    lambda ctx: (
                        ctx.evidence is not None or f"marking {ctx.item!r} needs an evidence note"
                    ),
                ),
            ],
            effect=_check_item,
        ),
        S(
            "approve",
            "submitted",
            "approved",
            {CHANGE_MANAGER},
            "the gatekeeper: every checklist item met",
            asks=[optional("note", "Note (optional)")],
            reason="note",
            guards=[Guard("checklist_met", "the checklist is not met", _unmet)],
            effect=_decide,
        ),
        S(
            "reject",
            "submitted",
            "rejected",
            {CHANGE_MANAGER},
            "the change manager says no, with a reason",
            asks=[
                reason(
                    "Why is the change rejected?",
                    guard="rejection_reason",
                    why="a rejection needs a reason",
                )
            ],
            effect=_decide,
        ),
        S(
            "implement",
            "approved",
            "implemented",
            {CHANGE_MANAGER},
            "publish the new catalogue version and write the file",
            guards=[
                Guard("difference", "the proposal changes nothing", _makes_a_difference),
                Guard("service_absent", "the service was added meanwhile", _service_absent),
                Guard("service_present", "the service is no longer active", _service_present),
            ],
            effect=_implement,
        ),
        S(
            "roll_back",
            "implemented",
            "rolled_back",
            {CHANGE_MANAGER},
            "restore the previous version",
            asks=[
                reason(
                    "Why is it rolled back?",
                    guard="rollback_reason",
                    why="say why the change is rolled back",
                )
            ],
            effect=_roll_back,
        ),
        S(
            "withdraw",
            ("draft", "submitted", "approved"),
            "withdrawn",
            PROPOSERS,
            "the proposer takes it back",
            asks=[
                reason(
                    "Why is it withdrawn?",
                    guard="withdraw_reason",
                    why="say why the change is withdrawn",
                )
            ],
        ),
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


def load(s: Session, change_id: int, expected_version: int | None = None) -> ChangeRow:
    """Fetch a change, checking the version the caller last saw."""
    return load_row(s, ChangeRow, "change", change_id, expected_version)


def propose(
    s: Session,
    by: Person,
    *,
    kind: str,
    summary: str,
    impact: str = "medium",
    service_id: str | None = None,
    definition: dict[str, Any] | Service | None = None,
    rollback_plan: str | None = None,
    origin: tuple[str, object] | None = None,
) -> ChangeRow:
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
            raise ValidationError(
                f"definition: a change of kind {kind!r} needs the proposed service definition"
            )
        service = proposed_service(definition)
        if service_id is not None and service_id != service.id:
            raise ValidationError(
                f"service_id: {service_id!r} differs from the definition's id {service.id!r}"
            )
        service_id = service.id
    elif definition is not None:
        raise ValidationError("definition: a retirement carries no definition")
    if service_id is None:
        raise ValidationError("service_id: required")
    existing = s.get(ServiceRow, service_id)
    if kind == "add" and existing is not None and existing.active:
        raise ValidationError(
            f"service_id: {service_id!r} is already in the catalogue; propose a modify"
        )
    if kind in ("modify", "retire") and (existing is None or not existing.active):
        raise ValidationError(f"service_id: {service_id!r} is not an active catalogue service")
    now = clock.now()
    row = ChangeRow(
        state=CHANGE.initial,
        kind=kind,
        service_id=service_id,
        impact=impact,
        summary=summary.strip(),
        definition=service.model_dump(mode="json") if service else None,
        rollback_plan=(rollback_plan or "").strip() or None,
        origin_type=origin[0] if origin else None,
        origin_id=str(origin[1]) if origin else None,
        proposed_by=by.id,
        proposed_at=now,
        updated_at=now,
    )
    s.add(row)
    s.flush()
    audit(
        s,
        by,
        "change",
        row.id,
        "propose",
        None,
        row.state,
        row.summary,
        {
            "kind": kind,
            "service_id": service_id,
            "impact": impact,
            "origin": f"{origin[0]} {origin[1]}" if origin else None,
        },
    )
    return row


def checklist_status(s: Session, row: ChangeRow, config: DeskConfig) -> list[dict[str, Any]]:
    """Each checklist item with its latest mark: id, text, met, by, at, evidence."""
    marks = s.scalars(
        select(ChecklistMarkRow)
        .where(ChecklistMarkRow.change_id == row.id)
        .order_by(ChecklistMarkRow.id)
    ).all()
    latest = {m.item_id: m for m in marks}
    out = []
    for item in config.checklist:
        m = latest.get(item.id)
        out.append(
            {
                "id": item.id,
                "text": item.text,
                "met": bool(m and m.met),
                "by": m.by if m else None,
                "at": m.at if m else None,
                "evidence": m.evidence if m else None,
            }
        )
    return out


def rollback_plan_required(row: ChangeRow, config: DeskConfig) -> bool:
    """A rollback plan is mandatory from ``desk.yaml``'s ``rollback_required_from`` impact up."""
    return IMPACTS.index(row.impact) >= IMPACTS.index(config.rollback_required_from)
