"""Engine and session factory. The only place a SQLAlchemy engine is configured."""

from __future__ import annotations

from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session, sessionmaker

from domain import field_caps

JIT_OFF = "-c jit=off"


def make_engine(url: str, *, pool_size: int = 5) -> Engine:
    return create_engine(
        url,
        pool_size=pool_size,
        pool_pre_ping=True,
        # Never put bound parameters in logs or exception text: they can be secrets
        # (PIN hashes, badge ids on their way to workcell.badge_digest).
        hide_parameters=True,
        connect_args={
            "connect_timeout": 5,
            "application_name": "workcell",
            # JIT compiles for ~100 ms when a recursive CTE's estimate passes jit_above_cost
            # (a 3,000-lot recall: 75 ms of work, 104 ms of JIT); every statement here is
            # short, so compiling never pays off (docs/BENCHMARKS.md, trace).
            "options": JIT_OFF,
        },
    )


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    factory = sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)
    # oversized text is refused by name and limit before the database's constraint refuses it
    field_caps.install(factory)
    return factory
