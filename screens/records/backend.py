"""What the record screens need from the station (kiosk/records_backend.py implements it)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

# (fraction done 0..1, what is happening) — called from the worker thread
Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class RecordPrinted:
    """A batch record (or a single record's true copy) made and registered: where it is and
    what identifies it."""

    path: Path
    work_order: str  # the work order, or the single record's key
    pages: int
    json_sha256: str
    pdf_sha256: str


class RecordsBackend(Protocol):
    def print_record(self, actor: str, ident: str, progress: Progress) -> RecordPrinted:
        """Print the record of work order (or lot) ``ident`` as ``actor`` (record.copy);
        WorkCellError for a refusal (not complete, not found, no permission)."""
        ...

    def print_copy(
        self, actor: str, record_type: str, key: str, progress: Progress
    ) -> RecordPrinted:
        """The true copy (PDF/A-3b with its JSON twin, domain/records/single.py) of one
        item, ECO, NCR, CAPA... as ``actor`` (record.copy), registered like a batch record."""
        ...
