"""PIN check + signature commit latency with the shipped argon2 parameters, 1 and 8
concurrent signers, against a baseline measured in the same run.

    .venv/bin/python -m bench.signatures [--ops 40] [--threads 1 8] [--think 1 3]

One operation = what a QA signer's "Approve" button costs, with the database proving the
person (migration 0007): a UnitOfWork in the signer's session, a committed challenge from
the database (salt and cost of the PIN, single-use nonce), argon2id of the PIN at the
station (m=19 MiB, t=2, p=1, the shipped cost restored in the scratch database's policy
row), the SCRAM proof, workcell.sign (proof check, rollback-proof counters, rules, content
hash, append-only insert, access-log line, audit entries), the item's status update
(approval lock trigger, audit entry) and the commit. The baseline is the same operation
with the argon2id output taken from a cache filled before the run — the same code path,
challenge and transactions minus the PIN hash — so the ratio shows what argon2 costs. A
sign-in (authenticate: challenge, argon2id, workcell.sign_in opening a session and writing
an access-log line) is measured too. Signers work back to back (saturation: n threads
always busy) and, with n > 1, also "paced": each signer waits a random 1-3 s between
signatures (8 people signing on one floor at once, not a load test).
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

from bench.scratch import scratch_database
from domain.db import make_engine, make_session_factory
from domain.services import identity, item_approval, items, scram
from domain.services.pin_policy import IdentityPolicy
from domain.uow import StationSession, UnitOfWork
from tests.conftest import drop_test_database
from tests.identity_helpers import Person, admin_for, enrol
from tests.sessions import session_of

POLICY = IdentityPolicy()  # shipped PIN rules; the argon2id cost is the database's
STATION = "bench"
# The signers' sessions at the bench station, opened before each measured run.
_SIGNED_IN: dict[str, StationSession] = {}


def _items(factory: sessionmaker[Session], author: str, count: int, tag: str) -> list[str]:
    numbers = [f"BS-{tag}-{i:05d}" for i in range(count)]
    with UnitOfWork(factory, session_of(factory, author)) as uow:
        for n in numbers:
            items.create_item(uow, items.NewItem(n, "Bench part", "component", "ea"))
        uow.commit()
    return numbers


def _approve(factory: sessionmaker[Session], signer: Person, number: str) -> None:
    with UnitOfWork(factory, _SIGNED_IN[signer.username]) as uow:
        item_approval.approve_item(uow, number, signer.creds(), station=STATION, policy=POLICY)
        uow.commit()


def _sign_in(factory: sessionmaker[Session], signer: Person, _: str) -> None:
    identity.authenticate(factory, signer.creds(), station=STATION, policy=POLICY)


@contextmanager
def _without_argon2(factory: sessionmaker[Session], signers: list[Person]) -> Iterator[None]:
    """argon2id outputs from a cache: filled by one sign-in per signer (not measured), then
    every PIN check of the run finds its salted PIN there."""
    original = scram.salted_password
    cache: dict[tuple[str, bytes, scram.Cost], bytes] = {}

    def cached(pin: str, salt: bytes, cost: scram.Cost) -> bytes:
        key = (pin, salt, cost)
        if key not in cache:
            cache[key] = original(pin, salt, cost)
        return cache[key]

    scram.salted_password = cached
    try:
        for signer in signers:
            _sign_in(factory, signer, "")
        yield
    finally:
        scram.salted_password = original


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
    for signer, _ in work:  # each signer signed in at the station (not measured)
        _SIGNED_IN[signer.username] = session_of(factory, signer.username)

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
        ("sign-in (PIN check + session)", _sign_in, False),
        ("approve: PIN check + signature", _approve, False),
        ("baseline: same, no argon2", _approve, True),
    ):
        tag = f"{n}{'p' if think else ''}-{label[:4]}"
        work = [(s, _items(factory, author.username, ops, f"{tag}-{i}"))
                for i, s in enumerate(signers)]  # fmt: skip
        with _without_argon2(factory, signers) if baseline else nullcontext():
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
    db = scratch_database("wcbench", shipped_argon2=True)
    engine = make_engine(db.station, pool_size=max(args.threads) + 2)
    try:
        factory = make_session_factory(engine)
        admin = admin_for(db)
        author = enrol(factory, admin, roles=("engineer",), prefix="beng")
        signers = [
            enrol(factory, admin, roles=("qa",), prefix="bqa") for _ in range(max(args.threads))
        ]
        cost = identity.server_policy(factory).cost
        print(f"argon2id m={cost.memory_kib} KiB t={cost.time_cost} "
              f"p={cost.parallelism}; {args.ops} ops per signer")  # fmt: skip
        print(f"{'workload':<44} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'ops/s':>7}")
        # warm-up (connections, argon2 hasher, plan caches), not measured
        for s in signers:
            _SIGNED_IN[s.username] = session_of(factory, s.username)
            for number in _items(factory, author.username, 2, f"warm-{s.username}"):
                _sign_in(factory, s, number)
                _approve(factory, s, number)
        scenarios: list[tuple[int, tuple[float, float] | None]] = [(n, None) for n in args.threads]
        scenarios += [(n, (args.think[0], args.think[1])) for n in args.threads if n > 1]
        for n, think in scenarios:
            _scenario(factory, author, signers[:n], args.paced_ops if think else args.ops, think)
    finally:
        engine.dispose()
        drop_test_database(db)


if __name__ == "__main__":
    main()
