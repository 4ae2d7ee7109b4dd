"""The import ledger: which source case became which call, so an import never writes one twice."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from bpsm.store.tables.core import Base

__all__ = ["ImportLedgerRow"]


class ImportLedgerRow(Base):
    """One imported case: the source (the mapping's name) and its case id, and the call it became.

    Written in the same transaction as the call, so a case is in the ledger exactly when its call
    is in the database; an import skips the cases its source already has here.
    """

    __tablename__ = "import_ledger"
    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    case_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), unique=True)
