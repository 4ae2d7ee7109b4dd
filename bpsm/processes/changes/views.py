"""The views of the change process: a change with its checklist, its definition diff, and the
catalogue diff."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

__all__ = ["CatalogueDiff", "ChangeView", "ChecklistStatus", "DefinitionDiff"]


class ChecklistStatus(BaseModel):
    """One checklist item of a change and its latest mark."""

    model_config = ConfigDict(frozen=True)
    id: str
    text: str
    met: bool
    by: str | None
    at: datetime | None
    evidence: str | None


class ChangeView(BaseModel):
    """A change proposal as it stands, with its checklist."""

    model_config = ConfigDict(frozen=True, from_attributes=True)
    id: int
    state: str
    kind: str
    service_id: str
    definition: dict[str, Any] | None
    impact: str
    summary: str
    rollback_plan: str | None
    origin_type: str | None
    origin_id: str | None
    proposed_by: str
    proposed_at: datetime
    decided_by: str | None
    decision_reason: str | None
    implemented_at: datetime | None
    previous_version: int | None
    published_version: int | None
    version: int
    checklist: list[ChecklistStatus] = []

    audit_type: ClassVar[str] = "change"

    @property
    def number(self) -> str:
        """The change's number as people say it, e.g. ``CH-000042``."""
        return f"CH-{self.id:06d}"

    @property
    def unmet(self) -> list[str]:
        """Ids of checklist items not met yet."""
        return [i.id for i in self.checklist if not i.met]


class CatalogueDiff(BaseModel):
    """Where the database's published catalogue and the catalogue files disagree."""

    model_config = ConfigDict(frozen=True)
    only_in_files: list[str]
    only_in_database: list[str]
    different: list[str]

    @property
    def clean(self) -> bool:
        return not (self.only_in_files or self.only_in_database or self.different)


class DefinitionDiff(BaseModel):
    """What a change does to one service, as YAML texts and their unified diff.

    ``before`` is the published definition the change is measured against (the version before
    it was implemented, or the current one while it is not; empty for an add), ``after`` what it
    proposes or published (empty for a retirement). ``lines`` is ``difflib.unified_diff`` of the
    two, without line endings: ``+`` lines are new, ``-`` lines go.
    """

    model_config = ConfigDict(frozen=True)
    service_id: str
    kind: str
    before_version: int | None
    after_version: int | None
    before: str
    after: str
    lines: list[str]

    @property
    def unchanged(self) -> bool:
        """True when the proposal is the published definition as it is."""
        return not self.lines
