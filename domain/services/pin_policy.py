"""The station's PIN rules: pure, no database.

API (stable): ``IdentityPolicy`` (frozen; the kiosk builds it from StationSettings),
``check_new_pin(policy, pin)``, ``is_trivial(pin)``. The database never sees a PIN, so the
station judges its form (digits, length, no repeated digit or run). Everything else — the
argon2id cost, expiry, history, lockout — is the server's policy (workcell.identity_policy;
domain/services/identity.py ``server_policy``), and the PIN itself is only ever turned into
a SCRAM proof or verifier (domain/services/scram.py).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from itertools import pairwise
from typing import Any

from domain.errors import InvalidInput


@dataclass(frozen=True)
class IdentityPolicy:
    """How this station authenticates people. Built from StationSettings by the kiosk/CLI."""

    min_pin_length: int = 6
    max_pin_length: int = 12
    pin_expiry_days: int = 180
    pin_history: int = 5
    max_failed_attempts: int = 5
    allow_username_pin: bool = False
    # version of the e-signature policy people acknowledge before first signing (11.10(j))
    signature_policy_version: str = "ESIG-POLICY-1"

    @classmethod
    def from_settings(cls, settings: Any, **overrides: Any) -> IdentityPolicy:
        """From StationSettings (duck-typed: the domain does not import the kiosk)."""
        values = {
            f.name: getattr(settings, f.name) for f in fields(cls) if hasattr(settings, f.name)
        }
        return cls(**{**values, **overrides})


def check_new_pin(policy: IdentityPolicy, pin: str) -> str:
    """Refuse a PIN that breaks the policy; the message says what to choose instead."""
    if not pin.isdigit() or not pin.isascii():
        raise InvalidInput("A PIN is digits only (0-9).")
    if len(pin) < policy.min_pin_length:
        raise InvalidInput(f"The PIN must have at least {policy.min_pin_length} digits.")
    if len(pin) > policy.max_pin_length:
        raise InvalidInput(f"The PIN must have at most {policy.max_pin_length} digits.")
    if is_trivial(pin):
        raise InvalidInput(
            "That PIN is too easy to guess (one digit repeated, or a run like 123456). "
            "Choose another."
        )
    return pin


def is_trivial(pin: str) -> bool:
    """All one digit, or an ascending/descending run (123456, 987654, 901234...)."""
    if len(set(pin)) == 1:
        return True
    steps = {(int(b) - int(a)) % 10 for a, b in pairwise(pin)}
    return steps in ({1}, {9})
