"""The station's implementation of screens/records/backend.py: print a batch record as the
signed-in person (record.copy), in one transaction that also registers the PDF's SHA-256,
and save it under the data directory's records/ folder. Also the station's newest audit
anchor, which every record prints beside the chain head."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from domain.audit.anchors import last_anchor
from domain.files import write_new
from domain.records import copies
from domain.records.collect import ChainHead
from kiosk.sessions import SessionBook
from kiosk.settings import StationSettings, load_settings
from screens.records.backend import Progress, RecordPrinted

RECORDS_DIR = "records"


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
        return self.settings.data_dir / RECORDS_DIR

    def print_record(self, actor: str, ident: str, progress: Progress) -> RecordPrinted:
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

    def _new_path(self, number: str, copy_id: int) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        return self.directory / f"{number}-copy{copy_id}.pdf"
