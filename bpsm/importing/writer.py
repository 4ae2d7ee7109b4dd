"""Writing an event log into a desk: each case replayed, then written through the bulk path.

:func:`import_file` reads the file twice (a first pass finds the cases whose rows are not
together, and counts the rows), then streams it case by case: each case is replayed on the
reactive step table (:mod:`bpsm.importing.replay`) and written with
:meth:`bpsm.bulk.Batch.replayed`, ``batch`` cases per transaction, each with its row in the
import ledger (:class:`bpsm.store.tables.importing.ImportLedgerRow`) in the same transaction.
A case is in the ledger exactly when its call is in the database, so a re-run skips the cases
already imported and a run killed at any point, then run again, ends with the same database as
one uninterrupted run. A case with a bad row is skipped whole, a case the step table cannot
follow is refused whole: never a half-written case.
"""

from __future__ import annotations

import gzip
import io
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, cast

from sqlalchemy import Table, select

from bpsm.errors import BpsmError, Problem, ValidationError
from bpsm.importing.mapping import Mapping
from bpsm.importing.reader import BadRow, RawCase, Skipped, read_cases, split_cases
from bpsm.importing.replay import CaseRefused, Plan, Replayer
from bpsm.store.tables import ServiceRow, StaffRow
from bpsm.store.tables.importing import ImportLedgerRow

if TYPE_CHECKING:
    from bpsm.desk import Desk

__all__ = ["ImportProgress", "ImportResult", "Refused", "import_file"]


_KEY = 200  # the ledger's case_key column
_SOURCE = 64  # its source column (the mapping's name)


@dataclass(frozen=True, slots=True)
class Refused:
    """A case read whole but not imported: no legal path reads it, or the desk refuses a value."""

    case: str
    row: int
    reason: str


@dataclass(slots=True)
class ImportResult:
    """What one run of :func:`import_file` did."""

    file: str
    source: str
    """The ledger's source: the mapping's name."""
    rows: int = 0
    """Data rows in the file (the header not counted)."""
    cases_imported: int = 0
    cases_skipped_already: int = 0
    """Cases the ledger already had for this source (an earlier run imported them)."""
    cases_skipped_bad: int = 0
    """Cases left out whole because of a bad row."""
    events: int = 0
    """Audit events written."""
    bad_rows: list[BadRow] = field(default_factory=list)
    cases_refused: list[Refused] = field(default_factory=list)
    seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class ImportProgress:
    """Handed to ``progress`` after each committed batch (and once before the first)."""

    rows_done: int
    rows: int
    cases_imported: int
    cases_skipped: int
    seconds: float


@contextmanager
def _open(path: Path, mapping: Mapping) -> Iterator[IO[str]]:
    # surrogateescape: a byte the encoding cannot read becomes a marker the reader reports
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as raw:
                yield io.TextIOWrapper(
                    raw, encoding=mapping.encoding, errors="surrogateescape", newline=""
                )
        else:
            with path.open(encoding=mapping.encoding, errors="surrogateescape", newline="") as f:
                yield f
    except (OSError, EOFError) as err:
        if isinstance(err, gzip.BadGzipFile | EOFError):
            raise ValidationError(Problem(f"not a readable gzip file: {err}", str(path))) from None
        raise ValidationError(
            Problem(f"cannot read the file: {getattr(err, 'strerror', None) or err}", str(path))
        ) from None
    except LookupError:
        raise ValidationError(
            Problem(f"unknown encoding {mapping.encoding!r}", str(path), field="encoding")
        ) from None


def _count_rows(path: Path, mapping: Mapping) -> tuple[set[str], int]:
    """The split cases and the number of physical lines after the header (first pass)."""
    lines = 0

    def counted(f: IO[str]) -> Iterator[str]:
        nonlocal lines
        for line in f:
            lines += 1
            yield line

    with _open(path, mapping) as f:
        split = split_cases(counted(f), mapping, path.name)
    return split, max(lines - 1, 0)


def import_file(
    desk: Desk,
    path: Path | str,
    mapping: Mapping,
    *,
    by: str,
    batch: int = 500,
    progress: Callable[[ImportProgress], None] | None = None,
) -> ImportResult:
    """Import the event log ``path`` (``.csv`` or ``.csv.gz``) read by ``mapping`` into ``desk``.

    The imported calls are registered by ``by`` (the importing staff member; a source person who
    is on the desk's staff registers their own), and every audit event carries ``imported``
    (the mapping's name) and ``row`` (its source row). ``batch`` cases are written per
    transaction. Cases already in the import ledger for this mapping are skipped.

    Raises:
        ValidationError: the file cannot be read, or its header lacks a column the mapping
            names (before anything is written).
        PermissionDenied: ``by`` is not on the desk's staff or may not register calls.
    """
    path = Path(path)
    if not isinstance(batch, int) or isinstance(batch, bool) or batch < 1:
        raise ValidationError(Problem(f"{batch!r} must be a whole number ≥ 1", field="batch"))
    if len(mapping.name) > _SOURCE or not mapping.name.strip():
        raise ValidationError(
            Problem(f"{mapping.name[:40]!r}: 1 to {_SOURCE} characters", field="name")
        )
    person = desk.person(by)
    started = time.perf_counter()
    result = ImportResult(file=str(path), source=mapping.name)
    if not path.is_file():
        raise ValidationError(Problem("no such file", str(path)))
    split, result.rows = _count_rows(path, mapping)
    with desk.transaction() as s:
        staff = frozenset(s.scalars(select(StaffRow.id).where(StaffRow.active.is_(True))))
        services: dict[str, int] = dict(
            s.execute(
                select(ServiceRow.id, ServiceRow.current_version).where(ServiceRow.active.is_(True))
            ).all()
        )
        done = set(
            s.scalars(
                select(ImportLedgerRow.case_key).where(ImportLedgerRow.source == mapping.name)
            )
        )
    replayer = Replayer(
        mapping,
        by=person.id,
        by_group=person.group,
        source=mapping.name,
        staff=staff,
        services=services,
    )
    channels = frozenset(desk.config.channels)
    ledger = cast(Table, ImportLedgerRow.__table__)
    rows_done = 0

    def report() -> None:
        if progress is not None:
            progress(
                ImportProgress(
                    rows_done,
                    result.rows,
                    result.cases_imported,
                    result.cases_skipped_already + result.cases_skipped_bad,
                    time.perf_counter() - started,
                )
            )

    def write(plans: list[Plan]) -> None:
        with desk.bulk(by=person.id, chunk=1 << 30) as b:
            for plan in plans:
                try:
                    call = b.replayed(plan.call, plan.contacts, plan.events, skip_refused=True)
                except BpsmError as err:
                    first = plan.events[0]["data"]["row"]
                    result.cases_refused.append(Refused(plan.case_id, first, str(err)))
                    continue
                b.add_row(
                    ledger, {"source": mapping.name, "case_key": plan.case_id, "call_id": call}
                )
                result.cases_imported += 1
                result.events += len(plan.events)

    report()
    pending: list[Plan] = []
    with _open(path, mapping) as f:
        for got in read_cases(f, mapping, path.name, split):
            if isinstance(got, BadRow):
                result.bad_rows.append(got)
                rows_done = max(rows_done, got.row - 1)
                continue
            if isinstance(got, Skipped):
                result.cases_skipped_bad += 1
                continue
            assert isinstance(got, RawCase)
            rows_done = max(rows_done, max(e.row for e in got.events) - 1)
            if len(got.case_id) > _KEY:
                reason = f"case id {got.case_id[:40]!r}… is longer than {_KEY} characters"
                result.cases_refused.append(Refused(got.case_id[:_KEY], got.first_row, reason))
                continue
            if got.case_id in done:
                result.cases_skipped_already += 1
                continue
            try:
                plan = replayer.plan(got)
            except CaseRefused as err:
                result.cases_refused.append(Refused(got.case_id, err.row, err.reason))
                continue
            if plan.call["channel"] not in channels:
                result.cases_refused.append(
                    Refused(
                        got.case_id,
                        got.first_row,
                        f"channel {plan.call['channel']!r} is not one of the desk's "
                        f"({', '.join(sorted(channels))}); map it under channels:",
                    )
                )
                continue
            done.add(got.case_id)
            pending.append(plan)
            if len(pending) >= batch:
                write(pending)
                pending = []
                report()
    if pending:
        write(pending)
    rows_done = result.rows
    result.seconds = time.perf_counter() - started
    report()
    return result
