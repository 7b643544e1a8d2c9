"""ZPL labels: the ^BC field carries the GS1 element string with >;>8 (Start C + FNC1) and
>8 after each variable-length element; decoding the field gives the element string back;
a real local TCP listener receives exactly what a port-9100 printer would."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
from hypothesis import given, settings

from domain.gs1 import GS, GS1Data, parse_gs1
from hardware.fakes import FakeLabelPrinter
from hardware.labels import LabelJob
from hardware.protocols import LabelPrinter
from hardware.zpl import (
    PrinterError,
    ZplFilePrinter,
    ZplTcpPrinter,
    barcode_field,
    decode_field,
    label_zpl,
    parse_barcode_fields,
)
from tests.unit.test_gs1 import gs1_messages
from tests.unit.test_labels import TODAY

UDI = "0100614141000012" + "11261101" + "17281231" + "10L2612-00042" + GS + "21SN0001"


class Listener:
    """A one-connection TCP server on 127.0.0.1 that keeps every byte it receives."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.received = b""
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        conn, _ = self.sock.accept()
        with conn:
            while chunk := conn.recv(4096):
                self.received += chunk

    def wait(self) -> bytes:
        self.thread.join(timeout=10)
        self.sock.close()
        return self.received


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.sock.close()


def test_the_field_starts_with_start_c_and_fnc1_and_separates_with_fnc1() -> None:
    """UDI of a device: digits in Code C pairs, the lot and serial in Code B, FNC1 only
    at the start and after the variable-length lot."""
    field = barcode_field(UDI)
    assert field.startswith(">;>8010061414100001211261101172812311")
    assert field.count(">8") == 2 and ">8" + "21SN" in field
    assert decode_field(field) == UDI


def test_a_greater_than_sign_is_escaped_in_code_b() -> None:
    """'>' starts an invocation code in ZPL: a literal one is '><'."""
    field = barcode_field("10A>B")
    assert "A><B" in field and decode_field(field) == "10A>B"


@settings(max_examples=300, deadline=None)
@given(gs1_messages())
def test_element_string_to_zpl_and_back_is_the_identity(elements) -> None:
    """Any valid GS1 message → ^BC field → decoded field is the same element string (and
    parses to the same elements)."""
    element_string = GS1Data(elements=elements).element_string()
    (decoded,) = parse_barcode_fields(label_zpl(LabelJob(element_string, "hri")))
    assert decoded == element_string
    assert parse_gs1(decoded, today=TODAY).elements == elements


def test_zpl_to_a_real_tcp_listener(listener: Listener) -> None:
    """The printer adapter sends one complete ZPL format; the received ^BC field decodes to
    the element string; text fields are hex-escaped; copies in ^PQ."""
    printer = ZplTcpPrinter.parse(f"127.0.0.1:{listener.port}")
    assert isinstance(printer, LabelPrinter)
    job = LabelJob(UDI, "(01)00614141000012(11)261101(17)281231(10)L2612-00042(21)SN0001",
                   ("DEV-1 Infusion pump ^ model_2",), copies=3)  # fmt: skip
    printer.print_labels([job])
    zpl = listener.wait().decode("ascii")
    assert zpl.startswith("^XA") and zpl.rstrip().endswith("^XZ")
    assert parse_barcode_fields(zpl) == [UDI]
    assert "^PQ3," in zpl and "pump _5E model_5F2" in zpl


def test_an_unreachable_printer_is_an_error() -> None:
    """Nothing listens: PrinterError (an OSError) naming the printer."""
    with socket.create_server(("127.0.0.1", 0)) as s:
        port = s.getsockname()[1]
    with pytest.raises(PrinterError, match=f"127.0.0.1:{port}"):
        ZplTcpPrinter("127.0.0.1", port, timeout=2).print_labels([LabelJob("10A", "(10)A")])


def test_file_printer_and_fake(tmp_path) -> None:
    """ZPL to a file is the same format; the fake keeps jobs and can be taken offline."""
    path = tmp_path / "label.zpl"
    ZplFilePrinter(path).print_labels([LabelJob(UDI, "x")])
    assert parse_barcode_fields(path.read_text("ascii")) == [UDI]
    fake = FakeLabelPrinter()
    fake.print_labels([LabelJob(UDI, "x")])
    fake.offline = True
    with pytest.raises(PrinterError):
        fake.print_labels([LabelJob(UDI, "x")])
    assert len(fake.jobs) == 1 and isinstance(fake, LabelPrinter)


@pytest.mark.parametrize(
    "spec,host,port",
    [
        ("printer1", "printer1", 9100),
        ("10.0.0.5:6101", "10.0.0.5", 6101),
        ("[::1]:9100", "::1", 9100),
    ],
)
def test_printer_addresses(spec: str, host: str, port: int) -> None:
    """HOST, HOST:PORT and [IPv6]:PORT; port 9100 by default."""
    p = ZplTcpPrinter.parse(spec)
    assert (p.host, p.port) == (host, port)


@pytest.mark.parametrize("bad", [">:10A", ">;>81", ">;>810>9A", ">;>810>8"], ids=repr)
def test_malformed_fields_are_refused(bad: str) -> None:
    """No FNC1 after the start code, an odd Code C digit, unknown codes, a trailing FNC1."""
    with pytest.raises(ValueError):
        decode_field(bad)
