"""PIN check + signature commit latency with the shipped argon2 parameters, 1 and 8
concurrent signers, against a baseline measured in the same run.

    .venv/bin/python -m bench.signatures [--ops 40] [--threads 1 8] [--think 1 3]

One operation = what a QA signer's "Approve" button costs: a UnitOfWork, badge digest and
user look-up, argon2id verification of the PIN (m=19 MiB, t=2, p=1), the database's
apply_signature (rules, content hash, append-only insert, audit entry), the item's status
update (approval lock trigger, audit entry) and the commit. The baseline is the same
operation with the argon2 verification replaced by a constant "match" — the same code path
and transaction minus the PIN hash — so the ratio shows what argon2 costs. A sign-in
(authenticate: PIN check only, no write) is measured too. Signers work back to back
(saturation: n threads always busy) and, with n > 1, also "paced": each signer waits a
random 1-3 s between signatures (8 people signing on one floor at once, not a load test).
Uses a scratch database on the test server (WORKCELL_TEST_DATABASE_URL, else
127.0.0.1:5432, else the embedded server).
"""

from __future__ import annotations

import argparse
import random
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext

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
    factory: sessionmaker[Session],
    op: Op,
    work: list[tuple[Person, list[str]]],
    think: tuple[float, float] | None = None,
) -> tuple[list[float], float]:
    """Each (signer, items) pair runs in its own thread; returns latencies (ms), wall (s)."""
    latencies: list[float] = []
    lock = threading.Lock()

    def worker(signer: Person, numbers: list[str]) -> None:
        mine = []
        for number in numbers:
            if think:
                time.sleep(random.uniform(*think))  # not measured
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


def _scenario(
    factory: sessionmaker[Session],
    author: Person,
    signers: list[Person],
    ops: int,
    think: tuple[float, float] | None,
) -> None:
    n = len(signers)
    mode = f"x{n}" + (f" paced {think[0]:g}-{think[1]:g}s" if think else "")
    results = {}
    for label, op, baseline in (
        ("sign-in (PIN check only)", _sign_in, False),
        ("approve: PIN check + signature", _approve, False),
        ("baseline: same, no argon2", _approve, True),
    ):
        tag = f"{n}{'p' if think else ''}-{label[:4]}"
        work = [(s, _items(factory, author.username, ops, f"{tag}-{i}"))
                for i, s in enumerate(signers)]  # fmt: skip
        with _without_argon2() if baseline else nullcontext():
            lat, wall = _run(factory, op, work, think)
        results[label] = lat
        print(f"{label + ' ' + mode:<44} {len(lat):>5} {_p(lat, 50):>8.1f} "
              f"{_p(lat, 95):>8.1f} {len(lat) / wall:>7.1f}")  # fmt: skip
    sign = results["approve: PIN check + signature"]
    base = results["baseline: same, no argon2"]
    print(f"ratio approve/baseline {mode}: p50 {_p(sign, 50) / _p(base, 50):.2f}, "
          f"p95 {_p(sign, 95) / _p(base, 95):.2f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=40, help="operations per signer")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--paced-ops", type=int, default=15, help="per signer, paced runs")
    parser.add_argument("--think", type=float, nargs=2, default=[1.0, 3.0], metavar=("MIN", "MAX"))
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
        print(f"{'workload':<44} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'ops/s':>7}")
        # warm-up (connections, argon2 hasher, plan caches), not measured
        for s in signers:
            for number in _items(factory, author.username, 2, f"warm-{s.username}"):
                _sign_in(factory, s, number)
                _approve(factory, s, number)
        scenarios = [(n, None) for n in args.threads]
        scenarios += [(n, (args.think[0], args.think[1])) for n in args.threads if n > 1]
        for n, think in scenarios:
            _scenario(factory, author, signers[:n], args.paced_ops if think else args.ops, think)
    finally:
        engine.dispose()
        drop_test_database(db)


if __name__ == "__main__":
    main()
