"""Engine and session factory. The only place a SQLAlchemy engine is configured."""

from __future__ import annotations

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from domain import field_caps

JIT_OFF = "-c jit=off"


def make_engine(url: str, *, pool_size: int = 5) -> Engine:
    connect_args: dict[str, object] = {
        "application_name": "workcell",
        # JIT compiles for ~100 ms when a recursive CTE's estimate passes jit_above_cost
        # (a 3,000-lot recall: 75 ms of work, 104 ms of JIT); every statement here is
        # short, so compiling never pays off (docs/BENCHMARKS.md, trace).
        "options": JIT_OFF,
    }
    # 5 s unless the URL says otherwise: with several hosts (high availability) libpq waits
    # this long on each host that does not answer before it tries the next one.
    if "connect_timeout" not in make_url(url).query:
        connect_args["connect_timeout"] = 5
    # pool_pre_ping: a pooled connection to a server that is gone (a restart, a failover's
    # lost primary) is replaced on checkout, through the URL's hosts, before it is used.
    return create_engine(
        url,
        pool_size=pool_size,
        pool_pre_ping=True,
        # Never put bound parameters in logs or exception text: they can be secrets
        # (PIN hashes, badge ids on their way to workcell.badge_digest).
        hide_parameters=True,
        connect_args=connect_args,
    )


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    factory = sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)
    # oversized text is refused by name and limit before the database's constraint refuses it
    field_caps.install(factory)
    return factory
