"""The mapping language: how an event-log CSV's columns and states become reactive calls.

A mapping is YAML, checked by pydantic; every defect is refused with the file, the field and
the value. :meth:`Mapping.check_header` refuses a mapping that names a column the file lacks,
before anything is read or written.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic import ValidationError as PydanticError

from bpsm.errors import Problem, ValidationError
from bpsm.processes.calls.steps import OPEN_STATES, REACTIVE

__all__ = ["CASE_FACTS", "REACTIVE_STATES", "Column", "Mapping", "load_mapping", "shipped"]

REACTIVE_STATES = (*OPEN_STATES, "closed", "referred", "cancelled", "contact", "ignore")
"""What a source state may map to: a state of the reactive step table (``referred``: handed to
relation management, whose case the log does not hold, so none is opened; ``cancelled``:
withdrawn), ``contact`` (the row is another contact with the customer: the step
``log_contact``) or ``ignore`` (the row is dropped)."""

Column = str | int

CaseFact = Literal[
    "survey",
    "effort_score",
    "satisfaction",
    "self_service_faq",
    "self_service_question",
    "is_exception",
    "exception_reason",
    "business_minutes_to_resolve",
    "lead_time_met",
]
"""A fact of the call no step of the log shows, trusted from a column of the case's last row
(``case_facts``): the survey outcome and answers, the self-service flag, the exception, the
business minutes to resolve and whether the lead time was met."""
CASE_FACTS: tuple[str, ...] = CaseFact.__args__  # type: ignore[attr-defined]
"""A column by header name, or by 0-based position (headers repeat names)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Timestamp(_Strict):
    column: Column
    format: str = "iso"
    """``iso`` (an offset, fractional seconds allowed) or a ``strptime`` format such as
    ``%d/%m/%Y %H:%M`` (day first)."""
    zone: str = "UTC"
    """The zone of times written without an offset."""

    @field_validator("zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a time zone") from None
        return value

    def parse(self, text: str) -> datetime:
        """The aware UTC time ``text`` stands for; ``ValueError`` naming it when it is not one."""
        try:
            if self.format == "iso":
                at = datetime.fromisoformat(text.strip())
            else:
                at = datetime.strptime(text.strip(), self.format)
        except ValueError:
            raise ValueError(f"{text!r} is not a time in format {self.format!r}") from None
        if at.tzinfo is None:
            at = at.replace(tzinfo=ZoneInfo(self.zone))
        return at.astimezone(UTC)


class Order(_Strict):
    by: Literal["timestamp", "sequence"] = "timestamp"
    """``timestamp`` keeps file order on ties; ``sequence`` sorts by ``column`` (an integer)."""
    column: Column | None = None

    @model_validator(mode="after")
    def _sequence_has_column(self) -> Order:
        if self.by == "sequence" and self.column is None:
            raise ValueError("order by sequence needs its column")
        return self


class Escalation(_Strict):
    """Which change of group is an escalation (sequence mode)."""

    by: Literal["group_change", "level", "group_pattern", "activity"] = "group_change"
    """``group_change``: any move to another group; ``level``: a move to a higher number in
    ``column``; ``group_pattern``: a move to a group of a higher level, the level of a group
    being the place (1, 2, …) of the first of ``patterns`` its name matches; ``activity``: a
    move to another group on a row whose source state is one of ``activities`` (a log that
    names its hand-overs: a regrouping on another row is no escalation)."""
    column: Column | None = None
    patterns: tuple[str, ...] = ()
    activities: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _complete(self) -> Escalation:
        if self.by == "level" and self.column is None:
            raise ValueError("escalation by level needs its column")
        if self.by == "activity" and not self.activities:
            raise ValueError("escalation by activity needs its activities")
        if self.by == "group_pattern":
            if not self.patterns:
                raise ValueError("escalation by group_pattern needs its patterns")
            for p in self.patterns:
                try:
                    re.compile(p)
                except re.error as err:
                    raise ValueError(f"pattern {p!r} is not a regular expression: {err}") from None
        return self

    def level_of(self, group: str | None) -> int | None:
        """The support level of ``group`` by the patterns (None: none matches)."""
        if group is None:
            return None
        for i, pattern in enumerate(self.patterns, 1):
            if re.search(pattern, group):
                return i
        return None


class Contacts(_Strict):
    """Which rows are contacts with the customer: the facts behind "resolved at first contact"."""

    by: Literal["no_handovers", "activities"] = "activities"
    """``no_handovers``: the registration is the one contact and the call is resolved at it
    unless it was handed over (first time right is then "never escalated, never reopened");
    ``activities``: rows whose state maps to ``contact`` are new contacts, and so is the return
    from waiting for the customer when ``resume_from_customer`` (the desk's own rule)."""
    resume_from_customer: bool = True
    column: Column | None = None
    """With ``by: activities``: a row is a new contact exactly when it has a value in this
    column (the first row aside), whatever its state — a ``contact`` row is then the step
    ``log_contact``, another row's step brings the contact (a customer's reply on ``resume``),
    and ``resume_from_customer`` is not asked. A log that names each contact (a bpsm export's
    ``contact``) so reads back the contacts it had, no more."""

    @model_validator(mode="after")
    def _column_with_activities(self) -> Contacts:
        if self.column is not None and self.by != "activities":
            raise ValueError("contacts by a column needs by: activities")
        return self


class Facts(_Strict):
    mode: Literal["counters", "sequence"] = "counters"
    """``counters``: escalations and reopens trusted from the last row's counter columns;
    ``sequence``: derived from the rows (an escalation by :class:`Escalation`, a reopen is a
    return to work after resolution)."""
    reassignment_count: Column | None = None
    reopen_count: Column | None = None
    escalation: Escalation = Escalation()
    contacts: Contacts = Contacts()

    @model_validator(mode="after")
    def _counters_named(self) -> Facts:
        if self.mode == "counters" and (
            self.reassignment_count is None or self.reopen_count is None
        ):
            raise ValueError("counters mode needs reassignment_count and reopen_count columns")
        return self


class Mapping(_Strict):
    """One event-log format."""

    name: str
    delimiter: str = Field(",", min_length=1, max_length=1)
    encoding: str = "utf-8-sig"
    """``utf-8-sig`` reads a file with or without a byte-order mark."""
    missing: str = ""
    """The literal that stands for no value (ServiceNow: ``?``)."""
    case_id: Column
    timestamp: Timestamp
    state: Column
    group: Column | None = None
    person: Column | None = None
    channel: Column | None = None
    service: Column | None = None
    order: Order = Order()
    caller: Column | None = None
    summary: Column | None = None
    """The call's summary (default: the case id)."""
    states: dict[str, str]
    """Source state → reactive state (:data:`REACTIVE_STATES`)."""
    steps: dict[str, str] = {}
    """Source state → the step of the reactive table its row is written as, where that step
    leads from the call's state to the mapped one (a bpsm export's ``make_exception``: the
    trail says ``make_exception``, not the shortest way's ``accept``); elsewhere the shortest
    way's step is written."""
    closed_then_worked: Literal["resolved", "refuse"] = "refuse"
    """A ``closed`` row followed by more work (the desk's close is final): ``resolved`` reads
    that close as a resolution (the work after it is then a reopen); ``refuse`` makes the case
    a bad one."""
    channels: dict[str, str] = {}
    """Source channel → the desk's channel (unlisted ones are kept as they are)."""
    channel_default: str = "unknown"
    """The channel of a case whose channel is missing."""
    services: dict[str, str] = {}
    """Source service/category → a catalogue service id (unlisted ones: no service; the source
    value is kept in the registration's audit event)."""
    services_are_ids: bool = False
    """The service column holds the desk's own catalogue ids (an export of a bpsm desk): an id
    the desk has is kept as it is, after ``services``; any other is no service."""
    facts: Facts = Facts(mode="sequence")
    case_facts: dict[CaseFact, Column] = {}
    """Call fact → the column of the case's last row it is read from (:data:`CASE_FACTS`); an
    empty value is no value (the call's default)."""

    @field_validator("steps")
    @classmethod
    def _known_steps(cls, value: dict[str, str]) -> dict[str, str]:
        triggers = {step.trigger for step in REACTIVE.table}
        for source, trigger in value.items():
            if trigger not in triggers:
                raise ValueError(
                    f"{source!r} is written as {trigger!r}, not a step of the reactive process"
                )
        return value

    @field_validator("states")
    @classmethod
    def _known_states(cls, value: dict[str, str]) -> dict[str, str]:
        for source, target in value.items():
            if target not in REACTIVE_STATES:
                raise ValueError(
                    f"{source!r} maps to {target!r}, not a reactive state "
                    f"({', '.join(REACTIVE_STATES)})"
                )
        return value

    def columns(self) -> dict[str, Column]:
        """Every column the mapping reads, by the field that names it."""
        named: dict[str, Column | None] = {
            "case_id": self.case_id,
            "timestamp.column": self.timestamp.column,
            "state": self.state,
            "group": self.group,
            "person": self.person,
            "channel": self.channel,
            "service": self.service,
            "caller": self.caller,
            "summary": self.summary,
            "order.column": self.order.column,
            "facts.reassignment_count": self.facts.reassignment_count,
            "facts.reopen_count": self.facts.reopen_count,
            "facts.escalation.column": self.facts.escalation.column,
            "facts.contacts.column": self.facts.contacts.column,
            **{f"case_facts.{k}": v for k, v in self.case_facts.items()},
        }
        return {k: v for k, v in named.items() if v is not None}

    def check_header(self, header: list[str], file: str) -> dict[str, int]:
        """Each mapped field's column position in ``header``; refused when one is missing."""
        problems, found = [], {}
        for fld, col in self.columns().items():
            if isinstance(col, int):
                if not 0 <= col < len(header):
                    problems.append(
                        Problem(f"column {col} is past the file's {len(header)}", file, 1, fld)
                    )
                    continue
                found[fld] = col
            elif col in header:
                found[fld] = header.index(col)
            else:
                problems.append(Problem(f"the file has no column {col!r}", file, 1, fld))
        if problems:
            raise ValidationError(problems)
        return found


_COLUMN_TYPES = frozenset({"string_type", "int_type", "int_parsing", "int_from_float"})


def _lines(node: yaml.Node, path: tuple[str | int, ...] = ()) -> dict[tuple[str | int, ...], int]:
    """Each field's path in the YAML → the (1-based) line it is written on."""
    out = {path: node.start_mark.line + 1}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            k = key.value if isinstance(key, yaml.ScalarNode) else str(key)
            out[(*path, k)] = key.start_mark.line + 1
            out.update({p: n for p, n in _lines(value, (*path, k)).items() if p != (*path, k)})
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            out.update(_lines(item, (*path, i)))
    return out


def _in_data(data: object, loc: tuple[str | int, ...]) -> tuple[str | int, ...]:
    """The part of pydantic's ``loc`` that is a path in the data (the rest names union members
    and validators: ``state.str``, ``state.int``)."""
    kept: list[str | int] = []
    for part in loc:
        listed = isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data)
        if not (listed or (isinstance(data, dict) and part in data)):
            break
        data = data[part]  # type: ignore[index]
        kept.append(part)
    return tuple(kept)


def _problems(
    err: PydanticError, file: str, data: object, lines: dict[tuple[str | int, ...], int]
) -> list[Problem]:
    """One problem per field, with its YAML line; a union's alternatives as one message."""
    grouped: dict[tuple[str | int, ...], list[Any]] = {}
    for e in err.errors():
        loc = tuple(e["loc"])
        where = _in_data(data, loc)
        if e["type"] == "extra_forbidden":
            where = loc
        grouped.setdefault(where, []).append(e)
    out = []
    for where, errors in grouped.items():
        value = errors[0].get("input")
        shown = f" (value {value!r})" if not isinstance(value, dict | list) else ""
        if len(errors) > 1 and all(e["type"] in _COLUMN_TYPES for e in errors):
            message = f"a column is a header name or a 0-based position{shown}"
        elif errors[0]["type"] == "extra_forbidden":
            message = "not a field of a mapping (a misspelt name?)"
        else:
            msg = str(errors[0]["msg"]).removeprefix("Value error, ")
            message = f"{msg}{shown}"
        line = next(
            (lines[where[:i]] for i in range(len(where), -1, -1) if where[:i] in lines), None
        )
        fld = ".".join(str(p) for p in where) or None
        out.append(Problem(message, file, line, fld))
    return out


def load_mapping(path: Path | str) -> Mapping:
    """Read and check a mapping file; ``ValidationError`` naming the file, line, field and value
    (one line per field)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ValidationError(
            Problem(f"cannot read the mapping: {err.strerror}", str(path))
        ) from None
    except UnicodeDecodeError:
        raise ValidationError(Problem("the mapping is not UTF-8 text", str(path))) from None
    try:
        data = yaml.safe_load(text)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        what = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise ValidationError(Problem(f"not YAML: {what}", str(path), line)) from None
    if not isinstance(data, dict) or node is None:
        raise ValidationError(Problem("a mapping is a YAML mapping of fields", str(path)))
    try:
        return Mapping.model_validate(data)
    except PydanticError as err:
        raise ValidationError(_problems(err, str(path), data, _lines(node))) from None


def shipped(name: str) -> Path:
    """The path of a mapping shipped with bpsm (``servicenow``)."""
    return Path(str(resources.files("bpsm.importing") / "mappings" / f"{name}.yaml"))
