"""Typed errors raised by the bpsm library.

Every error the library raises on purpose derives from :class:`BpsmError`, and also from the
standard-library exception that carries the same meaning, so callers can catch either::

    BpsmError
    ├── InvalidTransition (ValueError)      the trigger is not allowed from the record's state
    ├── GuardFailed (ValueError)            the trigger is allowed, but a precondition is not met
    ├── PermissionDenied (PermissionError)  the acting person's roles do not allow the action
    ├── ValidationError (ValueError)        bad input: catalogue files, CSV rows, API arguments
    ├── NotFound (LookupError)              no record with that id
    ├── ConcurrentModification (RuntimeError)
    │                                       someone else changed the record since it was read
    ├── DatabaseUnavailable (ConnectionError)
    │                                       the database cannot be reached or opened
    └── DatabaseError (RuntimeError)        the database refused a statement for a reason that
                                            is not in the input (a defect; no SQL is shown)

Catch :class:`InvalidTransition` and :class:`GuardFailed` to tell a user why a button does
nothing; catch :class:`ConcurrentModification` to reload and retry; :class:`ValidationError`
carries one :class:`Problem` per defect so every defect can be shown at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "BpsmError",
    "ConcurrentModification",
    "DatabaseError",
    "DatabaseUnavailable",
    "GuardFailed",
    "InvalidTransition",
    "NotFound",
    "PermissionDenied",
    "Problem",
    "ValidationError",
]


class BpsmError(Exception):
    """Base class of every error raised by bpsm on purpose."""


class InvalidTransition(BpsmError, ValueError):
    """A trigger was fired from a state that has no such transition. Nothing was changed."""

    def __init__(self, record: str, trigger: str, state: str, allowed: Sequence[str] | None = None):
        self.record, self.trigger, self.state = record, trigger, state
        self.allowed = sorted(allowed or [])
        hint = f"; allowed here: {', '.join(self.allowed)}" if self.allowed else ""
        super().__init__(f"{record}: cannot {trigger!r} from state {state!r}{hint}")


class GuardFailed(BpsmError, ValueError):
    """A transition exists, but one of its guards refused it. Nothing was changed.

    Attributes:
        guard: the name of the guard that refused.
        reason: why, in words fit for the user.
    """

    def __init__(self, guard: str, reason: str):
        self.guard, self.reason = guard, reason
        super().__init__(f"{guard}: {reason}")


class PermissionDenied(BpsmError, PermissionError):
    """The acting person may not perform the action. Nothing was changed."""

    def __init__(self, person: str, action: str, reason: str = ""):
        self.person, self.action = person, action
        super().__init__(f"{person!r} may not {action}" + (f": {reason}" if reason else ""))


@dataclass(frozen=True)
class Problem:
    """One defect in some input: where it is, which field, and what is wrong."""

    message: str
    file: str | None = None
    line: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = self.file or ""
        if self.file and self.line is not None:
            where += f":{self.line}"
        parts = [p for p in (where, self.field) if p]
        return ": ".join([*parts, self.message])


class ValidationError(BpsmError, ValueError):
    """Input was rejected; ``problems`` lists every defect found (file, line, field, message)."""

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, str):
            problems = [Problem(problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems = list(problems)
        head = f"{len(self.problems)} problem(s)" if len(self.problems) > 1 else ""
        body = "\n".join(str(p) for p in self.problems)
        super().__init__(f"{head}\n{body}" if head else body)


class NotFound(BpsmError, LookupError):
    """No record of that kind has that id."""

    def __init__(self, kind: str, ident: object):
        self.kind, self.ident = kind, ident
        super().__init__(f"no {kind} {ident!r}")


class ConcurrentModification(BpsmError, RuntimeError):
    """The record changed since it was read (optimistic versioning). Reload and try again."""

    def __init__(self, record: str, expected: int | None = None, actual: int | None = None):
        self.record, self.expected, self.actual = record, expected, actual
        detail = (
            f" (you saw version {expected}, it is now {actual})" if expected is not None else ""
        )
        super().__init__(f"{record} was changed by someone else{detail}; reload and try again")


class DatabaseUnavailable(BpsmError, ConnectionError):
    """The database at a URL cannot be reached or opened (server down, bad host, no permission).

    Attributes:
        url: the database as shown to people: its password already masked
            (``bpsm.store.db.safe_url``); the library never puts a password here.
        reason: the one-line cause (the driver's first line, or what to do about it).
    """

    def __init__(self, url: str, reason: str):
        self.url, self.reason = url, reason
        super().__init__(f"cannot open the database {url}: {reason}")


class DatabaseError(BpsmError, RuntimeError):
    """The database refused a statement for a reason that is not the caller's input.

    A defect to report (with :attr:`kind` and :attr:`reason`); the message never carries SQL.
    Nothing was changed.
    """

    def __init__(self, kind: str, reason: str):
        self.kind, self.reason = kind, reason
        super().__init__(
            f"the database refused the request ({kind}: {reason}); nothing was changed"
        )
