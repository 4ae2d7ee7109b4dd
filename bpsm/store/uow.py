"""The unit of work, and the one table that turns database errors into the library's typed errors.

Every action runs in one :class:`UnitOfWork`: it commits when the block ends normally and rolls
back on any error, so a step's record, its side records and its audit event are written together
or not at all. Work that must not happen unless the database committed — writing a catalogue file
back — is registered with :meth:`UnitOfWork.after_commit` and runs only after the commit.

Database errors are translated in one place, :func:`translate` (as httpx maps transport errors in
one table): a stale optimistic version or a unique clash with a concurrent writer becomes
:class:`~bpsm.errors.ConcurrentModification`; a lost or refused connection becomes
:class:`~bpsm.errors.DatabaseUnavailable`, with the password masked; a value the database cannot
hold (too long, out of range, not encodable) or a broken schema rule becomes a
:class:`~bpsm.errors.ValidationError`; anything else the database refuses becomes a
:class:`~bpsm.errors.DatabaseError`. No message carries SQL or a password.

Before anything is written, :func:`refuse_unfit_values` checks every new or changed text of
every row against its column (:mod:`bpsm.validation`'s rules): SQLite would store a 201-character
caller in ``String(200)``, PostgreSQL would refuse it — both now refuse it, with the same words.
"""

from __future__ import annotations

import re
import sys
import weakref
from collections.abc import Callable
from types import TracebackType
from typing import Any

from sqlalchemy import JSON, String, event
from sqlalchemy import exc as sa
from sqlalchemy.orm import Mapper, Session, sessionmaker
from sqlalchemy.orm.base import instance_state
from sqlalchemy.orm.exc import StaleDataError

from bpsm.errors import (
    BpsmError,
    ConcurrentModification,
    DatabaseError,
    DatabaseUnavailable,
    Problem,
    ValidationError,
)
from bpsm.validation import clean_structure, limit_of, text_problem

__all__ = ["ERROR_MAP", "UnitOfWork", "refuse_unfit_values", "translate"]


def _table(exc: BaseException) -> str:
    found = re.search(
        r"table '(\w+)'|(?:UNIQUE constraint failed: |unique constraint \")(\w+)", str(exc)
    )
    return next((g for g in found.groups() if g), "record") if found else "record"


def _stale(exc: BaseException, url: str) -> BpsmError | None:
    return ConcurrentModification(f"a {_table(exc)} row")


def _duplicate(exc: BaseException, url: str) -> BpsmError | None:
    orig = getattr(exc, "orig", None)
    unique = getattr(orig, "sqlstate", None) == "23505" or "UNIQUE constraint failed" in str(orig)
    if not unique:  # a CHECK or foreign-key violation: a value the schema's rules refuse
        return ValidationError(
            f"the values break a rule of the database ({_first_line(orig or exc)}); "
            "nothing was changed"
        )
    return ConcurrentModification(f"{_table(exc)} (the same record was created meanwhile)")


def _unavailable(exc: BaseException, url: str) -> BpsmError | None:
    orig = getattr(exc, "orig", None)
    reason = _first_line(orig if orig is not None else exc)
    if _TOO_BIG.search(reason):  # SQLite's limits on one statement: the input, not the server
        return ValidationError(
            f"a value is too large for the database to search or store: {reason}"
        )
    return DatabaseUnavailable(url, reason or type(exc).__name__)


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return re.sub(r"\s*\[SQL:.*", "", lines[0]).strip() if lines else ""


_TOO_BIG = re.compile(r"too (complex|large|big|many)|string or blob too big", re.IGNORECASE)


def _unfit(exc: BaseException, url: str) -> BpsmError | None:
    orig = getattr(exc, "orig", None)
    cause = orig if orig is not None else exc
    return ValidationError(
        f"a value does not fit the database ({type(cause).__name__}: {_first_line(cause)}); "
        "nothing was changed"
    )


def _refused(exc: BaseException, url: str) -> BpsmError | None:
    orig = getattr(exc, "orig", None)
    cause = orig if orig is not None else exc
    return DatabaseError(type(cause).__name__, _first_line(cause))


#: database error → typed error; first type wins.
#: Unique clashes are concurrent creations (two detectors reporting one burst, two runs
#: creating one maintenance occurrence). Encoding and overflow errors come from the driver when
#: it binds a value (a lone surrogate, an integer beyond 64 bits).
ERROR_MAP: tuple[
    tuple[type[BaseException], Callable[[BaseException, str], BpsmError | None]], ...
] = (
    (StaleDataError, _stale),
    (sa.IntegrityError, _duplicate),
    (sa.OperationalError, _unavailable),
    (sa.InterfaceError, _unavailable),
    (sa.DataError, _unfit),
    (sa.DBAPIError, _refused),
    (sa.StatementError, _unfit),
    (UnicodeError, _unfit),
    (OverflowError, _unfit),
)


def translate(exc: BaseException, url: str = "the database") -> BpsmError | None:
    """The typed error for a database error (None when it is not one the map knows)."""
    for kind, make in ERROR_MAP:
        if isinstance(exc, kind):
            return make(exc, url)
    return None


def refuse_unfit_values(session: Session, flush_context: object, instances: object) -> None:
    """Before a flush: every new or changed text fits its column (the same on every database).

    A ``String(n)`` column holds ``n`` characters; no text holds a NUL character or a lone
    surrogate, JSON included. (The length of a ``Text`` column is the boundary's rule for what
    people enter, not checked here: the desk's own derived texts may be longer.)

    Raises:
        ValidationError: naming the column: ``caller: at most 200 characters (got 201)``.
    """
    for obj in session.new:
        state = instance_state(obj)
        for key, limit in _texts(state.mapper):
            _fits(key, limit, state.dict.get(key))
    for obj in session.dirty:
        state = instance_state(obj)
        changed = state.committed_state  # the attributes set since the row was loaded
        for key, limit in _texts(state.mapper):
            if key in changed:
                _fits(key, limit, state.dict.get(key))


_TEXTS: dict[Mapper[Any], tuple[tuple[str, int | None], ...]] = {}


def _texts(mapper: Mapper[Any]) -> tuple[tuple[str, int | None], ...]:
    """A mapper's text and JSON attributes with their limits (None: JSON), worked out once."""
    found = _TEXTS.get(mapper)
    if found is None:
        found = tuple(
            (
                mapper.get_property_by_column(column).key,
                None
                if isinstance(column.type, JSON)
                else (limit_of(column) if column.type.length else sys.maxsize),
            )
            for column in mapper.columns
            if isinstance(column.type, String | JSON)
        )
        _TEXTS[mapper] = found
    return found


def _fits(key: str, limit: int | None, value: Any) -> None:
    if limit is None:
        if value is not None:
            clean_structure(key, value, limit=sys.maxsize)
    elif isinstance(value, str):
        wrong = text_problem(value, limit)
        if wrong:
            raise ValidationError(Problem(wrong, field=key))


_ARMED: weakref.WeakSet[sessionmaker[Session]] = weakref.WeakSet()


class UnitOfWork:
    """One transaction: ``with UnitOfWork(sessions) as uow: ... uow.session ...``.

    Commits when the block ends normally, rolls back when it raises; then runs the
    :meth:`after_commit` callbacks (only after a commit). Database errors leave as typed errors.
    """

    def __init__(self, sessions: sessionmaker[Session], url: str = "the database"):
        self._sessions = sessions
        self._url = url
        if sessions not in _ARMED:
            event.listen(sessions, "before_flush", refuse_unfit_values)
            _ARMED.add(sessions)
        self._after: list[Callable[[], None]] = []
        self.session: Session

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the transaction has committed (never if it rolls back)."""
        self._after.append(callback)

    def __enter__(self) -> UnitOfWork:
        self.session = self._sessions()
        self.session.begin()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if exc is None:
                try:
                    self.session.commit()
                except Exception as err:
                    self.session.rollback()
                    typed = translate(err, self._url)
                    if typed is None:
                        raise
                    raise typed from None
            else:
                self.session.rollback()
                typed = translate(exc, self._url)
                if typed is not None:
                    raise typed from None
        finally:
            self.session.close()
        callbacks, self._after = self._after, []
        if exc is None:  # only once the transaction has committed
            for callback in callbacks:
                callback()
