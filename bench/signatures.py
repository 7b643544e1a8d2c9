"""PIN check + signature commit latency with the shipped argon2 parameters, 1 and 8
concurrent signers, against a baseline measured in the same run.

    .venv/bin/python -m bench.signatures [--ops 100] [--threads 1 8]

One operation = what a QA signer's "Approve" button costs: a UnitOfWork, badge digest and
user look-up, argon2id verification of the PIN (m=19 MiB, t=2, p=1), the database's
apply_signature (rules, content hash, append-only insert, audit entry), the item's status
update (approval lock trigger, audit entry) and the commit. The baseline is the same
operation with the argon2 verification replaced by a constant "match" — the same code path
and transaction minus the PIN hash — so the ratio shows what argon2 costs. A sign-in
(authenticate: PIN check only, no write) is measured too. Uses a scratch database on the
test server (WORKCELL_TEST_DATABASE_URL, else 127.0.0.1:5432, else the embedded server).
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session, sessionmaker

from domain.db import make_engine, make_session_factory
from domain.services import identity, item_approval, items
from domain.services.pin_policy import IdentityPolicy
from domain.uow import UnitOfWork
from tests.conftest import create_test_database, drop_test_database
from tests.identity_helpers import Person, admin_for, enrol

POLICY = IdentityPolicy()  # shipped parameters, badge + PIN only
STATION = "bench"


def _items(factory: sessionmaker[Session], author: str, count: int, tag: str) -> list[str]:
    numbers = [f"BS-{tag}-{i:05d}" for i in range(count)]
    with UnitOfWork(factory, author) as uow:
        for n in numbers:
            items.create_item(uow, items.NewItem(n, "Bench part", "component", "ea"))
        uow.commit()
    return numbers


def _approve(factory: sessionmaker[Session], signer: Person, number: str) -> None:
    with UnitOfWork(factory, signer.username) as uow:
        item_approval.approve_item(uow, number, signer.creds(), station=STATION, policy=POLICY)
        uow.commit()


def _sign_in(factory: sessionmaker[Session], signer: Person, _: str) -> None:
    identity.authenticate(factory, signer.creds(), station=STATION, policy=POLICY)


@contextmanager
def _without_argon2() -> Iterator[None]:
    original = identity.pin_matches
    identity.pin_matches = lambda _hash, _pin: True  # type: ignore[assignment]
    try:
        yield
    finally:
        identity.pin_matches = original  # type: ignore[assignment]


Op = Callable[[sessionmaker[Session], Person, str], None]


def _run(
    factory: sessionmaker[Session], op: Op, work: list[tuple[Person, list[str]]]
) -> tuple[list[float], float]:
    """Each (signer, items) pair runs in its own thread; returns latencies (ms), wall (s)."""
    latencies: list[float] = []
    lock = threading.Lock()

    def worker(signer: Person, numbers: list[str]) -> None:
        mine = []
        for number in numbers:
            t0 = time.perf_counter()
            op(factory, signer, number)
            mine.append((time.perf_counter() - t0) * 1000)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker, args=w) for w in work]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, time.perf_counter() - t0


def _p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=100, help="operations per signer")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 8])
    args = parser.parse_args()
    db = create_test_database("wcbench")
    engine = make_engine(db.station, pool_size=max(args.threads) + 2)
    try:
        factory = make_session_factory(engine)
        admin = admin_for(db)
        author = enrol(factory, admin, roles=("engineer",), prefix="beng")
        signers = [
            enrol(factory, admin, roles=("qa",), prefix="bqa") for _ in range(max(args.threads))
        ]
        print(f"argon2id m={POLICY.argon2_memory_kib} KiB t={POLICY.argon2_time_cost} "
              f"p={POLICY.argon2_parallelism}; {args.ops} ops per signer")  # fmt: skip
        print(f"{'workload':<34} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'ops/s':>7}")
        for n in args.threads:
            results = {}
            for label, op, baseline in (
                ("sign-in (PIN check only)", _sign_in, False),
                ("approve: PIN check + signature", _approve, False),
                ("baseline: same, no argon2", _approve, True),
            ):
                tag = f"{n}-{label[:4]}"
                work = [(s, _items(factory, author.username, args.ops, f"{tag}-{i}"))
                        for i, s in enumerate(signers[:n])]  # fmt: skip
                if baseline:
                    with _without_argon2():
                        lat, wall = _run(factory, op, work)
                else:
                    lat, wall = _run(factory, op, work)
                results[label] = lat
                print(f"{label + f' x{n}':<34} {len(lat):>5} {_p(lat, 50):>8.1f} "
                      f"{_p(lat, 95):>8.1f} {len(lat) / wall:>7.1f}")  # fmt: skip
            sign = results["approve: PIN check + signature"]
            base = results["baseline: same, no argon2"]
            print(f"ratio approve/baseline x{n}: p50 {_p(sign, 50) / _p(base, 50):.2f}, "
                  f"p95 {_p(sign, 95) / _p(base, 95):.2f}")  # fmt: skip
    finally:
        engine.dispose()
        drop_test_database(db)


if __name__ == "__main__":
    main()
