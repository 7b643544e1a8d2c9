"""The SQL half of the PIN check against published vectors and the station's Python half:
auth.hmac_sha256 (RFC 4231), auth.stored_key / auth.proof_is_valid (RFC 7677 and
domain.services.scram), auth.b64_nopad (the argon2 PHC encoding the migration reads)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from domain.services import scram
from tests.security.attack import Lab

pytestmark = pytest.mark.requirement("11.300(a)", "11.300(d)")

# RFC 4231 section 4: (case, key, data, HMAC-SHA-256). Case 5 is truncated to 128 bits.
RFC4231 = [
    (1, bytes([0x0B] * 20), b"Hi There",
     "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
    (2, b"Jefe", b"what do ya want for nothing?",
     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
    (3, bytes([0xAA] * 20), bytes([0xDD] * 50),
     "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
    (4, bytes(range(1, 26)), bytes([0xCD] * 50),
     "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
    (5, bytes([0x0C] * 20), b"Test With Truncation",
     "a3b6167473100ee06e0c796c2955552b"),
    (6, bytes([0xAA] * 131), b"Test Using Larger Than Block-Size Key - Hash Key First",
     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
    (7, bytes([0xAA] * 131),
     b"This is a test using a larger than block-size key and a larger than block-size data."
     b" The key needs to be hashed before being used by the HMAC algorithm.",
     "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
]  # fmt: skip

# RFC 7677 section 3 (SCRAM-SHA-256, PBKDF2 with 4096 iterations of "pencil").
RFC7677_SALT = "W22ZaJ0SNY7soEsUEjb6gQ=="
RFC7677_AUTH_MESSAGE = (
    "n=user,r=rOprNGfwEbeRWgbNEkqO,"
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,"
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
)
RFC7677_PROOF = "dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="


@pytest.fixture
def sql(lab: Lab) -> Iterator[psycopg.Connection[Any]]:
    """A superuser connection: the auth functions are closed to every station."""
    with lab.superuser() as conn:
        yield conn


def one(conn: psycopg.Connection[Any], query: str, params: tuple[Any, ...]) -> Any:
    row = conn.execute(query, params).fetchone()
    assert row is not None
    return row[0]


@pytest.mark.parametrize(
    ("case", "key", "data", "expected"), RFC4231, ids=[f"case{c[0]}" for c in RFC4231]
)
def test_hmac_sha256_matches_rfc4231(
    sql: psycopg.Connection[Any], case: int, key: bytes, data: bytes, expected: str
) -> None:
    """auth.hmac_sha256 gives the RFC 4231 output for each test case (case 5 by its prefix)."""
    mac = bytes(one(sql, "SELECT auth.hmac_sha256(%s, %s)", (key, data))).hex()
    if case == 5:
        assert mac[: len(expected)] == expected
    else:
        assert mac == expected
    assert mac == hmac.new(key, data, hashlib.sha256).hexdigest()


@pytest.mark.parametrize("key_len", [0, 1, 32, 63, 64, 65, 200])
@pytest.mark.parametrize("data_len", [0, 1, 64, 1000])
def test_hmac_sha256_matches_python_at_block_edges(
    sql: psycopg.Connection[Any], key_len: int, data_len: int
) -> None:
    """auth.hmac_sha256 agrees with Python's hmac for empty, block-sized and longer keys
    and data."""
    key, data = secrets.token_bytes(key_len), secrets.token_bytes(data_len)
    mac = bytes(one(sql, "SELECT auth.hmac_sha256(%s, %s)", (key, data)))
    assert mac == hmac.new(key, data, hashlib.sha256).digest()


def test_hmac_sha256_of_null_is_null(sql: psycopg.Connection[Any]) -> None:
    """auth.hmac_sha256 is strict: a missing key or message gives no MAC, never a MAC of nothing."""
    assert one(sql, "SELECT auth.hmac_sha256(NULL, %s)", (b"x",)) is None
    assert one(sql, "SELECT auth.hmac_sha256(%s, NULL)", (b"x",)) is None


def test_xor_of_unequal_lengths_is_refused(sql: psycopg.Connection[Any]) -> None:
    """auth.xor_bytes refuses operands of different lengths (22023) instead of truncating."""
    with pytest.raises(psycopg.Error) as caught:
        sql.execute("SELECT auth.xor_bytes(%s, %s)", (b"\x01\x02", b"\x01"))
    assert caught.value.sqlstate == "22023"


def test_stored_key_and_proof_match_rfc7677(sql: psycopg.Connection[Any]) -> None:
    """The RFC 7677 SCRAM-SHA-256 exchange verifies: Python's client proof is the RFC's, and
    auth.proof_is_valid accepts it against auth.stored_key of the same salted password."""
    salted = hashlib.pbkdf2_hmac("sha256", b"pencil", base64.b64decode(RFC7677_SALT), 4096)
    expected_proof = base64.b64decode(RFC7677_PROOF).hex()
    assert scram.client_proof(salted, RFC7677_AUTH_MESSAGE) == expected_proof
    stored = bytes(one(sql, "SELECT auth.stored_key(%s)", (salted,)))
    assert stored == scram.stored_key(salted)
    assert one(
        sql,
        "SELECT auth.proof_is_valid(%s, %s, %s)",
        (stored, RFC7677_AUTH_MESSAGE, bytes.fromhex(expected_proof)),
    )


@pytest.mark.parametrize(
    "auth_message",
    [
        "workcell-v1,c=1,n=00ff,s=station_pytest,p=sign_in,m=badge+pin",
        "workcell-v1,c=9,n=ab,s=station_é,p=sign,m=username+pin ✓",  # UTF-8 on both sides
        "",
    ],
)
def test_proof_from_python_is_valid_in_sql(
    sql: psycopg.Connection[Any], lab: Lab, auth_message: str
) -> None:
    """A proof scram.client_proof derives from argon2id(PIN) is accepted by auth.proof_is_valid
    with auth.stored_key of the same output, and a proof for another PIN or message is not."""
    salt = secrets.token_bytes(16)
    salted = scram.salted_password("482913", salt, lab.cost)
    other = scram.salted_password("482914", salt, lab.cost)
    stored = bytes(one(sql, "SELECT auth.stored_key(%s)", (salted,)))
    assert stored == scram.stored_key(salted)
    assert stored.hex() == scram.stored_key_under("482913", salt.hex(), lab.cost)

    def valid(proof: bytes | None, message: str = auth_message) -> bool:
        return bool(one(sql, "SELECT auth.proof_is_valid(%s, %s, %s)", (stored, message, proof)))

    good = bytes.fromhex(scram.client_proof(salted, auth_message))
    assert valid(good)
    assert not valid(bytes.fromhex(scram.client_proof(other, auth_message)))
    assert not valid(good, auth_message + ",")
    assert not valid(good[:31])
    assert not valid(good + b"\x00")
    assert not valid(None)
    assert not valid(bytes(32))
    # the stored key itself is not a proof (a stolen verifier answers nothing)
    assert not valid(stored)
    assert not one(sql, "SELECT auth.proof_is_valid(NULL, %s, %s)", (auth_message, good))


def test_b64_nopad_reads_argon2_phc_fields(sql: psycopg.Connection[Any]) -> None:
    """auth.b64_nopad decodes the unpadded base64 of an argon2 PHC string for every length."""
    for n in range(1, 40):
        raw = secrets.token_bytes(n)
        text = base64.b64encode(raw).decode().rstrip("=")
        assert bytes(one(sql, "SELECT auth.b64_nopad(%s)", (text,))) == raw
