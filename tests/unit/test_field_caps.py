"""What a person reads when a size cap or a station time limit refuses their input."""

from __future__ import annotations

from dataclasses import dataclass

from domain.errors import InvalidInput, TimeLimitExceeded, translate
from domain.field_caps import FieldCap


@dataclass
class _Diag:
    constraint_name: str = ""
    message_primary: str = ""
    message_hint: str | None = None


class _DbError(Exception):
    def __init__(self, sqlstate: str, diag: _Diag) -> None:
        super().__init__(diag.message_primary)
        self.sqlstate = sqlstate
        self.diag = diag


def test_a_cap_names_the_field_its_size_and_the_limit() -> None:
    cap = FieldCap("workcell.eco", "title", "ECO title", 200, "characters", "ck_eco_title_len")
    assert cap.size("é" * 201) == 201
    assert cap.message(201) == (
        "ECO title is too long (201 characters): at most 200 characters. "
        "Shorten it; nothing was saved."
    )


def test_json_caps_count_the_bytes_of_the_stored_text() -> None:
    cap = FieldCap("workcell.kiosk_draft", "payload", "Draft", 20, "bytes", "ck_x_len")
    assert cap.size({"a": "é"}) == len('{"a": "é"}'.encode())
    assert cap.size(None) == 0


def test_an_unknown_cap_constraint_still_reads_as_too_long() -> None:
    err = translate(_DbError("23514", _Diag("ck_future_table_notes_len", "violates")))
    assert isinstance(err, InvalidInput)
    assert err.message == (
        "A value is too long for this field (ck_future_table_notes_len). "
        "Shorten it; nothing was saved."
    )


def test_other_check_constraints_keep_their_message() -> None:
    err = translate(_DbError("23514", _Diag("ck_item_type", "violates")))
    assert err is not None and err.message == "A value is not allowed here (ck_item_type)."


def test_time_limits_and_too_long_values_are_translated() -> None:
    for code in ("57014", "55P03", "25P03"):
        err = translate(_DbError(code, _Diag(message_primary="canceling statement")))
        assert isinstance(err, TimeLimitExceeded) and "Nothing was saved" in err.message
    err = translate(_DbError("22001", _Diag(message_primary="A reason has at most 500 characters")))
    assert isinstance(err, InvalidInput) and err.message == "A reason has at most 500 characters"
    blocked = translate(_DbError("WC050", _Diag(message_primary="Sealing blocked: x")))
    assert blocked is not None and blocked.message == "Sealing blocked: x"


def test_every_new_session_factory_checks_its_flushes_even_at_a_reused_address() -> None:
    """A factory made after another was garbage collected often gets its address; SQLAlchemy's
    event.contains() said such a factory was already installed and its flushes went
    unchecked (the oversized draft reached the database's CHECK, a flaky integration test)."""
    import gc

    from sqlalchemy.orm import Session, sessionmaker

    from domain import field_caps

    addresses: set[int] = set()
    reused = 0
    for _ in range(20):
        factory: sessionmaker[Session] = sessionmaker()
        reused += id(factory) in addresses
        addresses.add(id(factory))
        field_caps.install(factory)
        field_caps.install(factory)  # twice: still one check per flush
        listeners = list(factory().dispatch.before_flush)
        assert listeners.count(field_caps._before_flush) == 1
        del factory, listeners
        gc.collect()
    assert reused > 0  # the case that went wrong did happen here
