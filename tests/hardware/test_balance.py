"""The MT-SICS balance client against the simulator on a real local socket (TCP) and a
real pseudo-terminal (the serial path): stable readings only, tare remembered, the serial
number read from the device, and every failure an operator-readable BalanceError."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from hardware.balance import (
    BalanceOverload,
    BalanceRefused,
    BalanceUnavailable,
    BalanceUnderload,
    BalanceUnstable,
    MtSicsBalance,
    SerialTransport,
    TcpTransport,
    Weight,
    open_balance,
)
from hardware.balance_sim import BalanceSimulator
from hardware.protocols import Balance


@pytest.fixture
def sim() -> Iterator[BalanceSimulator]:
    with BalanceSimulator(serial="B123456789", decimals=4) as running:
        yield running


@pytest.fixture
def balance(sim: BalanceSimulator) -> Iterator[MtSicsBalance]:
    client = MtSicsBalance(TcpTransport("127.0.0.1", sim.port), timeout_s=1, retry_pause_s=0.01)
    yield client
    client.close()


def test_the_client_is_a_balance_and_reads_its_serial_once(
    sim: BalanceSimulator, balance: MtSicsBalance
) -> None:
    assert isinstance(balance, Balance)
    assert balance.serial_number() == "B123456789" == balance.serial_number()
    assert sim.commands.count("I4") == 1


def test_tare_then_a_stable_net_weight(sim: BalanceSimulator, balance: MtSicsBalance) -> None:
    sim.load(Decimal("3.25"))
    assert balance.tare() == Weight(Decimal("3.2500"), "g")
    sim.load(Decimal("15.59876"))
    assert balance.stable_weight() == Weight(Decimal("12.3488"), "g")
    assert balance.tare_weight == Weight(Decimal("3.2500"), "g")
    balance.zero()
    assert balance.tare_weight is None and balance.stable_weight().value == 0


def test_an_unsettled_balance_is_asked_again_and_then_refused(
    sim: BalanceSimulator, balance: MtSicsBalance
) -> None:
    sim.load(Decimal("1"))
    sim.unsettled(3)
    assert balance.stable_weight().value == Decimal("1.0000")
    assert sim.commands[-4:] == ["S"] * 4
    sim.stable = False
    with pytest.raises(BalanceUnstable, match="did not settle"):
        balance.stable_weight()
    assert balance.immediate_weight().stable is False  # SI: dynamic, for display only
    with pytest.raises(BalanceUnstable):
        balance.tare()


@pytest.mark.parametrize(
    ("state", "error"), [("overload", BalanceOverload), ("underload", BalanceUnderload)]
)
def test_overload_and_underload_are_refused(
    sim: BalanceSimulator, balance: MtSicsBalance, state: str, error: type[Exception]
) -> None:
    setattr(sim, state, True)
    with pytest.raises(error):
        balance.stable_weight()
    with pytest.raises(error):
        balance.tare()


@pytest.mark.parametrize(
    ("how", "error", "message"),
    [
        ("ES", BalanceRefused, "did not recognise"),
        ("EL", BalanceRefused, "cannot execute"),
        ("garbage", BalanceRefused, "unexpected"),
        ("silent", BalanceUnavailable, "did not answer within"),
    ],
)
def test_device_errors_are_refusals_and_the_next_reading_is_clean(
    sim: BalanceSimulator, balance: MtSicsBalance, how: str, error: type[Exception], message: str
) -> None:
    sim.load(Decimal("7"))
    sim.fail_next(how)
    with pytest.raises(error, match=message):
        balance.stable_weight()
    assert balance.stable_weight().value == Decimal("7.0000")


def test_an_answer_to_another_command_is_refused(sim: BalanceSimulator) -> None:
    sim.fail_next("T S 1.0 g")
    client = open_balance(sim.url, timeout_s=1)
    with pytest.raises(BalanceRefused, match="to S"):
        client.stable_weight()
    client.close()


def test_a_dropped_connection_and_a_wrong_address_are_unavailable(sim: BalanceSimulator) -> None:
    client = open_balance(sim.url, timeout_s=1)
    sim.stop()
    with pytest.raises(BalanceUnavailable):
        for _ in range(3):  # the server's side closes; the next exchange notices
            client.stable_weight()
    with pytest.raises(BalanceUnavailable, match="Cannot reach"):
        open_balance(f"tcp://127.0.0.1:{sim.port}", timeout_s=0.5)
    with pytest.raises(BalanceUnavailable, match="not a balance address"):
        open_balance("http://balance")


def test_the_serial_path_over_a_pty(sim: BalanceSimulator) -> None:
    path = sim.serve_pty()
    client = open_balance(f"serial://{path}?baud=9600", timeout_s=1)
    sim.load(Decimal("0.1234"))
    assert client.serial_number() == "B123456789"
    assert client.stable_weight() == Weight(Decimal("0.1234"), "g")
    client.close()
    with pytest.raises(BalanceUnavailable, match="not a serial speed"):
        SerialTransport(path, 12345)
