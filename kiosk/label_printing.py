"""Where a label goes: a printer over TCP port 9100 (ZPL), a file (ZPL, PNG, SVG) or
standard output — the delivery half of domain.services.materials.labels.issue_label, for
the CLI and the station's screens alike. A printer that does not take the label is a
DeviceUnavailable (the caller's transaction rolls back: nothing recorded as issued)."""

from __future__ import annotations

import sys
from collections.abc import Callable

from domain.errors import DeviceUnavailable, InvalidInput
from domain.services.materials import labels
from domain.uow import UnitOfWork
from hardware.labels import LabelJob, render
from hardware.protocols import LabelPrinter
from hardware.zpl import PrinterError, ZplFilePrinter, ZplTcpPrinter, label_zpl


def printer_of(spec: str | None) -> ZplTcpPrinter | None:
    """``HOST[:PORT]`` as a port-9100 printer (None: no printer)."""
    if not spec:
        return None
    try:
        return ZplTcpPrinter.parse(spec)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc


def job_of(content: labels.LabelContent, copies: int) -> LabelJob:
    return LabelJob(content.element_string, content.hri, content.lines, copies)


def deliverer(
    fmt: str, out: str | None, printer: LabelPrinter | None, copies: int
) -> Callable[[labels.LabelContent], None]:
    def deliver(content: labels.LabelContent) -> None:
        job = job_of(content, copies)
        try:
            if printer is not None:
                printer.print_labels([job])
            elif fmt == "zpl" and out:
                ZplFilePrinter(out).print_labels([job])
            else:
                _write(job, fmt, out)
        except PrinterError as exc:
            raise DeviceUnavailable(f"{exc} Nothing was recorded as issued.") from exc

    return deliver


def issue(
    uow: UnitOfWork, ident: str, fmt: str, out: str | None, printer: LabelPrinter | None,
    copies: int = 1,
) -> labels.LabelContent:  # fmt: skip
    """Issue and deliver one label in ``uow`` (the caller commits after it returned)."""
    destination = printer.destination if printer else (out or "stdout")
    return labels.issue_label(
        uow, ident, copies, fmt, destination, deliverer(fmt, out, printer, copies)
    )


def _write(job: LabelJob, fmt: str, out: str | None) -> None:
    data = (
        label_zpl(job).encode("ascii")
        if fmt == "zpl"
        else render(job, "png" if fmt == "png" else "svg")
    )
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    try:
        with open(out, "wb") as fh:
            fh.write(data)
    except OSError as exc:
        raise PrinterError(f"cannot write {out}: {exc.strerror or exc}") from exc
