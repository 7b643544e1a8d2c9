"""A station process for the kill tests: the real service code in a process of its own, which
the test kills with SIGKILL at the moment it names on stdout.

    python -m tests.reliability.worker scan-sign URL USER STEP BIN LOT:QTY [LOT:QTY ...]
        each scan committed ("scanned LOT"), then the step signed "performed" in a transaction
        left open ("signing PID": the signature is written, not committed), then it waits
    python -m tests.reliability.worker scan-open URL USER STEP BIN LOT:QTY
        the scan consumed in a transaction left open ("scanning PID"), then it waits
    python -m tests.reliability.worker seal URL ANCHORS
        one pass of the station's background sealer ("sealed N")
"""

from __future__ import annotations

import sys
import time
from decimal import Decimal
from pathlib import Path

from sqlalchemy import text

from domain.db import make_engine, make_session_factory
from domain.services import identity
from domain.services.eco import Signing
from domain.services.identity import Credentials
from domain.services.work_orders import execution
from domain.uow import UnitOfWork
from tests.integration.engineering_helpers import PIN, POLICY, STATION


def say(line: str) -> None:
    print(line, flush=True)


def _wait() -> None:
    time.sleep(120)  # killed long before
    raise SystemExit("not killed")


def scan(url: str, user: str, step: int, bin_code: str, lots: list[str], sign: bool) -> None:
    factory = make_session_factory(make_engine(url))
    creds = Credentials(PIN, username=user)
    who = identity.authenticate(factory, creds, station=STATION, policy=POLICY).session
    for spec in lots:
        lot, qty = spec.split(":")
        with UnitOfWork(factory, who, "component scan") as uow:
            execution.consume(uow, step, lot, bin_code, Decimal(qty))
            if not sign:
                pid = uow.session.execute(text("SELECT pg_backend_pid()")).scalar()
                say(f"scanning {pid}")
                _wait()
            uow.commit()
        say(f"scanned {lot}")
    with UnitOfWork(factory, who, "step signed") as uow:
        execution.sign_step(uow, step, "performed", Signing(creds, STATION, POLICY))
        pid = uow.session.execute(text("SELECT pg_backend_pid()")).scalar()
        say(f"signing {pid}")
        _wait()


def seal(url: str, anchors: str) -> None:
    from kiosk.sealer import Sealer
    from kiosk.settings import StationSettings

    settings = StationSettings(name="sealer", data_dir=Path(anchors).parent)
    status = Sealer(make_engine(url), settings, anchor_file=Path(anchors)).run_once()
    say(f"sealed {status.sealed} ok={status.ok}")


def main(argv: list[str]) -> None:
    mode, url = argv[0], argv[1]
    if mode in ("scan-sign", "scan-open"):
        scan(url, argv[2], int(argv[3]), argv[4], argv[5:], sign=mode == "scan-sign")
    elif mode == "seal":
        seal(url, argv[2])
    else:
        raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main(sys.argv[1:])
