"""Streaming an event log into cases: constant memory (one case at a time), bad rows reported.

The file must be grouped by case: a case id seen again after another case is a bad row. A case
with any bad row is skipped whole (never a half case); the other cases go on.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise

from bpsm.importing.mapping import Mapping

__all__ = ["BadRow", "Case", "Event", "read_cases"]


@dataclass(frozen=True, slots=True)
class Event:
    row: int
    """The source row number (the header is row 1)."""
    at: datetime
    state: str
    """The reactive state (``ignore`` rows are dropped)."""
    group: str | None
    person: str | None


@dataclass(slots=True)
class Case:
    case_id: str
    events: list[Event]
    channel: str | None
    service: str | None
    escalation_count: int
    reopen_count: int

    @property
    def first_time_right(self) -> bool:
        """Resolved during the registering contact, never escalated, never reopened."""
        resolved = self.events[-1].state in ("resolved", "closed")
        return resolved and self.escalation_count == 0 and self.reopen_count == 0


@dataclass(frozen=True, slots=True)
class BadRow:
    row: int
    reason: str


@dataclass(slots=True)
class _Open:
    case_id: str
    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    bad: bool = False


def read_cases(lines: Iterable[str], mapping: Mapping, file: str) -> Iterator[Case | BadRow]:
    """The cases of ``lines`` (a text stream of the CSV), and each bad row, in file order."""
    reader = csv.reader(lines, delimiter=mapping.delimiter, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        return
    cols = mapping.check_header(header, file)
    width, seen, current = len(header), set[str](), None
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as err:
            yield BadRow(reader.line_num, f"broken quotes: {err}")
            if current is not None:
                current.bad = True
            continue
        line = reader.line_num
        if len(values) != width:
            yield BadRow(line, f"{len(values)} fields, the header has {width} (truncated?)")
            if current is not None:
                current.bad = True
            continue
        cid = values[cols["case_id"]]
        if current is None or cid != current.case_id:
            if current is not None:
                yield from _finish(current, mapping, cols)
            if cid in seen:
                yield BadRow(line, f"case {cid!r} appears again after other cases")
                current = _Open(cid, bad=True)
                continue
            seen.add(cid)
            current = _Open(cid)
        current.rows.append((line, values))
    if current is not None:
        yield from _finish(current, mapping, cols)


def _finish(case: _Open, mapping: Mapping, cols: dict[str, int]) -> Iterator[Case | BadRow]:
    missing = mapping.missing

    def get(values: list[str], fld: str) -> str | None:
        if fld not in cols:
            return None
        v = values[cols[fld]]
        return None if v == missing or v == "" else v

    events: list[tuple[object, int, Event]] = []
    bad = case.bad
    for line, values in case.rows:
        source = values[cols["state"]]
        state = mapping.states.get(source)
        if state is None:
            yield BadRow(line, f"unknown state {source!r}")
            bad = True
            continue
        try:
            at = mapping.timestamp.parse(values[cols["timestamp.column"]])
        except ValueError as err:
            yield BadRow(line, str(err))
            bad = True
            continue
        if mapping.order.by == "sequence":
            try:
                key: object = int(values[cols["order.column"]])
            except ValueError:
                yield BadRow(line, f"sequence {values[cols['order.column']]!r} is not a number")
                bad = True
                continue
        else:
            key = at
        if state != "ignore":
            events.append(
                (key, line, Event(line, at, state, get(values, "group"), get(values, "person")))
            )
    if bad or not events:
        return
    events.sort(key=lambda e: (e[0], e[1]))  # ties keep file order
    ordered = [e[2] for e in events]
    last = (
        case.rows[-1][1]
        if mapping.order.by != "sequence"
        else max(case.rows, key=lambda r: int(r[1][cols["order.column"]]))[1]
    )
    if mapping.facts.mode == "counters":
        escalations = int(last[cols["facts.reassignment_count"]])
        reopens = int(last[cols["facts.reopen_count"]])
    else:
        escalations = reopens = 0
        for before, after in pairwise(ordered):
            if before.group and after.group and before.group != after.group:
                escalations += 1
            if before.state in ("resolved", "closed") and after.state not in (
                "resolved",
                "closed",
            ):
                reopens += 1
    channel = get(last, "channel")
    yield Case(
        case.case_id,
        ordered,
        mapping.channels.get(channel, channel) if channel else None,
        get(last, "service"),
        escalations,
        reopens,
    )
