"""BOM revisions: drafts only editable (service and SQL), effectivity, as-of, explosion, cycles."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import psycopg
import pytest

from domain.errors import InvalidInput, NotFound, RuleViolation
from domain.services import bom, eco, effectivity, explosion
from tests.conftest import TEST_ADMIN, TestDatabase
from tests.integration.engineering_helpers import (
    ENGINEER,
    RELEASERS,
    D,
    database_name,
    draft_bom,
    engineer,  # noqa: F401
    make_item,
    release_bom,
    released_bom,
    signing,
)
from tests.integration.identity_fixtures import token_at

pytestmark = [pytest.mark.pg18, pytest.mark.usefixtures("engineer")]

SET_SESSION = (
    "SELECT set_config('workcell.session', %s, true), set_config('workcell.reason', 'attack', true)"
)


def _released_pair(make_uow) -> tuple[str, str, int]:
    """A parent with one released revision A (one line); returns parent, component, rev id."""
    with make_uow(ENGINEER) as uow:
        parent = make_item(uow, "P", "subassembly")
        comp = make_item(uow)
        uow.commit()
    released_bom(make_uow, parent, [(comp, "2")])
    with make_uow(ENGINEER) as uow:
        rev_id = bom.get_bom(uow, parent, "A").summary.id
    return parent, comp, rev_id


def _sql_attempt(database: TestDatabase, sql: str, params: tuple[object, ...]) -> psycopg.Error:
    with database.connect() as conn:
        conn.execute(SET_SESSION, (token_at(database, TEST_ADMIN),))
        with pytest.raises(psycopg.Error) as err:
            conn.execute(sql, params)
        return err.value


def test_released_revision_lines_refused_by_service(make_uow) -> None:
    """The service refuses to add a line to a released revision, with a readable reason."""
    parent, comp, _ = _released_pair(make_uow)
    with make_uow(ENGINEER) as uow, pytest.raises(RuleViolation, match="only a draft"):
        bom.add_bom_line(uow, parent, "A", bom.BomLineInput(comp, D(1)))


@pytest.mark.parametrize(
    ("sql", "code"),
    [
        (
            "UPDATE workcell.bom_line SET quantity_per = 3, version = version + 1 "
            "WHERE bom_revision_id = %s",
            "WC021",
        ),
        # no DELETE grant at all: draft lines go through workcell.remove_draft_row
        ("DELETE FROM workcell.bom_line WHERE bom_revision_id = %s", "42501"),
        (
            "SELECT workcell.remove_draft_row('bom_line', id) FROM workcell.bom_line"
            " WHERE bom_revision_id = %s",
            "WC021",
        ),
        (
            "INSERT INTO workcell.bom_line (bom_revision_id, position, component_id, quantity_per,"
            " unit, version) SELECT %s, 99, component_id, 1, unit, 1 FROM workcell.bom_line"
            " LIMIT 1",
            "WC021",
        ),
        (
            "UPDATE workcell.bom_revision SET description = 'sneaky', version = version + 1 "
            "WHERE id = %s",
            "WC021",
        ),
    ],
    ids=["update-line", "delete-line", "remove-line", "insert-line", "header-description"],
)
def test_released_revision_refused_through_sql_as_station(
    make_uow, database: TestDatabase, sql: str, code: str
) -> None:
    """As the station role, no SQL changes a released revision's lines or substantive header."""
    _, _, rev_id = _released_pair(make_uow)
    err = _sql_attempt(database, sql, (rev_id,))
    assert err.sqlstate == code


def test_status_cannot_skip_review_through_sql(make_uow, database: TestDatabase) -> None:
    """A draft cannot jump to released, even through SQL (the effectivity guard, WC023, or
    the transition guard, WC024)."""
    with make_uow(ENGINEER) as uow:
        parent = make_item(uow, "P")
        rev = draft_bom(uow, parent, [(make_item(uow), "1")])
        rev_id = bom.get_bom(uow, parent, rev).summary.id
        uow.commit()
    err = _sql_attempt(
        database,
        "UPDATE workcell.bom_revision SET status = 'released', "
        "effective = tstzrange(now() + interval '1 day', NULL), version = version + 1 "
        "WHERE id = %s",
        (rev_id,),
    )
    assert err.sqlstate in ("WC023", "WC024")


def _two_in_review(make_uow) -> tuple[int, int]:
    """A revision released from tomorrow, then a second one in review on an ECO (signed as
    authored): the two ids. Only an open ECO puts a revision in review."""
    with make_uow(ENGINEER) as uow:
        parent = make_item(uow, "P")
        comp = make_item(uow)
        start = effectivity.server_now(uow) + dt.timedelta(days=1)
        first = draft_bom(uow, parent, [(comp, "1")])
        release_bom(uow, parent, first, start)
        second = draft_bom(uow, parent, [(comp, "2")])
        number = eco.create_eco(uow, "second", "test").number
        eco.add_eco_item(uow, number, parent, bom_revision=second)
        author = RELEASERS[database_name(uow)][0]
        eco.submit_eco(uow, number, signing(author))
        ids = [effectivity.load_revision(uow, "bom", parent, x).id for x in (first, second)]
        uow.commit()
    return ids[0], ids[1]


RELEASE_SQL = (
    "UPDATE workcell.bom_revision SET status = 'released', effective = tstzrange({}, NULL), "
    "version = version + 1 WHERE id = %s"
)


def test_overlapping_effectivity_refused_by_database(make_uow, database: TestDatabase) -> None:
    """Two revisions of one item in effect at the same instant violate the exclusion constraint."""
    _, second = _two_in_review(make_uow)
    with database.connect() as conn:
        conn.execute(SET_SESSION, (token_at(database, TEST_ADMIN),))
        with pytest.raises(psycopg.errors.ExclusionViolation):
            conn.execute(RELEASE_SQL.format("now() + interval '2 days'"), (second,))


def test_effective_start_in_the_past_refused_by_database(make_uow, database: TestDatabase) -> None:
    """A release may not start before the server's now (WC023)."""
    _, second = _two_in_review(make_uow)
    err = _sql_attempt(database, RELEASE_SQL.format("now() - interval '1 hour'"), (second,))
    assert err.sqlstate == "WC023"


def test_effective_start_never_moves(make_uow, database: TestDatabase) -> None:
    """Once released, the start of a revision's range cannot be changed (WC023)."""
    _, _, rev_id = _released_pair(make_uow)
    err = _sql_attempt(
        database,
        "UPDATE workcell.bom_revision SET effective = tstzrange(lower(effective) + interval "
        "'1 day', NULL), version = version + 1 WHERE id = %s",
        (rev_id,),
    )
    assert err.sqlstate == "WC023"


def test_effective_date_in_past_refused_by_service(make_uow) -> None:
    """The release service refuses a start in the past with a message naming the date."""
    with make_uow(ENGINEER, reason="t") as uow:
        parent = make_item(uow, "P")
        label = draft_bom(uow, parent, [(make_item(uow), "1")])
        past = effectivity.server_now(uow) - dt.timedelta(days=1)
        with pytest.raises((RuleViolation, InvalidInput), match="in the past"):
            release_bom(uow, parent, label, past)


def test_as_of_at_boundary_instants(make_uow) -> None:
    """Exactly at B's start, B is in effect; one microsecond before, A; before A, nothing."""
    with make_uow(ENGINEER) as uow:
        parent = make_item(uow, "P")
        comp = make_item(uow)
        uow.commit()
    released_bom(make_uow, parent, [(comp, "1")])
    with make_uow(ENGINEER) as uow:
        start_b = effectivity.server_now(uow) + dt.timedelta(days=1)
    released_bom(make_uow, parent, [(comp, "2")], start_b)
    tick = dt.timedelta(microseconds=1)
    with make_uow(ENGINEER) as uow:
        assert bom.bom_as_of(uow, parent, start_b).summary.revision == "B"
        assert bom.bom_as_of(uow, parent, start_b - tick).summary.revision == "A"
        a_start = bom.get_bom(uow, parent, "A").summary.effective_from
        assert a_start is not None
        with pytest.raises(NotFound):
            bom.bom_as_of(uow, parent, a_start - tick)
        hist = {s.revision: s for s in bom.bom_history(uow, parent)}
    assert hist["A"].status == "superseded" and hist["A"].effective_to == start_b
    assert hist["B"].status == "released" and hist["B"].effective_to is None


def test_new_revision_must_start_after_the_current_one(make_uow) -> None:
    """A successor starting at or before the current revision's start is refused."""
    with make_uow(ENGINEER) as uow:
        parent = make_item(uow, "P")
        comp = make_item(uow)
        uow.commit()
    with make_uow(ENGINEER) as uow:
        later = effectivity.server_now(uow) + dt.timedelta(days=5)
    released_bom(make_uow, parent, [(comp, "1")], later)
    with make_uow(ENGINEER, reason="t") as uow:
        label = draft_bom(uow, parent, [(comp, "3")])
        with pytest.raises(RuleViolation, match="must start after"):
            release_bom(uow, parent, label, later - dt.timedelta(days=1))


def test_multi_level_explosion_against_hand_computed_figures(make_uow) -> None:
    """Scrap, unit conversion and shared components roll up to the hand-computed totals
    (the tree in Python and the totals-only SQL agree)."""
    with make_uow(ENGINEER) as uow:
        top = make_item(uow, "FG", "finished")
        sub = make_item(uow, "SA", "subassembly")
        part = make_item(uow, "CP", "component")
        resin = make_item(uow, "RM", "raw", "kg")
        tube = make_item(uow, "RT", "raw", "m")
        uow.commit()
    released_bom(make_uow, part, [bom.BomLineInput(resin, D("12.5"), "g", D("0.04"))])
    released_bom(
        make_uow,
        sub,
        [
            bom.BomLineInput(part, D(2), scrap_factor=D("0.05")),
            bom.BomLineInput(tube, D(150), "mm"),
        ],
    )
    released_bom(
        make_uow,
        top,
        [(sub, "1"), bom.BomLineInput(tube, D("1.5"), scrap_factor=D("0.1")), (part, "1")],
    )
    with make_uow(ENGINEER) as uow:
        now = effectivity.server_now(uow)
        ex = explosion.explode(uow, top, now, Decimal(100))
        in_sql = explosion.rolled_up(uow, top, now, Decimal(100))
    totals = {t.item_number: t.quantity for t in ex.totals}
    assert {t.item_number: (t.quantity, t.made, t.occurrences) for t in in_sql} == {
        t.item_number: (t.quantity, t.made, t.occurrences) for t in ex.totals
    }
    # sub: 100; part: 100*2*1.05 + 100*1 = 310; resin: 310 * 12.5 g * 1.04 = 4030 g = 4.03 kg
    # tube: 100 * 0.150 m + 100 * 1.5 * 1.1 = 15 + 165 = 180 m
    assert totals == {sub: D(100), part: D(310), resin: D("4.03"), tube: D(180)}
    assert [(x.level, x.component) for x in ex.lines][:4] == [
        (1, sub), (2, part), (3, resin), (2, tube)
    ]  # fmt: skip


def test_explosion_picks_revision_in_effect_at_every_level(make_uow) -> None:
    """A subassembly's future revision changes the explosion only from its start."""
    with make_uow(ENGINEER) as uow:
        top, sub, leaf = make_item(uow, "FG"), make_item(uow, "SA"), make_item(uow, "RM")
        uow.commit()
    released_bom(make_uow, sub, [(leaf, "2")])
    released_bom(make_uow, top, [(sub, "3")])
    with make_uow(ENGINEER) as uow:
        now = effectivity.server_now(uow)
    tomorrow = now + dt.timedelta(days=1)
    released_bom(make_uow, sub, [(leaf, "5")], tomorrow)
    with make_uow(ENGINEER) as uow:
        today_total = {t.item_number: t.quantity for t in explosion.explode(uow, top, now).totals}
        later = {t.item_number: t.quantity for t in explosion.explode(uow, top, tomorrow).totals}
    assert today_total[leaf] == D(6) and later[leaf] == D(15)


def test_optional_and_alternate_lines_are_not_rolled_up(make_uow) -> None:
    """Optional and alternate lines show in the tree but do not count in the totals."""
    with make_uow(ENGINEER) as uow:
        top, a, b, c = (make_item(uow, p) for p in ("FG", "CA", "CB", "CC"))
        uow.commit()
    released_bom(
        make_uow,
        top,
        [
            bom.BomLineInput(a, D(1), position=10),
            bom.BomLineInput(b, D(1), alternate_of=10, position=20),
            bom.BomLineInput(c, D(1), optional=True, position=30),
        ],
    )
    with make_uow(ENGINEER) as uow:
        ex = explosion.explode(uow, top, effectivity.server_now(uow))
    assert [x.component for x in ex.lines] == [a, b, c]
    assert [t.item_number for t in ex.totals] == [a]


def test_cycle_refused_by_service_across_draft_revisions(make_uow) -> None:
    """A contains B (only in a draft); B may not contain A."""
    with make_uow(ENGINEER) as uow:
        a, b = make_item(uow, "A"), make_item(uow, "B")
        draft_bom(uow, a, [(b, "1")])
        uow.commit()
    with make_uow(ENGINEER) as uow, pytest.raises(bom.LineErrors, match="BOM cycle"):
        draft_bom(uow, b, [(a, "1")])


def test_cycle_refused_by_database(make_uow, database: TestDatabase) -> None:
    """Through SQL as the station, a line closing a cycle A → B → C → A is refused (WC022)."""
    with make_uow(ENGINEER, reason="t") as uow:
        a, b, c = make_item(uow, "A"), make_item(uow, "B"), make_item(uow, "C")
        released = draft_bom(uow, a, [(b, "1")])
        release_bom(uow, a, released)
        draft_bom(uow, b, [(c, "1")])
        label = bom.create_bom_revision(uow, c).summary.revision
        rev_id = bom.get_bom(uow, c, label).summary.id
        uow.commit()
    err = _sql_attempt(
        database,
        "INSERT INTO workcell.bom_line (bom_revision_id, position, component_id, quantity_per, "
        "unit) SELECT %s, 10, id, 1, unit FROM workcell.item WHERE item_number = %s",
        (rev_id, a),
    )
    assert err.sqlstate == "WC022"


def test_obsolete_revision_does_not_count_for_cycles(make_uow) -> None:
    """Once A's draft containing B is made obsolete, B may contain A."""
    with make_uow(ENGINEER, reason="t") as uow:
        a, b = make_item(uow, "A"), make_item(uow, "B")
        label = draft_bom(uow, a, [(b, "1")])
        effectivity.set_status(uow, effectivity.load_revision(uow, "bom", a, label), "obsolete")
        draft_bom(uow, b, [(a, "1")])
        uow.commit()


def test_new_draft_copies_lines_and_leaves_source_untouched(make_uow) -> None:
    """A new draft copied from a released revision has the same lines; editing it is allowed."""
    parent, comp, _ = _released_pair(make_uow)
    with make_uow(ENGINEER, reason="t") as uow:
        view = bom.create_bom_revision(uow, parent, copy_from="A")
        assert view.summary.revision == "B" and view.summary.status == "draft"
        assert [(x.component, x.quantity_per) for x in view.lines] == [(comp, D(2))]
        bom.add_bom_line(uow, parent, "B", bom.BomLineInput(comp, D(1), notes="second"))
        uow.commit()
    with make_uow(ENGINEER) as uow:
        assert len(bom.get_bom(uow, parent, "A").lines) == 1
        assert len(bom.get_bom(uow, parent, "B").lines) == 2


def test_line_rule_problems_are_listed_together(make_uow) -> None:
    """Every bad line is reported at once (unknown item, bad scrap, designator count)."""
    with make_uow(ENGINEER) as uow:
        parent = make_item(uow, "P")
        comp = make_item(uow)
        label = bom.create_bom_revision(uow, parent).summary.revision
        lines = [
            bom.BomLineInput("NOSUCHITEM", D(1)),
            bom.BomLineInput(comp, D(1), scrap_factor=D("1.5")),
            bom.BomLineInput(comp, D(2), ref_designators=("R1",)),
        ]
        with pytest.raises(bom.LineErrors) as err:
            bom.replace_bom_lines(uow, parent, label, lines)
    problems = err.value.problems
    assert len(problems) == 3
    assert "NOSUCHITEM" in problems[0] and "scrap" in problems[1] and "designator" in problems[2]


def test_bom_changes_are_audited_and_auditor_reads_only(make_uow, database: TestDatabase) -> None:
    """Line inserts land in the audit trail; the auditor role can read but not write."""
    _, _, rev_id = _released_pair(make_uow)
    with database.connect("admin") as conn:
        n = conn.execute(
            "SELECT count(*) FROM audit.entry WHERE table_name = 'workcell.bom_line' "
            "AND after->>'bom_revision_id' = %s",
            (str(rev_id),),
        ).fetchone()
        assert n is not None and n[0] == 1
        conn.execute("SET ROLE workcell_auditor")
        assert conn.execute("SELECT count(*) FROM workcell.bom_line").fetchone() is not None
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE workcell.bom_revision SET description = '' WHERE false")
