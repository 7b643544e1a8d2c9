"""The station's implementation of the audit-trail protocol (screens/audit/backend.py).

Reads go through domain/audit/query.py (keyset paging) and domain/audit/browse.py; every
call first checks the actor's audit.view permission. The result of the last verify run
from this station is kept beside its anchor file (``last_verify.json``), so the integrity
view can say when the trail was last checked, by whom, and what was found.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from domain.audit import browse, labels, query
from domain.audit.anchors import read_anchors
from domain.audit.export import export_bundle
from domain.services import access, signatures
from domain.services.signatures import RecordRef
from domain.uow import UnitOfWork
from domain.watchdog import sealing_alarm
from kiosk.sessions import SessionBook
from kiosk.settings import StationSettings
from screens.audit.backend import (
    EntryView,
    ExportOutcome,
    IntegrityStatus,
    Progress,
    SignatureCheck,
    VerifyOutcome,
)

log = logging.getLogger(__name__)
LAST_VERIFY = "last_verify.json"
_PRINTED_NAME = text("SELECT printed_name FROM workcell.users WHERE username = :u")
# table_name is a regclass: compare as one, whatever the search_path makes it print as.
_SIGNABLE = text(
    "SELECT record_type FROM workcell.signable_type WHERE table_name = to_regclass(:table)"
)


class AuditStationBackend:
    """Implements AuditBackend for one station."""

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
    def engine(self) -> Engine:
        bind = self.session_factory.kw["bind"]
        assert isinstance(bind, Engine)
        return bind

    def _reader(self, actor: str) -> UnitOfWork:
        """``actor``'s database session (AttributionError: sign in first)."""
        return UnitOfWork(self.session_factory, self.sessions.require(actor))

    def _check(self, uow: UnitOfWork) -> None:
        access.require_permission(uow, "audit.view")

    def audit_page(
        self,
        actor: str,
        flt: query.AuditFilter,
        *,
        before_id: int | None = None,
        after_id: int | None = None,
        limit: int = 50,
    ) -> query.AuditPage:
        with self._reader(actor) as uow:
            self._check(uow)
            flt = labels.resolve_record(uow.session, flt)
            return query.search(uow, flt, before_id=before_id, after_id=after_id, limit=limit)

    def record_labels(self, actor: str, entry_ids: Sequence[int]) -> dict[int, str]:
        with self._reader(actor) as uow:
            self._check(uow)
            return labels.record_labels(uow.session, entry_ids)

    def audit_entry(self, actor: str, entry_id: int) -> EntryView:
        with self._reader(actor) as uow:
            self._check(uow)
            detail = query.detail(uow, entry_id)
            row = detail.row
            signable = uow.session.scalar(_SIGNABLE, {"table": row.table_name})
            sigs: tuple[SignatureCheck, ...] = ()
            if signable is not None and row.record_key.isdigit():
                record = RecordRef(signable, int(row.record_key))
                sigs = tuple(
                    SignatureCheck(
                        s.printed_name,
                        s.username,
                        s.meaning,
                        s.signed_at,
                        s.record_version,
                        s.method,
                        s.station,
                        s.valid,
                        s.reason,
                    )
                    for s in signatures.signatures_for(uow, record)
                )
            name = uow.session.scalar(_PRINTED_NAME, {"u": row.actor})
            others = [r.id for r in detail.same_transaction]
            named = labels.record_labels(uow.session, [row.id, *others])
            refs = labels.reference_names(
                uow.session, row.table_name, (detail.before, detail.after)
            )
        return EntryView(detail, sigs, signable is not None, name, named.get(row.id), refs, named)

    def audit_tables(self, actor: str) -> tuple[str, ...]:
        with self._reader(actor) as uow:
            self._check(uow)
            names = uow.session.execute(
                text("SELECT table_name FROM audit.regulated_table ORDER BY 1")
            ).scalars()
            return tuple(str(n) for n in names)

    # -- integrity ------------------------------------------------------------------------

    @property
    def last_verify_file(self) -> Path:
        return Path(self.settings.data_dir) / LAST_VERIFY

    def integrity(self, actor: str) -> IntegrityStatus:
        with self._reader(actor) as uow:
            self._check(uow)
            state = browse.seal_state(uow.session)
            alarm = sealing_alarm(uow.session.connection())
        return IntegrityStatus(
            state.now,
            state.last_seal_at,
            state.last_seal_by,
            state.head_position,
            state.head_hash,
            state.unsealed,
            state.lag_s,
            float(self.settings.unsealed_grace_s),
            self.last_verify(),
            tuple(alarm.lines()) if alarm else (),
        )

    def last_verify(self) -> VerifyOutcome | None:
        try:
            raw = json.loads(self.last_verify_file.read_text(encoding="utf-8"))
            raw["at"] = dt.datetime.fromisoformat(raw["at"])
            raw["problems"] = tuple(raw["problems"])
            raw["warnings"] = tuple(raw["warnings"])
            raw["alarms"] = tuple(raw.get("alarms", ()))
            return VerifyOutcome(**raw)
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("unreadable %s: %s", self.last_verify_file, exc)
            return None

    def run_verify(self, actor: str, progress: Progress) -> VerifyOutcome:
        with self._reader(actor) as uow:
            self._check(uow)
            started = uow.session.scalar(select(func.now()))
        anchors = read_anchors(self.settings.anchor_file)
        report = browse.verify_with_progress(
            self.engine, anchors, float(self.settings.unsealed_grace_s), progress
        )
        outcome = VerifyOutcome(
            ok=report.ok,
            at=started or dt.datetime.now(dt.UTC),
            by=actor,
            station=self.settings.name,
            entries=report.entries,
            chained=report.chained,
            pending=report.pending,
            anchors_checked=report.anchors_checked,
            seconds=report.seconds,
            problems=tuple(p.message for p in report.problems),
            warnings=report.warnings,
            alarms=report.alarms,
        )
        self._remember(outcome)
        return outcome

    def _remember(self, outcome: VerifyOutcome) -> None:
        record = asdict(outcome)
        record["at"] = outcome.at.isoformat()
        try:
            self.last_verify_file.parent.mkdir(parents=True, exist_ok=True)
            self.last_verify_file.write_text(json.dumps(record, indent=1), encoding="utf-8")
        except OSError as exc:  # the result is still shown; only its memory is lost
            log.warning("could not keep the verify result in %s: %s", self.last_verify_file, exc)

    # -- export ---------------------------------------------------------------------------

    def export_trail(
        self, actor: str, flt: query.AuditFilter, fmt: str, directory: Path, progress: Progress
    ) -> ExportOutcome:
        target = browse.writable_directory(directory)
        with self._reader(actor) as uow:
            self._check(uow)
            stamp = uow.session.scalar(select(func.now()))
            name = f"audit-{self.settings.name}-{(stamp or dt.datetime.now(dt.UTC)):%Y%m%d-%H%M%S}"
            if fmt != "bundle":
                path = target / f"{name}.{fmt}"
                rows = browse.export_filtered(uow.session, flt, path, fmt, progress)
                return ExportOutcome(path, rows, fmt)
        progress(0.05, "Writing the whole trail, its chain, seals and anchors…")
        anchors = read_anchors(self.settings.anchor_file)
        result = export_bundle(self.engine, target / f"{name}-bundle", anchors, self.settings.name)
        progress(1.0, "Bundle written")
        note = f"SHA-256 of MANIFEST.sha256 (record it elsewhere): {result.manifest_sha256}"
        return ExportOutcome(result.directory, result.entries, fmt, note)
