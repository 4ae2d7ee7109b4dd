"""The unit of work, and the one table that turns database errors into the library's typed errors.

Every action runs in one :class:`UnitOfWork`: it commits when the block ends normally and rolls
back on any error, so a step's record, its side records and its audit event are written together
or not at all. Work that must not happen unless the database committed — writing a catalogue file
back — is registered with :meth:`UnitOfWork.after_commit` and runs only after the commit.

Database errors are translated in one place, :func:`translate` (as httpx maps transport errors in
one table): a stale optimistic version or a unique clash with a concurrent writer becomes
:class:`~bpsm.errors.ConcurrentModification`; a lost or refused connection becomes
:class:`~bpsm.errors.DatabaseUnavailable`, with the password masked.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from types import TracebackType

from sqlalchemy import exc as sa
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from bpsm.errors import BpsmError, ConcurrentModification, DatabaseUnavailable

__all__ = ["ERROR_MAP", "UnitOfWork", "translate"]


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
    if (
        not unique
    ):  # a CHECK or foreign-key violation is a bug in the caller, not a race: let it show
        return None
    return ConcurrentModification(f"{_table(exc)} (the same record was created meanwhile)")


def _unavailable(exc: BaseException, url: str) -> BpsmError | None:
    orig = getattr(exc, "orig", None)
    reason = str(orig if orig is not None else exc).strip().splitlines()
    return DatabaseUnavailable(url, reason[0] if reason else type(exc).__name__)


#: database error → typed error (None: not the user's problem, left as it is); first type wins.
#: Unique clashes are concurrent creations (two detectors reporting one burst, two runs
#: creating one maintenance occurrence).
ERROR_MAP: tuple[
    tuple[type[BaseException], Callable[[BaseException, str], BpsmError | None]], ...
] = (
    (StaleDataError, _stale),
    (sa.IntegrityError, _duplicate),
    (sa.OperationalError, _unavailable),
    (sa.InterfaceError, _unavailable),
)


def translate(exc: BaseException, url: str = "the database") -> BpsmError | None:
    """The typed error for a database error (None when it is not one the map knows)."""
    for kind, make in ERROR_MAP:
        if isinstance(exc, kind):
            return make(exc, url)
    return None


class UnitOfWork:
    """One transaction: ``with UnitOfWork(sessions) as uow: ... uow.session ...``.

    Commits when the block ends normally, rolls back when it raises; then runs the
    :meth:`after_commit` callbacks (only after a commit). Database errors leave as typed errors.
    """

    def __init__(self, sessions: sessionmaker[Session], url: str = "the database"):
        self._sessions = sessions
        self._url = url
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
