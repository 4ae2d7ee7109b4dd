"""Streaming an event log into cases: one case in memory at a time, bad rows reported.

The file must be **grouped by case** (every row of a case next to the others, as ServiceNow and
process-mining exports write them): a case id seen again after another case is a bad row, and
that case is skipped whole (its first part too: :attr:`RawCase.split`). Memory holds the rows
of the current case and the set of case ids seen, never the file.

A record is read from one physical line, or from several when a quoted field holds line breaks
(at most :data:`MAX_RECORD_LINES`): a quote left open longer is reported as broken at the line
it opened, and reading goes on at the next line, so a broken quote costs its own row only.
A case with any bad row is skipped whole (never a half case); the other cases go on.
"""

from __future__ import annotations

import csv
import re
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from bpsm.importing.mapping import Mapping, Timestamp

_UNDECODED = re.compile("[\udc80-\udcff]")
"""A byte the file's encoding could not read (kept as a lone surrogate by ``surrogateescape``)."""

__all__ = [
    "MAX_RECORD_LINES",
    "BadRow",
    "Broken",
    "Event",
    "RawCase",
    "Skipped",
    "read_cases",
    "records",
    "split_cases",
]

MAX_RECORD_LINES = 20
"""The most physical lines one record may span (a quoted field with line breaks)."""


@dataclass(frozen=True, slots=True)
class Event:
    """One row of a case, its state mapped (``ignore`` rows are dropped)."""

    row: int
    """The source row number: the header is row 1, the first record row 2."""
    at: datetime
    state: str
    """The reactive state, or ``contact``."""
    source: str
    """The state as the file writes it."""
    group: str | None
    person: str | None
    level: str | None
    contact: str | None = None
    """The value of the mapping's ``facts.contacts.column`` (a contact when set)."""


@dataclass(slots=True)
class RawCase:
    """A case's events in order, and the fields read from its last row."""

    case_id: str
    events: list[Event]
    last: dict[str, str | None]
    """Each mapped field's value on the last row (None: missing)."""
    first_row: int


@dataclass(frozen=True, slots=True)
class BadRow:
    """A row that cannot be imported, or a case skipped because of one (``case``)."""

    row: int
    reason: str
    case: str | None = None


@dataclass(frozen=True, slots=True)
class Skipped:
    """A case left out whole because of its bad rows (reported before it)."""

    case_id: str
    row: int
    """Its first row."""


@dataclass(slots=True)
class _Open:
    case_id: str
    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    bad: bool = False
    first_bad: int = 0


class Broken(str):
    """Why a record's quotes are broken; ``head``: the fields before the one whose quote broke
    (the case id among them, when it comes first)."""

    head: list[str]

    def __new__(cls, why: str, line: str, delimiter: str) -> Broken:
        self = super().__new__(cls, why)
        head: list[str] = []
        for part in line.rstrip("\r\n").split(delimiter):
            if '"' in part:
                break
            head.append(part)
        self.head = head
        return self


def records(lines: Iterable[str], delimiter: str) -> Iterator[tuple[int, list[str] | str]]:
    """``(row, values)`` per record, or ``(row, why)`` for broken quotes (a :class:`Broken`);
    ``row`` is the line the record starts on (the header is row 1). Blank lines are no records."""
    source = enumerate(lines, 1)
    again: deque[tuple[int, str]] = deque()  # lines given back after a quote left open
    held: list[tuple[int, str]] = []
    while True:
        got = again.popleft() if again else next(source, None)
        if got is None:
            if not held:
                return
            why = "broken quotes: a quoted field is not closed at the end of the file"
            yield held[0][0], Broken(why, held[0][1], delimiter)
            again.extend(held[1:])
            held = []
            continue
        held.append(got)
        text = "".join(part for _, part in held)
        try:
            values = next(csv.reader((text,), delimiter=delimiter, strict=True), [])
        except csv.Error as err:
            open_quote = "end of data" in str(err) or "new-line" in str(err)
            if open_quote and len(held) < MAX_RECORD_LINES:
                continue
            yield held[0][0], Broken(f"broken quotes: {err}", held[0][1], delimiter)
            again.extendleft(reversed(held[1:]))
            held = []
            continue
        start, held = held[0][0], []
        if values and (values != [""] or text.strip()):
            yield start, values


def split_cases(lines: Iterable[str], mapping: Mapping, file: str) -> set[str]:
    """The case ids whose rows are not all together (a first pass over the file: the ids only).

    Raises:
        ValidationError: the header lacks a column the mapping names.
    """
    it = iter(records(lines, mapping.delimiter))
    first = next(it, None)
    if first is None or isinstance(first[1], str):
        return set()
    col = mapping.check_header([h.strip() for h in first[1]], file)["case_id"]
    seen, split, current = set[str](), set[str](), None
    for _, values in it:
        if isinstance(values, str) or len(values) <= col:
            continue
        cid = values[col]
        if cid != current:
            if cid in seen:
                split.add(cid)
            seen.add(cid)
            current = cid
    return split


def read_cases(
    lines: Iterable[str],
    mapping: Mapping,
    file: str,
    split: frozenset[str] | set[str] = frozenset(),
) -> Iterator[RawCase | BadRow | Skipped]:
    """The cases of ``lines`` (a text stream of the CSV), and each bad row, in file order.

    ``split`` are the case ids :func:`split_cases` found in more than one place: each of their
    parts is reported and the case is skipped whole.

    Raises:
        ValidationError: the header lacks a column the mapping names (before any row is read).
    """
    it = iter(records(lines, mapping.delimiter))
    first = next(it, None)
    if first is None:
        return
    _, header = first
    if isinstance(header, str):
        header = []
    header = [h.strip() for h in header]
    cols = mapping.check_header(header, file)
    width, seen, current = len(header), set[str](), None
    case_col = cols["case_id"]
    for row, values in it:
        problem = (
            values
            if isinstance(values, str)
            else f"{len(values)} fields, the header has {width} (truncated?)"
            if len(values) != width
            else "a character that is not valid in the file's encoding"
            if _UNDECODED.search("".join(values))
            else None
        )
        if problem is not None:
            # the row's case, when its id can be read; else the case being read
            fields = values.head if isinstance(values, Broken) else values
            cid = (
                fields[case_col] if not isinstance(fields, str) and len(fields) > case_col else None
            )
            yield BadRow(row, problem, cid or (current.case_id if current else None))
            if current is not None and cid in (None, current.case_id):
                current.bad = True
            elif cid is not None:
                if current is not None:
                    yield from _finish(current, mapping, cols)
                if cid in seen:
                    yield BadRow(row, f"case {cid!r} appears again after other cases", cid)
                seen.add(cid)
                current = _Open(cid, bad=True, first_bad=row)
            continue
        assert not isinstance(values, str)
        cid = values[case_col]
        if current is None or cid != current.case_id:
            if current is not None:
                yield from _finish(current, mapping, cols)
            if cid in seen:
                yield BadRow(row, f"case {cid!r} appears again after other cases", cid)
                current = _Open(cid, bad=True, first_bad=row)
                continue
            seen.add(cid)
            current = _Open(cid)
            if cid in split:
                yield BadRow(row, f"case {cid!r} is split: its rows are not together", cid)
                current.bad, current.first_bad = True, row
        current.rows.append((row, values))
    if current is not None:
        yield from _finish(current, mapping, cols)


@lru_cache(maxsize=65_536)
def _parse_time(stamp: Timestamp, text: str) -> datetime:
    return stamp.parse(text)


_LAST: tuple[str, ...] = ("channel", "service", "caller", "summary")
_LAST += ("facts.reassignment_count", "facts.reopen_count")


def _finish(
    case: _Open, mapping: Mapping, cols: dict[str, int]
) -> Iterator[RawCase | BadRow | Skipped]:
    missing = mapping.missing

    def get(values: list[str], fld: str) -> str | None:
        i = cols.get(fld)
        if i is None:
            return None
        v = values[i].strip()
        return None if v == missing or v == "" else v

    keyed: list[tuple[int | datetime, int, Event]] = []
    bad = case.bad
    state_col, time_col = cols["state"], cols["timestamp.column"]
    for row, values in case.rows:
        source = values[state_col].strip()
        state = mapping.states.get(source)
        if state is None:
            yield BadRow(row, f"unknown state {source!r}", case.case_id)
            bad = True
            continue
        try:
            at = _parse_time(mapping.timestamp, values[time_col])
        except ValueError as err:
            yield BadRow(row, str(err), case.case_id)
            bad = True
            continue
        key: int | datetime = at
        if mapping.order.by == "sequence":
            try:
                key = int(values[cols["order.column"]])
            except ValueError:
                seq = values[cols["order.column"]]
                yield BadRow(row, f"sequence {seq!r} is not a whole number", case.case_id)
                bad = True
                continue
        if state != "ignore":
            event = Event(
                row,
                at,
                state,
                source,
                get(values, "group"),
                get(values, "person"),
                get(values, "facts.escalation.column"),
                get(values, "facts.contacts.column"),
            )
            keyed.append((key, row, event))
    if bad:
        yield Skipped(case.case_id, case.rows[0][0] if case.rows else case.first_bad)
        return
    if not keyed:
        return
    keyed.sort(key=lambda e: (e[0], e[1]))  # ties keep file order
    last_row = max(keyed, key=lambda e: (e[0], e[1]))[1]
    values = next(v for r, v in case.rows if r == last_row)
    yield RawCase(
        case.case_id,
        [e[2] for e in keyed],
        {f: get(values, f) for f in (*_LAST, *(f"case_facts.{k}" for k in mapping.case_facts))},
        case.rows[0][0],
    )
