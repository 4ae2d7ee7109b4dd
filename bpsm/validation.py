"""The rules every value obeys at the library's boundary, the same on SQLite and PostgreSQL.

The limits come from the schema, never from a second list of numbers: a ``String(n)`` column
holds at most ``n`` characters (:func:`limit_of`), and every ``Text`` column at most
:data:`TEXT_LIMIT`. ``docs/limits.md`` tables them all, and a test checks it against the columns.

The rules, each refused as one :class:`~bpsm.errors.ValidationError` naming the field:

* **text** (:func:`clean_text`): a ``str``; no NUL character (PostgreSQL cannot store one);
  nothing that cannot be written as UTF-8 (a lone surrogate); at most the column's length after
  stripping; not empty where an answer is required;
* **record ids** (:func:`record_id`): a whole number (``int``, never ``bool``, a float or a
  text). A whole number outside ``1`` … :data:`ID_MAX` (PostgreSQL's ``INTEGER``) names no record
  that can exist: :class:`~bpsm.errors.NotFound`, exactly as for an id that is free;
* **whole numbers** (:func:`whole_number`), **paging** (:func:`paging`), **search text**
  (:func:`search_text`, at most :data:`SEARCH_LIMIT` characters), **names from a list**
  (:func:`one_of`, :func:`some_of`: ``channel``, ``group``, ``states``...), **moments**
  (:func:`moment`: a ``datetime``), and **structured answers** (:func:`clean_structure`:
  every text inside a mapping or list obeys the text rules).

The unit of work checks the same text rules once more on every row it writes
(:func:`bpsm.store.uow.refuse_unfit_values`), so a field someone forgets is still refused, by
the same message, on both databases.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Literal, overload

from sqlalchemy import String

from bpsm import clock
from bpsm.errors import NotFound, Problem, ValidationError

__all__ = [
    "DAYS_AHEAD_MAX",
    "ID_MAX",
    "INT_MAX",
    "INT_MIN",
    "NESTING_MAX",
    "PAGE_LIMIT",
    "SEARCH_LIMIT",
    "TEXT_LIMIT",
    "clean_structure",
    "clean_text",
    "limit_of",
    "moment",
    "one_of",
    "paging",
    "record_id",
    "search_text",
    "shown",
    "some_of",
    "text_problem",
    "whole_number",
]

#: The length of every ``Text`` column (descriptions, summaries, reasons, notes, solutions).
TEXT_LIMIT = 20_000
#: The length of a search text (the service search box, a filter).
SEARCH_LIMIT = 200
#: The largest whole number a column holds on both databases (PostgreSQL's ``INTEGER``).
INT_MAX = 2**31 - 1
INT_MIN = -(2**31)
#: The largest record id.
ID_MAX = INT_MAX
#: The most rows one page of a queue or list returns.
PAGE_LIMIT = 1_000
#: How deep a structured answer (a service definition, considerations) may nest.
NESTING_MAX = 32
#: The longest look ahead in days (``maintenance.due``'s upcoming days, ``generate``'s horizon).
DAYS_AHEAD_MAX = 3_660


def _refuse(field: str, message: str) -> ValidationError:
    return ValidationError(Problem(message, field=field))


def shown(value: object) -> str:
    """A value as a message shows it: short, and printable even when it is not valid text."""
    shown = repr(value)
    return shown if len(shown) <= 40 else f"{shown[:37]}..."


def limit_of(column: Any) -> int:
    """The most characters a text column holds: its ``String(n)`` length, or :data:`TEXT_LIMIT`.

    Args:
        column: a mapped attribute (``CallRow.caller``) or a ``Column``.
    """
    col = getattr(column, "property", None)
    col = col.columns[0] if col is not None and hasattr(col, "columns") else column
    kind = col.type
    length = getattr(kind, "length", None) if isinstance(kind, String) else None
    return int(length) if length else TEXT_LIMIT


def text_problem(value: str, limit: int) -> str | None:
    """What is wrong with the text ``value`` for a column of ``limit`` characters (None if fine)."""
    nul = value.find("\x00")
    if nul >= 0:
        return f"contains a NUL character (at position {nul})"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as err:
        return (
            f"contains a character that is not valid Unicode text "
            f"(a lone surrogate at position {err.start})"
        )
    if len(value) > limit:
        return f"at most {limit:,} characters (got {len(value):,})"
    return None


@overload
def clean_text(
    field: str,
    value: Any,
    *,
    limit: int = ...,
    required: Literal[True] = ...,
    strip: bool = ...,
) -> str: ...


@overload
def clean_text(
    field: str, value: Any, *, limit: int = ..., required: bool, strip: bool = ...
) -> str | None: ...


def clean_text(
    field: str,
    value: Any,
    *,
    limit: int = TEXT_LIMIT,
    required: bool = True,
    strip: bool = True,
) -> str | None:
    """``value`` as a stored text (stripped), or None when it is empty and not required.

    Raises:
        ValidationError: not a text, a NUL character, a lone surrogate, longer than ``limit``
            characters, or empty while ``required`` — naming ``field``.
    """
    if value is None:
        if required:
            raise _refuse(field, "must not be empty")
        return None
    if not isinstance(value, str):
        raise _refuse(field, f"{shown(value)} is not text")
    text = value.strip() if strip else value
    wrong = text_problem(text, limit)
    if wrong:
        raise _refuse(field, wrong)
    if not text.strip():
        if required:
            raise _refuse(field, "must not be empty")
        return None
    return text


def clean_structure(field: str, value: Any, *, limit: int = TEXT_LIMIT, depth: int = 0) -> Any:
    """``value`` unchanged, once every text inside it (keys too) obeys the text rules.

    For answers stored as JSON (a service definition, considerations, options).

    Raises:
        ValidationError: naming the path of the first bad text (``definition.faq[2].answer``).
    """
    if depth > NESTING_MAX:
        raise _refuse(field, f"nests deeper than {NESTING_MAX} levels")
    if isinstance(value, str):
        wrong = text_problem(value, limit)
        if wrong:
            raise _refuse(field, wrong)
    elif isinstance(value, float) and not math.isfinite(value):
        raise _refuse(field, f"{value!r} is not a finite number")
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise _refuse(field, f"key {shown(key)} is not text")
            clean_structure(field, key, limit=limit, depth=depth + 1)
            clean_structure(f"{field}.{key}", item, limit=limit, depth=depth + 1)
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            clean_structure(f"{field}[{i}]", item, limit=limit, depth=depth + 1)
    return value


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def record_id(kind: str, value: Any, field: str = "id") -> int:
    """``value`` as the id of a ``kind`` record.

    Raises:
        ValidationError: not a whole number (a float, a bool, a text, None...), naming ``field``.
        NotFound: a whole number outside 1 … :data:`ID_MAX`: no such record can exist.
    """
    if not _whole(value):
        raise _refuse(field, f"{shown(value)} is not a {kind} id (a whole number)")
    if not 1 <= value <= ID_MAX:
        raise NotFound(kind, value)
    return int(value)


def whole_number(field: str, value: Any, *, low: int = INT_MIN, high: int = INT_MAX) -> int:
    """``value`` as a whole number from ``low`` to ``high``.

    Raises:
        ValidationError: not an ``int`` (bools and floats are not), or out of range.
    """
    if not _whole(value) or not low <= value <= high:
        raise _refuse(field, f"{shown(value)} is not a whole number from {low:,} to {high:,}")
    return int(value)


def paging(offset: Any, limit: Any) -> tuple[int, int]:
    """A page's ``(offset, limit)``: offset 0 … :data:`INT_MAX`, limit 1 … :data:`PAGE_LIMIT`.

    Raises:
        ValidationError: naming ``offset`` or ``limit``.
    """
    bounds = (("offset", offset, 0, INT_MAX), ("limit", limit, 1, PAGE_LIMIT))
    for field, value, low, high in bounds:
        if not _whole(value) or not low <= value <= high:
            raise _refuse(
                field, f"paging: {shown(value)} is not a whole number from {low:,} to {high:,}"
            )
    return int(offset), int(limit)


def search_text(value: Any, field: str = "text") -> str:
    """A search text: the text rules with :data:`SEARCH_LIMIT` characters; empty is allowed."""
    if not isinstance(value, str):
        raise _refuse(field, f"{shown(value)} is not text")
    return clean_text(field, value, limit=SEARCH_LIMIT, required=False) or ""


def one_of(field: str, value: Any, allowed: Iterable[str], *, what: str = "") -> str:
    """``value`` if it is one of ``allowed`` (channels, groups, kinds...).

    Raises:
        ValidationError: naming ``field``, the value and every allowed name.
    """
    names = list(allowed)
    if not isinstance(value, str) or value not in names:
        label = f" {what}" if what else ""
        raise _refuse(field, f"{shown(value)} is not one of the{label} {', '.join(names)}")
    return value


def some_of(field: str, values: Any, allowed: Sequence[str], *, what: str = "") -> tuple[str, ...]:
    """``values`` (a list of names, or one name) as a tuple, if every one is in ``allowed``.

    Raises:
        ValidationError: not a list of texts, or naming every unknown one and the allowed names:
            ``states: ['done']: not states of the improvement process (identified, ...)``.
    """
    if isinstance(values, str):
        values = (values,)
    if not isinstance(values, Iterable) or isinstance(values, bytes | bytearray | Mapping):
        raise _refuse(field, f"{shown(values)} is not a list of names")
    given = list(values)
    if len(given) > PAGE_LIMIT:
        raise _refuse(field, f"at most {PAGE_LIMIT:,} names (got {len(given):,})")
    unknown = [v for v in given if not isinstance(v, str) or v not in allowed]
    if unknown:
        listed = shown(unknown) if len(unknown) <= 5 else f"{shown(unknown[:5])[:-1]}, ...]"
        raise _refuse(field, f"{listed}: not {what or 'names'} ({', '.join(allowed)})")
    return tuple(given)


def moment(field: str, value: Any) -> datetime:
    """``value`` as an aware UTC ``datetime`` (a naive one is taken to be UTC, as stored).

    Raises:
        ValidationError: not a ``datetime``, or one that has no UTC equivalent, naming ``field``.
    """
    if not isinstance(value, datetime):
        raise _refuse(field, f"{shown(value)} is not a datetime")
    try:
        return clock.to_utc(value)
    except OverflowError:
        raise _refuse(field, f"{shown(value)} is out of the range of dates") from None
