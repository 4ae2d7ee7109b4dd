"""The mapping language: how an event-log CSV's columns and states become reactive calls.

A mapping is YAML, checked by pydantic; every defect is refused with the file, the field and
the value. :meth:`Mapping.check_header` refuses a mapping that names a column the file lacks,
before anything is read or written.
"""

from __future__ import annotations

from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic import ValidationError as PydanticError

from bpsm.errors import Problem, ValidationError
from bpsm.processes.calls.steps import OPEN_STATES

__all__ = ["REACTIVE_STATES", "Column", "Mapping", "load_mapping", "shipped"]

REACTIVE_STATES = (*OPEN_STATES, "closed", "ignore")
"""What a source state may map to: a state of the reactive step table, or ``ignore``."""

Column = str | int
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


class Facts(_Strict):
    mode: Literal["counters", "sequence"] = "counters"
    """``counters``: trusted from the last row's counter columns; ``sequence``: derived (an
    escalation is a change of group or a move to a higher level; a reopen is a return to work
    after resolution)."""
    reassignment_count: Column | None = None
    reopen_count: Column | None = None
    level: Column | None = None
    """Optional support-level column (sequence mode): a higher number is an escalation."""

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
    states: dict[str, str]
    """Source state → reactive state (:data:`REACTIVE_STATES`)."""
    channels: dict[str, str] = {}
    """Source channel → the desk's channel (unlisted ones are kept as they are)."""
    facts: Facts = Facts(mode="sequence")

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
            "order.column": self.order.column,
            "facts.reassignment_count": self.facts.reassignment_count,
            "facts.reopen_count": self.facts.reopen_count,
            "facts.level": self.facts.level,
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


def _problems(err: PydanticError, file: str) -> list[Problem]:
    out = []
    for e in err.errors():
        where = ".".join(str(p) for p in e["loc"])
        value = e.get("input")
        shown = f" (value {value!r})" if not isinstance(value, dict | list) else ""
        out.append(Problem(f"{e['msg']}{shown}", file, None, where or None))
    return out


def load_mapping(path: Path | str) -> Mapping:
    """Read and check a mapping file; ``ValidationError`` naming the file, field and value."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise ValidationError(
            Problem(f"cannot read the mapping: {err.strerror}", str(path))
        ) from None
    except yaml.YAMLError as err:
        raise ValidationError(Problem(f"not YAML: {err}".splitlines()[0], str(path))) from None
    if not isinstance(data, dict):
        raise ValidationError(Problem("a mapping is a YAML mapping of fields", str(path)))
    try:
        return Mapping.model_validate(data)
    except PydanticError as err:
        raise ValidationError(_problems(err, str(path))) from None


def shipped(name: str) -> Path:
    """The path of a mapping shipped with bpsm (``servicenow``)."""
    return Path(str(resources.files("bpsm.importing") / "mappings" / f"{name}.yaml"))
