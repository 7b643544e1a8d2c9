"""The station's implementation of screens/records/backend.py: print a batch record as the
signed-in person (record.copy), in one transaction that also registers the PDF's SHA-256,
and save it in the station's export directory (settings.export_dir; by default the data
directory's records/ folder). Also the station's newest audit
anchor, which every record prints beside the chain head."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from textual.screen import Screen

from domain.audit.anchors import last_anchor
from domain.files import write_new
from domain.records import copies
from domain.records.collect import ChainHead
from kiosk.sessions import SessionBook
from kiosk.settings import StationSettings, load_settings
from screens.records.backend import Progress, RecordPrinted
from screens.records.copy import OpenCopy
from screens.records.progress import RecordProgressModal


def station_anchor(settings: StationSettings | None = None) -> ChainHead | None:
    """This station's newest anchor (domain/audit/anchors.py), if it wrote one."""
    anchor = last_anchor((settings or load_settings()).anchor_file)
    if anchor is None:
        return None
    return ChainHead(None, None, anchor.position, anchor.chain_hash, anchor.recorded_at or None)


class RecordsStationBackend:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        settings: StationSettings,
        *,
        sessions: SessionBook | None = None,
    ) -> None:
        self.session_factory = session_factory
        self.settings = settings
        self.sessions = sessions or SessionBook(session_factory)

    @property
    def directory(self) -> Path:
        return self.settings.records_dir

    def print_record(self, actor: str, ident: str, progress: Progress) -> RecordPrinted:
        # a directory the station cannot write to is refused before anything is registered
        self._writable()
        anchor = station_anchor(self.settings)
        reason = f"batch record of {ident.strip().upper()} printed at the station"
        with self.sessions.uow(actor, reason) as uow:
            made = copies.generate(uow, ident, anchor, progress)
            uow.commit()
        number = made.record.header.work_order.number
        path = self._new_path(number, made.copy_id)
        write_new(path, made.rendered.pdf)  # whole or not at all, never over another
        return RecordPrinted(
            path, number, made.rendered.pages, made.rendered.json_sha256, made.rendered.pdf_sha256
        )

    def print_copy(
        self, actor: str, record_type: str, key: str, progress: Progress
    ) -> RecordPrinted:
        """One record's true copy (the CLI's `workcell record export TYPE KEY`), saved in
        the export directory under a name of its own."""
        from domain.records import single

        single.kind_of(record_type)  # a clear refusal before anything is read
        self._writable()
        anchor = station_anchor(self.settings)
        progress(0.05, "reading the record")
        with self.sessions.uow(actor, f"true copy of {record_type} {key.strip()} made") as uow:
            progress(0.2, "rendering the copy")
            made = copies.export(uow, record_type, key, "pdf", anchor)
            progress(0.9, "registering the copy")
            uow.commit()
        assert made.pdf is not None and made.pdf_sha256 is not None  # a "pdf" export
        stem = made.attachment_name.removesuffix(".json")
        path = self._new_path(stem, made.copy_id)
        write_new(path, made.pdf)  # whole or not at all, never over another
        progress(1.0, "done")
        return RecordPrinted(path, made.record.key, made.pages, made.json_sha256, made.pdf_sha256)

    def _writable(self) -> None:
        from domain.audit.browse import writable_directory
        from domain.errors import InvalidInput

        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InvalidInput(
                f"The export directory {self.directory} cannot be made"
                f" ({exc.strerror or type(exc).__name__}). Nothing was printed.",
                title="Export directory not writable",
            ) from exc
        writable_directory(self.directory)

    def _new_path(self, number: str, copy_id: int) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        return self.directory / f"{number}-copy{copy_id}.pdf"


def _records_backend(station_backend: Any) -> RecordsStationBackend | None:
    factory = getattr(station_backend, "session_factory", None)
    settings = getattr(station_backend, "settings", None)
    if factory is None or settings is None:
        return None
    sessions = getattr(station_backend, "sessions", None)  # one SessionBook per station
    return RecordsStationBackend(factory, settings, sessions=sessions)


def record_printer(station_backend: Any) -> Callable[[str, str], Screen[Any]] | None:
    """What the work order and lot screens push to print a record: (actor, work order or
    lot) → the progress modal, on the station's database, settings and sessions."""
    backend = _records_backend(station_backend)
    if backend is None:
        return None
    return lambda actor, ident: RecordProgressModal(backend, actor, ident)


def copy_printer(station_backend: Any) -> OpenCopy | None:
    """What the item, ECO, NCR and CAPA screens push to print one record's true copy:
    (actor, record type, key) → the progress modal (screens/records/copy.py)."""
    backend = _records_backend(station_backend)
    if backend is None:
        return None
    return lambda actor, kind, key: RecordProgressModal(backend, actor, key, record_type=kind)
