"""Regenerate domain/audit/machinery.json from a fresh database migrated to head.

Run after changing any SECURITY DEFINER function, trigger function or trigger:
    .venv/bin/python -m tests.manifest      (or: make manifest)
The fingerprints are the same on PostgreSQL 15 and 18 (checked by the pg18 suite).
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import create_engine

from domain.audit.machinery import manifest
from tests.conftest import create_test_database, drop_test_database

TARGET = Path(__file__).resolve().parents[1] / "domain" / "audit" / "machinery.json"


def main() -> None:
    db = create_test_database("wcmanifest")
    engine = create_engine(db.admin)
    try:
        with engine.connect() as conn:
            data = manifest(conn)
        TARGET.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", "utf-8")
        print(
            f"{TARGET}: {len(data.get('functions', {}))} functions, "
            f"{len(data.get('triggers', {}))} triggers"
        )
    finally:
        engine.dispose()
        drop_test_database(db)


if __name__ == "__main__":
    main()
