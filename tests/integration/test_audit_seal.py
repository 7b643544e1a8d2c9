"""Sealing: only ended transactions, deterministic order, one sealer at a time, and a
background sealer that survives a missing database."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from domain.audit.anchors import read_anchors
from domain.audit.bundle import CANONICAL_FIELDS
from domain.audit.seal import seal
from domain.db import make_engine
from kiosk.sealer import Sealer, SealerStatus
from kiosk.settings import StationSettings
from tests.conftest import TestDatabase, unique
from tests.integration.audit_fixtures import INSERT_ITEM, act

pytestmark = [pytest.mark.pg18, pytest.mark.requirement("11.10(e)")]


def _insert(conn: psycopg.Connection, database: TestDatabase) -> int:
    """Insert an item in the connection's open transaction; returns its audit entry id."""
    act(conn, database)
    item_id = conn.execute(INSERT_ITEM, (unique("S").upper(), "seal test")).fetchone()[0]  # type: ignore[index]
    row = conn.execute(
        "SELECT id FROM audit.entry WHERE table_name = 'workcell.item' AND record_key = %s",
        (str(item_id),),
    ).fetchone()
    assert row is not None
    return int(row[0])


def _position(database: TestDatabase, entry_id: int) -> int | None:
    with database.connect() as conn:
        row = conn.execute(
            "SELECT position FROM audit.chain WHERE entry_id = %s", (entry_id,)
        ).fetchone()
    return None if row is None else int(row[0])


def _seal(database: TestDatabase) -> tuple[int, int]:
    with database.connect(autocommit=True) as conn:
        sealed, head, *_ = conn.execute("SELECT * FROM audit.seal()").fetchone()  # type: ignore[misc]
    return int(sealed), int(head)


def test_entries_wait_for_every_older_running_transaction(database: TestDatabase) -> None:
    """An entry committed while an older transaction still runs is not sealed yet: the older
    one may commit an entry with a smaller id later. Then both are sealed, oldest first."""
    with database.connect() as older, database.connect() as newer:
        old_entry = _insert(older, database)  # older transaction: has its xid, stays open
        new_entry = _insert(newer, database)
        newer.commit()
        _seal(database)
        assert _position(database, new_entry) is None
        older.commit()
    _seal(database)
    old_pos, new_pos = _position(database, old_entry), _position(database, new_entry)
    assert old_pos is not None and new_pos is not None
    assert old_pos < new_pos, "chain order follows transaction order"


def test_rolled_back_entries_are_never_sealed(database: TestDatabase) -> None:
    """An aborted transaction's entry never becomes visible, so it is never chained."""
    with database.connect() as conn:
        lost = _insert(conn, database)
        conn.rollback()
    _seal(database)
    assert _position(database, lost) is None


def test_transaction_in_another_database_does_not_hold_sealing_back(
    database: TestDatabase,
) -> None:
    """The horizon is this database's: a long transaction elsewhere in the cluster (another
    plant database, a report) does not stop sealing, as pg_snapshot_xmin() alone would."""
    other = psycopg.connect(make_conninfo(database.dsn("admin"), dbname="postgres"))
    try:
        other.execute("SELECT pg_current_xact_id()")  # holds an xid, older than ours
        with database.connect() as conn:
            entry = _insert(conn, database)
            conn.commit()
        _seal(database)
        assert _position(database, entry) is not None
    finally:
        other.rollback()
        other.close()


def test_concurrent_sealers_take_turns(database: TestDatabase) -> None:
    """A second sealer does not wait for the first one's lock (issue 11 item 4): it is told
    who holds it and nothing is sealed; after the first commits, it continues after the
    first's last position."""
    with database.connect() as conn:
        first = _insert(conn, database)
        conn.commit()
    holder = database.connect()
    holder.execute("SELECT * FROM audit.seal()")  # keeps the advisory lock until commit
    with database.connect() as conn:
        second = _insert(conn, database)
        conn.commit()
    engine = make_engine(database.station)
    try:
        blocked = seal(engine)  # returns at once: no thread, no wait
        assert blocked.blocked is not None and blocked.sealed == 0
        assert blocked.blocked.holder_pid == holder.info.backend_pid
        with database.connect(autocommit=True) as conn, pytest.raises(psycopg.Error) as caught:
            conn.execute("SELECT * FROM audit.seal()")
        assert caught.value.sqlstate == "WC050"
        holder.commit()
        holder.close()
        assert seal(engine).blocked is None
    finally:
        engine.dispose()
    first_pos, second_pos = _position(database, first), _position(database, second)
    assert first_pos is not None and second_pos is not None and first_pos < second_pos
    with database.connect() as conn:
        positions = [r[0] for r in conn.execute("SELECT position FROM audit.chain ORDER BY 1")]
    assert positions == list(range(1, len(positions) + 1))


def test_canonical_string_is_the_documented_recipe(database: TestDatabase) -> None:
    """The canonical string parses to the entry's fields (UTC time, text xid) whatever the
    session TimeZone, and its SHA-256 is the stored entry hash."""
    with database.connect() as conn:
        entry = _insert(conn, database)
        conn.commit()
        conn.execute("SET TimeZone = 'America/Los_Angeles'")
        canonical, stored, *fields = conn.execute(
            "SELECT audit.canonical(e), e.entry_hash, e.id, e.tx_id::text,"
            " to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), e.actor,"
            " e.actor_id, e.station, e.table_name, e.record_key, e.operation, e.before,"
            " e.after, e.reason FROM audit.entry e WHERE e.id = %s",
            (entry,),
        ).fetchone()  # type: ignore[misc]
        conn.execute("SET TimeZone = 'UTC'")
        again = conn.execute(
            "SELECT audit.canonical(e) FROM audit.entry e WHERE e.id = %s", (entry,)
        ).fetchone()
    assert again == (canonical,)
    assert hashlib.sha256(canonical.encode()).hexdigest() == stored
    assert json.loads(canonical) == fields
    assert len(fields) == len(CANONICAL_FIELDS)
    assert fields[2].endswith("Z")


def test_sealer_reports_a_missing_database_and_recovers(
    database: TestDatabase, tmp_path: Path
) -> None:
    """With the database away the sealer reports and keeps going; once it is back it seals
    and appends the new head to the anchor file."""
    statuses: list[SealerStatus] = []
    settings = StationSettings(name="pytest", data_dir=tmp_path, seal_interval_s=0.05)
    dead = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    sealer = Sealer(dead, settings, statuses.append)
    status = sealer.run_once()
    assert not status.ok and status.failures == 1 and "sealing failed" in status.message
    dead.dispose()
    engine = make_engine(database.station)
    try:
        with database.connect() as conn:
            _insert(conn, database)
            conn.commit()
        sealer = Sealer(engine, settings, statuses.append)
        sealer.start()
        deadline = time.monotonic() + 10
        while not read_anchors(settings.anchor_file) and time.monotonic() < deadline:
            time.sleep(0.05)
        sealer.stop()
        head = seal(engine)
    finally:
        engine.dispose()
    anchors = read_anchors(settings.anchor_file)
    assert anchors, "the sealer anchored a head"
    assert statuses[-1].ok
    assert anchors[-1].position <= head.head_position


def test_sealer_survives_a_failing_status_callback(database: TestDatabase, tmp_path: Path) -> None:
    """A broken status display must not stop sealing."""

    def broken(status: SealerStatus) -> None:
        raise RuntimeError("display gone")

    engine = make_engine(database.station)
    try:
        settings = StationSettings(name="pytest", data_dir=tmp_path)
        status = Sealer(engine, settings, broken).run_once()
    finally:
        engine.dispose()
    assert status.ok


EDGE_ROWS = r"""
    SELECT ROW(1, '5'::xid8, now(), a, 7, s, 'workcell.t', k, 'UPDATE', b, af, r, '')::audit.entry
      FROM (VALUES
        ('ÄÖü 日本 🙂', 'st"q', 'k\1',
         '{"a": 1.50, "b": [1, 2.000, {"x": null}], "c": "tab\there", "d": "q\"b\\s"}'::jsonb,
         '{}'::jsonb, E'reason with \n newline'),
        ('ctl', E'bell\x07x', E'nl\nx',
         '{"big": 123456789012345678901234567890.000001, "neg": -0.0, "e": 1e10}'::jsonb,
         '[]'::jsonb, NULL),
        ('x', E'\\', '', 'null'::jsonb, '"str"'::jsonb, E'\u0001control'),
        ('y', 'z', 'w', NULL, '{"n": {"deep": [true, false, null]}}'::jsonb, ''))
      AS v(a, s, k, b, af, r)
"""


def test_canonical_string_is_the_jsonb_rendering_on_edge_cases(database: TestDatabase) -> None:
    """audit.canonical builds the string with json_build_array for speed; it must print
    exactly what the jsonb array prints: escapes, control characters, non-ASCII, numerics
    keeping their scale, JSON null versus SQL NULL."""
    with database.connect() as conn:
        rows = conn.execute(
            "SELECT audit.canonical(x.e), jsonb_build_array((x.e).id, (x.e).tx_id::text,"
            " to_char((x.e).at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"
            " (x.e).actor, (x.e).actor_id, (x.e).station, (x.e).table_name, (x.e).record_key,"
            " (x.e).operation, (x.e).before, (x.e).after, (x.e).reason)::text"
            f" FROM ({EDGE_ROWS}) AS x(e)"
        ).fetchall()
    assert len(rows) == 4
    for built, reference in rows:
        assert built == reference
    assert '"big": 123456789012345678901234567890.000001' in rows[1][0]


def test_two_installations_sealed_into_one_anchor_file_each_verify_clean(tmp_path):
    """Anchors name their installation: two databases sealed from one machine into one
    anchor file each verify INTACT, and each one's own anchors are still checked."""
    from domain.audit.anchors import append_anchor, read_anchors
    from domain.audit.seal import seal
    from domain.audit.verify import verify
    from domain.db import make_engine
    from tests.integration.audit_fixtures import fresh_database, write_items

    anchors = tmp_path / "anchors"
    with fresh_database("wcinst") as one, fresh_database("wcinst") as two:
        engines = [make_engine(db.admin) for db in (one, two)]
        try:
            installations = set()
            for db, engine in zip((one, two), engines, strict=True):
                write_items(db, 3, "inst")
                result = seal(engine)
                installations.add(result.installation)
                append_anchor(anchors, result.head_position, result.head_hash, result.at, "t",
                              result.installation)  # fmt: skip
            assert len(installations) == 2 and "" not in installations
            for engine in engines:
                report = verify(engine, read_anchors(anchors))
                assert report.ok, [p.message for p in report.problems]
                assert report.anchors_checked == 1
                assert "1 anchors of other installations" in " ".join(report.warnings)
            # each database's own anchors are still compared: a forged head for one fails it
            first = seal(engines[0])
            append_anchor(anchors, first.head_position, "0" * 64, first.at, "t",
                          first.installation)  # fmt: skip
            assert not verify(engines[0], read_anchors(anchors)).ok
            assert verify(engines[1], read_anchors(anchors)).ok
        finally:
            for engine in engines:
                engine.dispose()
