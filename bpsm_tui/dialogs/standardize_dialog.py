"""Standardize a delivered bespoke solution: the proposed catalogue service, as a form.

The library drafts the definition from the case (``desk.relations.draft_service``: id, name,
department, group, description, keywords, account manager, alternatives), loaded in a worker;
the account manager completes what only they know — the ordering procedure, the delivery terms,
the owner, two FAQ entries and a quality level — and the change's impact and rollback plan. The
library checks the whole definition when the step fires; what it refuses comes back here with
everything typed kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import pairwise
from typing import Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Input, Label, Select

from bpsm import Desk, RelationCaseView
from bpsm_tui.data.format import error_text
from bpsm_tui.dialogs.base import FIELD_BINDINGS
from bpsm_tui.dialogs.relation_dialogs import ScrollingDialog

__all__ = ["FIELDS", "StandardizeDialog"]

#: The definition's fields the form shows: (field id, label, path in the definition).
FIELDS: tuple[tuple[str, str, tuple[str | int, ...]], ...] = (
    ("id", "Service id", ("id",)),
    ("name", "Name", ("name",)),
    ("department", "Department", ("department",)),
    ("group", "Group that handles its calls", ("group",)),
    ("description", "Description", ("description",)),
    ("keywords", "Keywords (separated by ;)", ("keywords",)),
    ("ordering", "How to order it (in the customer's words)", ("ordering",)),
    ("lead_time", "Delivery lead time (e.g. 2 days, P2D)", ("delivery", "lead_time")),
    ("pickup", "Where the customer gets it", ("delivery", "pickup")),
    ("owner", "Service owner", ("owner",)),
    ("faq1_q", "FAQ 1: question", ("faq", 0, "q")),
    ("faq1_a", "FAQ 1: answer", ("faq", 0, "a")),
    ("faq2_q", "FAQ 2: question", ("faq", 1, "q")),
    ("faq2_a", "FAQ 2: answer", ("faq", 1, "a")),
    ("level", "Quality level name (e.g. standard)", ("quality_levels", 0, "name")),
    ("level_text", "Quality level description", ("quality_levels", 0, "description")),
    ("response", "Response time (e.g. 4 hours)", ("quality_levels", 0, "response_time")),
    ("resolution", "Resolution time (e.g. 2 days)", ("quality_levels", 0, "resolution_time")),
)


def _get(tree: Any, path: tuple[str | int, ...]) -> Any:
    for part in path:
        if isinstance(part, int):
            tree = tree[part] if isinstance(tree, list) and len(tree) > part else None
        else:
            tree = tree.get(part) if isinstance(tree, dict) else None
        if tree is None:
            return None
    return tree


def _put(tree: dict[str, Any], path: tuple[str | int, ...], value: Any) -> None:
    node: Any = tree
    for part, after in pairwise(path):
        if isinstance(part, int):
            while len(node) <= part:
                node.append({})
            node = node[part]
        else:
            node = node.setdefault(part, [] if isinstance(after, int) else {})
    last = path[-1]
    if isinstance(last, str):
        node[last] = value


class StandardizeDialog(ScrollingDialog):
    """The proposed service's definition, the change's impact and its rollback plan."""

    KEYS = "tab/enter next field · ctrl+s propose the change · esc cancel"
    BINDINGS: ClassVar[list[BindingType]] = [
        *FIELD_BINDINGS,
        Binding(
            "ctrl+s",
            "confirm",
            "Propose",
            priority=True,
            id="relation.standardize-confirm",
            tooltip="Open the change proposal with this definition",
        ),
    ]
    """Enter or tab move on, ctrl+s proposes the change."""

    class Drafted(Message):
        """The library's draft definition for the case (from the worker)."""

        def __init__(self, draft: dict[str, Any] | None, error: str = "") -> None:
            super().__init__()
            self.draft, self.error = draft, error

    def __init__(
        self,
        title: str,
        desk: Desk,
        case: RelationCaseView,
        *,
        by: str,
        typed: Mapping[str, Any] | None = None,
        error: str = "",
    ) -> None:
        super().__init__(title, f"{case.customer}: {case.request}")
        self._desk, self._case, self._by = desk, case, by
        self._typed, self._error = dict(typed or {}), error
        self._draft: dict[str, Any] = dict(self._typed.get("definition") or {})

    def body(self) -> ComposeResult:
        for field, label, _ in FIELDS:
            yield Label(label)
            yield Input(id=f"std-{field}")
        yield Label("Impact of the change")
        yield Select(
            [("low", "low"), ("medium", "medium"), ("high", "high")],
            id="std-impact",
            value=self._typed.get("impact") or "medium",
            allow_blank=False,
        )
        yield Label("Rollback plan (the higher the impact, the more it is required)")
        yield Input(id="std-rollback", value=self._typed.get("rollback_plan") or "")

    def on_mount(self) -> None:
        if self._draft:
            self._fill(self._draft)
        else:
            self._load()
        if self._error:
            self.show_error(self._error)

    @work(thread=True, exclusive=True, group="standardize-draft")
    def _load(self) -> None:
        try:
            draft = self._desk.relations.draft_service(self._case.id, by=self._by)
        except Exception as err:
            self.post_message(self.Drafted(None, error_text(err)))
            return
        self.post_message(self.Drafted(draft))

    def on_standardize_dialog_drafted(self, message: Drafted) -> None:
        if message.draft is None:
            self.show_error(message.error)
            return
        self._draft = message.draft
        self._fill(message.draft)

    def _fill(self, definition: Mapping[str, Any]) -> None:
        for field, _, path in FIELDS:
            value = _get(definition, path)
            if isinstance(value, list):
                value = "; ".join(str(v) for v in value)
            self.query_one(f"#std-{field}", Input).value = "" if value is None else str(value)

    def confirm(self) -> None:
        """Build the definition from the draft and the fields, and propose it."""
        definition: dict[str, Any] = {
            k: v for k, v in self._draft.items() if k not in {"faq", "quality_levels"}
        }
        for field, _, path in FIELDS:
            text = self.query_one(f"#std-{field}", Input).value.strip()
            if field == "keywords":
                definition["keywords"] = [w.strip() for w in text.split(";") if w.strip()]
            elif text:
                _put(definition, path, text)
        impact = self.query_one("#std-impact", Select).value
        rollback = self.query_one("#std-rollback", Input).value.strip()
        self.dismiss(
            {
                "definition": definition,
                "summary": None,
                "impact": impact if isinstance(impact, str) else "medium",
                "rollback_plan": rollback or None,
            }
        )
