"""How an area's migration installs its tables: one way, shared by every area since 0012.

An area (materials, work orders, equipment, quality, ...) keeps its SQL in
migrations/sql/<area>/ and declares, in its migration, which tables it adds, which are
append-only, what a station may write column by column, which functions a station or an
auditor may call, its BEFORE/AFTER triggers and its guarded record types. `install()` runs
the SQL files and then applies those declarations in the order the security model needs:
triggers and guards before grants, every table audited, nothing writable table-wide.

The declarations stay in each migration (they are the history of what that version
granted); only the mechanics live here. Migrations import nothing from the application.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources

from alembic import op


def sql_file(area: str, name: str) -> str:
    return resources.files("migrations").joinpath("sql", area, name).read_text("utf-8")


def enable_always(table: str, trigger: str) -> None:
    # ALWAYS: the trigger fires under session_replication_role = replica too, so a superuser
    # restoring or replicating rows cannot slip past it by that switch.
    op.execute(f"ALTER TABLE workcell.{table} ENABLE ALWAYS TRIGGER {trigger}")


def row_trigger(table: str, when: str, call: str, *, name: str = "", condition: str = "") -> None:
    """A FOR EACH ROW trigger named <table>_<function> unless named (AFTER triggers fire in
    name order, so a follower is named after the trigger it must follow)."""
    name = name or f"{table}_{call.split('(')[0]}"
    guard = f" WHEN ({condition})" if condition else ""
    op.execute(
        f"CREATE TRIGGER {name} {when} ON workcell.{table} FOR EACH ROW{guard}"
        f" EXECUTE FUNCTION workcell.{call}"
    )
    enable_always(table, name)


@dataclass(frozen=True)
class Area:
    sql_dir: str
    files: Sequence[str]
    tables: Sequence[str] = ()
    # audit record key per table where it is not the id, as SQL: "ARRAY['name']"
    keys: Mapping[str, str] = field(default_factory=dict)
    append_only: Sequence[str] = ()
    # table -> (columns a station may INSERT, columns it may UPDATE); "" for none
    columns: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    station_functions: Sequence[str] = ()
    read_functions: Sequence[str] = ()  # stations and auditors
    internal_functions: Sequence[str] = ()  # nobody but the owner
    # (table, timing + events, function(args)) for BEFORE/AFTER row triggers
    triggers: Sequence[tuple[str, str, str]] = ()
    guarded: Sequence[tuple[str, str]] = ()  # (table, record type) on the transition guard


def run_files(area: Area) -> None:
    for name in area.files:
        op.execute(sql_file(area.sql_dir, name))


def attach_triggers_and_guards(area: Area) -> None:
    for table, when, call in area.triggers:
        row_trigger(table, when, call)
    for table, record_type in area.guarded:
        op.execute(f"SELECT workcell.attach_transition_guard('workcell.{table}', '{record_type}')")


def grant(area: Area) -> None:
    """Audit every table; stations read, and write only the listed columns; functions are
    callable only by whom they are listed for."""
    for name in area.tables:
        table = f"workcell.{name}"
        key = area.keys.get(name, "ARRAY['id']")
        op.execute(f"SELECT audit.attach('{table}', {key}, ARRAY[]::text[], false)")
        op.execute(f"REVOKE ALL ON {table} FROM workcell_app")
        op.execute(f"GRANT SELECT ON {table} TO workcell_app, workcell_auditor")
    for name in area.append_only:
        op.execute(f"SELECT audit.make_append_only('workcell.{name}')")
    for name, (insert, update) in area.columns.items():
        if insert:
            op.execute(f"GRANT INSERT ({insert}) ON workcell.{name} TO workcell_app")
        if update:
            op.execute(f"GRANT UPDATE ({update}) ON workcell.{name} TO workcell_app")
    every = (*area.station_functions, *area.read_functions, *area.internal_functions)
    if every:
        op.execute(f"REVOKE ALL ON FUNCTION {', '.join(every)} FROM PUBLIC")
    if area.station_functions:
        functions = ", ".join(area.station_functions)
        op.execute(f"GRANT EXECUTE ON FUNCTION {functions} TO workcell_app")
    if area.read_functions:
        functions = ", ".join(area.read_functions)
        op.execute(f"GRANT EXECUTE ON FUNCTION {functions} TO workcell_app, workcell_auditor")


def install(area: Area) -> None:
    """The whole of a plain area: SQL files, triggers, guards, audit and grants. An area with
    steps in between (reference data loaded after its tables) calls the parts itself."""
    run_files(area)
    attach_triggers_and_guards(area)
    grant(area)


def add_caps(rows: Sequence[tuple[str, str, str, int]], unit: str = "characters") -> None:
    """Size caps on free-text columns (workcell.add_field_cap, migration 0010): a CHECK per
    column, named in workcell.field_cap so the application states the limit before the
    database refuses. Rows: (table without schema, column, label, limit)."""
    values = ",\n    ".join(
        f"('workcell.{t}', '{c}', '{label.replace(chr(39), chr(39) * 2)}', {n})"
        for t, c, label, n in rows
    )
    op.execute(
        f"SELECT workcell.add_field_cap(t, c, label, n, '{unit}') FROM (VALUES\n    {values}\n"
        "  ) AS caps (t, c, label, n) ORDER BY t, c"
    )
