"""Pure identity rules: PIN policy, credential method, policy from settings, manifestation."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from domain.errors import InvalidInput
from domain.services import scram
from domain.services.identity import Credentials
from domain.services.pin_policy import IdentityPolicy, check_new_pin, is_trivial
from domain.services.signatures import RecordRef, SignatureView

POLICY = IdentityPolicy()


def test_a_verifier_answers_only_its_pin() -> None:
    """A proof from the right PIN is what the stored key expects; another PIN's is not."""
    cost = scram.Cost(64, 1, 1)
    verifier = scram.new_verifier("583920", cost)
    assert scram.stored_key_under("583920", verifier.salt, cost) == verifier.stored_key
    assert scram.stored_key_under("583921", verifier.salt, cost) != verifier.stored_key
    assert scram.new_verifier("583920", cost).salt != verifier.salt  # a fresh salt each time


@pytest.mark.parametrize("pin", ["12345", "58392a", "５８３９２０", "1234567890123"])
def test_malformed_pins_are_refused(pin: str) -> None:
    """Too short, too long, or not ASCII digits: refused with a message."""
    with pytest.raises(InvalidInput):
        check_new_pin(POLICY, pin)


@pytest.mark.parametrize("pin", ["111111", "123456", "987654", "890123", "210987"])
def test_trivial_pins_are_refused(pin: str) -> None:
    """Repeated digits and ascending/descending runs are too easy to guess."""
    assert is_trivial(pin)
    with pytest.raises(InvalidInput, match="too easy"):
        check_new_pin(POLICY, pin)


def test_reasonable_pin_is_accepted() -> None:
    """A six-digit PIN with no pattern passes the policy."""
    assert check_new_pin(POLICY, "583920") == "583920"


def test_minimum_length_is_configurable() -> None:
    """A site may demand longer PINs."""
    with pytest.raises(InvalidInput, match="at least 8"):
        check_new_pin(IdentityPolicy(min_pin_length=8), "5839201")


def test_credentials_method_is_derived() -> None:
    """Badge + PIN or username + PIN; neither or both is refused."""
    assert Credentials("583920", badge_uid="04AB").method == "badge+pin"
    assert Credentials("583920", username="quinn").method == "username+pin"
    with pytest.raises(InvalidInput):
        _ = Credentials("583920").method
    with pytest.raises(InvalidInput):
        _ = Credentials("583920", badge_uid="04AB", username="quinn").method


def test_credentials_repr_hides_pin_and_badge() -> None:
    """Neither the PIN nor the card id can reach a log line through repr/str."""
    creds = Credentials("583920", badge_uid="04ABCDEF99")
    for text in (repr(creds), str(creds), f"{creds}"):
        assert "583920" not in text
        assert "04ABCDEF99" not in text


@dataclass
class _Settings:
    allow_username_pin: bool = True
    pin_expiry_days: int = 90
    max_failed_attempts: int = 3
    name: str = "line1"


def test_policy_from_station_settings() -> None:
    """The kiosk builds the policy from its settings; unknown fields are ignored."""
    policy = IdentityPolicy.from_settings(_Settings())
    assert (policy.allow_username_pin, policy.pin_expiry_days, policy.max_failed_attempts) == (
        True,
        90,
        3,
    )
    assert (
        IdentityPolicy.from_settings(_Settings(), allow_username_pin=False).allow_username_pin
        is False
    )


def test_record_ref_accepts_table_name() -> None:
    """RecordRef("workcell.item", 1) names the same type as RecordRef("item", 1)."""
    assert RecordRef("workcell.item", 1) == RecordRef("item", 1)


def test_manifestation_shows_name_time_zone_and_meaning() -> None:
    """§11.50: printed name, date and time with zone, meaning — in the station's zone."""
    view = SignatureView(
        1,
        RecordRef("item", 1),
        1,
        "approved",
        "Quinn QA",
        "quinn",
        dt.datetime(2026, 11, 26, 7, 5, 9, tzinfo=dt.UTC),
        "badge+pin",
        "station_line1",
        None,
        True,
        None,
    )
    assert view.manifestation().line == "Approved by Quinn QA on 2026-11-26 07:05:09 UTC"
    berlin = view.manifestation("Europe/Berlin")
    assert berlin.when == "2026-11-26 08:05:09 CET"
