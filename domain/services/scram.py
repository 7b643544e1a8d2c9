"""The station's half of the PIN check: SCRAM (RFC 5802 / 7677, SHA-256) over argon2id.

The database hands out a challenge (salt, argon2id cost, auth message); the station derives
SaltedPassword = argon2id(PIN, salt) and answers ClientProof = ClientKey XOR
HMAC(StoredKey, AuthMessage). The database holds only StoredKey = SHA-256(ClientKey), so
neither a copy of it nor a captured proof lets anyone answer the next challenge.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from argon2.low_level import Type, hash_secret_raw

SALT_BYTES = 16
KEY_BYTES = 32


@dataclass(frozen=True)
class Cost:
    """argon2id cost parameters (memory in KiB)."""

    memory_kib: int
    time_cost: int
    parallelism: int


@dataclass(frozen=True)
class Verifier:
    """What the database stores for a PIN: salt, cost and the SCRAM stored key (hex)."""

    salt: str
    cost: Cost
    stored_key: str

    def params(self) -> dict[str, str | int]:
        """As the database's PIN functions take it: salt, m, t, p, key."""
        return {
            "salt": self.salt,
            "m": self.cost.memory_kib,
            "t": self.cost.time_cost,
            "p": self.cost.parallelism,
            "key": self.stored_key,
        }


def salted_password(pin: str, salt: bytes, cost: Cost) -> bytes:
    return hash_secret_raw(
        pin.encode("utf-8"),
        salt,
        time_cost=cost.time_cost,
        memory_cost=cost.memory_kib,
        parallelism=cost.parallelism,
        hash_len=KEY_BYTES,
        type=Type.ID,
    )


def client_key(salted: bytes) -> bytes:
    return hmac.new(salted, b"Client Key", hashlib.sha256).digest()


def stored_key(salted: bytes) -> bytes:
    return hashlib.sha256(client_key(salted)).digest()


def client_proof(salted: bytes, auth_message: str) -> str:
    """The answer to one challenge (hex)."""
    key = client_key(salted)
    signature = hmac.new(
        hashlib.sha256(key).digest(), auth_message.encode("utf-8"), hashlib.sha256
    ).digest()
    return bytes(a ^ b for a, b in zip(key, signature, strict=True)).hex()


def new_verifier(pin: str, cost: Cost) -> Verifier:
    """A verifier for a new PIN, with a fresh random salt."""
    salt = secrets.token_bytes(SALT_BYTES)
    return Verifier(salt.hex(), cost, stored_key(salted_password(pin, salt, cost)).hex())


def stored_key_under(pin: str, salt_hex: str, cost: Cost) -> str:
    """The new PIN's stored key under an earlier PIN's salt (the no-reuse check)."""
    return stored_key(salted_password(pin, bytes.fromhex(salt_hex), cost)).hex()
