"""PIN policy and hashing: pure rules, no database.

API (stable): ``IdentityPolicy`` (frozen; the kiosk builds it from StationSettings),
``hash_pin(policy, pin)``, ``pin_matches(pin_hash, pin)``, ``check_new_pin(policy, pin)``.
PINs are hashed with argon2id; the defaults are OWASP's minimum (m=19 MiB, t=2, p=1).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, fields
from itertools import pairwise
from typing import Any

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from domain.errors import InvalidInput

# Verified against when a badge or username is unknown, so a miss costs the same time
# as a wrong PIN (no user enumeration by timing): hashes of a random, discarded PIN.
_DUMMY_HASHES: dict[IdentityPolicy, str] = {}


@dataclass(frozen=True)
class IdentityPolicy:
    """How this station authenticates people. Built from StationSettings by the kiosk/CLI."""

    min_pin_length: int = 6
    max_pin_length: int = 12
    pin_expiry_days: int = 180
    pin_history: int = 5
    max_failed_attempts: int = 5
    allow_username_pin: bool = False
    argon2_memory_kib: int = 19 * 1024
    argon2_time_cost: int = 2
    argon2_parallelism: int = 1
    # version of the e-signature policy people acknowledge before first signing (11.10(j))
    signature_policy_version: str = "ESIG-POLICY-1"

    @classmethod
    def from_settings(cls, settings: Any, **overrides: Any) -> IdentityPolicy:
        """From StationSettings (duck-typed: the domain does not import the kiosk)."""
        values = {
            f.name: getattr(settings, f.name) for f in fields(cls) if hasattr(settings, f.name)
        }
        return cls(**{**values, **overrides})

    def hasher(self) -> PasswordHasher:
        return _hasher(self.argon2_time_cost, self.argon2_memory_kib, self.argon2_parallelism)


_HASHERS: dict[tuple[int, int, int], PasswordHasher] = {}


def _hasher(time_cost: int, memory_kib: int, parallelism: int) -> PasswordHasher:
    key = (time_cost, memory_kib, parallelism)
    if key not in _HASHERS:
        _HASHERS[key] = PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_kib,
            parallelism=parallelism,
            hash_len=32,
            salt_len=16,
            type=Type.ID,
        )
    return _HASHERS[key]


def hash_pin(policy: IdentityPolicy, pin: str) -> str:
    return policy.hasher().hash(pin)


def pin_matches(pin_hash: str, pin: str) -> bool:
    """argon2 verify with the parameters stored in the hash itself."""
    try:
        return _hasher(2, 19 * 1024, 1).verify(pin_hash, pin)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def burn_time(policy: IdentityPolicy, pin: str) -> None:
    """Spend one verification's worth of time (unknown badge or username)."""
    if policy not in _DUMMY_HASHES:
        _DUMMY_HASHES[policy] = hash_pin(policy, secrets.token_hex(16))
    pin_matches(_DUMMY_HASHES[policy], pin)


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


def reuses_recent(pin: str, recent_hashes: list[str]) -> bool:
    return any(pin_matches(h, pin) for h in recent_hashes)
