# ruff: noqa: E501  (record literals read better unwrapped)
"""Batch record rendering (issue 15): a 200-step record with 400 values, 50 consumed lots
and 300 signatures, rendered as WorkCell prints it (canonical JSON twin and its hash, the
template filled in, PDF/A-3b with the twin attached) against a bare WeasyPrint render of the
same HTML (no PDF/A, no attachment), alternating in the same run; then the offline verify.

    .venv/bin/python -m bench.records [--steps 200] [--repeat 5] [--out FILE] [--paper Letter]

The record is built in memory as the typed structure collect.py returns (no database): the
figure is the rendering; reading the record from PostgreSQL is a few queries (collect.py).
Prints medians, the ratio to the bare render, the process's peak RSS and the file sizes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import statistics
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from domain.records import canonical, render
from domain.records.collect import (
    ChainHead,
    Consumption,
    DeviationRecord,
    Genealogy,
    Generated,
    Header,
    QualityRecords,
    SignatureRecord,
    StepRecord,
    WorkOrderRecord,
)
from domain.records.verify import verify_file
from domain.services.materials.trace import Edge, Node
from domain.views.work_orders import (
    DeviationView,
    EntryView,
    ExceptionRow,
    FieldView,
    SignoffView,
    StepView,
    WorkOrderSummary,
)

T0 = dt.datetime(2026, 12, 2, 8, 0, tzinfo=dt.UTC)
D = Decimal
MEANINGS = ("performed", "verified", "reviewed")


def _signature(n: int, record_type: str, record_id: int, meaning: str) -> SignatureRecord:
    fields = {
        "id": n, "record_type": record_type, "record_table": f"workcell.{record_type}",
        "record_id": record_id, "record_version": 3, "content_hash": f"{record_id:064x}",
        "meaning": meaning, "signer_id": 10 + n % 4, "printed_name": f"Person {n % 4}",
        "signed_at_utc": canonical.utc_text(T0 + dt.timedelta(seconds=n)),
        "method": "badge+pin", "station": "station_line1", "comment": None,
    }  # fmt: skip
    return SignatureRecord(
        **fields,  # type: ignore[arg-type]
        binding_hash=canonical.binding_hash(fields),
        username=f"person{n % 4}",
        manifestation=f"{meaning.capitalize()} by Person {n % 4} on 2026-12-02 09:00:{n % 60:02d} CET",
        valid=True,
        reason=None,
    )


def _entry(n: int, code: str, value: str, at: dt.datetime) -> EntryView:
    return EntryView(
        n, "value", code, value, D(value), False, None, None, None, "mm", None, False, "",
        "Olive Operator", "olive", at, "station_line1", False, False, "typed", None,
    )  # fmt: skip


def _step(seq: int, sigs: list[SignatureRecord], lots: list[Consumption]) -> StepRecord:
    at = T0 + dt.timedelta(minutes=seq)
    fields = tuple(
        FieldView(
            seq * 10 + k, f"DIM{k}", f"Dimension {k} of step {seq}", "numeric", "mm",
            D("9.5"), D("10.5"), D(10), None, True,
            (_entry(seq * 10 + k, f"DIM{k}", f"10.{(seq + k) % 10}", at),),
        )
        for k in (1, 2)
    )  # fmt: skip
    signoffs = tuple(
        SignoffView(s.meaning, "operator", s.printed_name, s.username, T0) for s in sigs
    )
    view = StepView(
        seq, "WO-000200", "reviewed", seq, 10 * (1 + seq // 10), f"Operation {seq // 10}",
        "ASSY-1", seq % 10 + 1, f"Step {seq}: measure and assemble",
        "Work to WI-ASSY-01 rev C.", "Measure both dimensions with the calliper; record them.",
        seq % 20 == 0, False, "done", 3, f"{seq:064x}", ("ASSY",), fields, (), signoffs, (), (),
    )  # fmt: skip
    return StepRecord(view, tuple(lots), tuple(sigs))


def build(steps: int = 200) -> WorkOrderRecord:
    """400 values, 50 consumed lots and 300 signatures over ``steps`` steps (at 200)."""
    n_sig = 0
    out = []
    for seq in range(1, steps + 1):
        count = 2 if seq % 2 else 1  # 300 signatures over 200 steps
        sigs = []
        for m in MEANINGS[:count]:
            n_sig += 1
            sigs.append(_signature(n_sig, "step_instance", seq, m))
        lots = []
        if seq % 4 == 0:  # 50 lots over 200 steps
            lots.append(Consumption(seq, 9000 + seq, f"L2612-{seq:05d}", "MCAP-01", None,
                                    D(2), "ea", dt.date(2027, 6, 30), "Olive Operator", T0))  # fmt: skip
        out.append(_step(seq, sigs, lots))
    summary = WorkOrderSummary(
        1, "WO-000200", "MDEV-100", "Infusion set", D(200), "ea", dt.date(2026, 12, 9),
        "reviewed", "", 5, "A", "A", "a" * 64, T0, "plan", "L2612-99999", "released", D(200),
        D(100), 210, 200, 10, steps, steps, 0, "plan", T0,
    )  # fmt: skip
    dev = DeviationView(1, "DEV-000001", "WO-000200", 7, "out_of_limit", "Dimension 1 out of limit",
                        "9.5–10.5 mm", "10.62 mm", "calliper slipped", "approved", "Olive Operator",
                        T0, "Quinn QA", T0, 2)  # fmt: skip
    made = Node(99999, "L2612-99999", "MDEV-100", "Infusion set", "produced", "released", False,
                D(200), D(200), "ea", None, None, None)  # fmt: skip
    nodes = (*(
        Node(i, f"L2612-{i:05d}", "MCAP-01", "Cap", "received", "consumed", False, D(0), D(100),
             "ea", dt.date(2027, 6, 30), "ACME", f"S-{i}")
        for i in range(4, steps + 1, 4)
    ), made)  # fmt: skip
    edges = tuple(Edge(n.lot_id, 99999, D(2), "ea", None, None) for n in nodes[:-1])
    return WorkOrderRecord(
        format="workcell-ebr/1",
        template_sha256=render.templates().sha256,
        generated=Generated(T0, "Quinn QA", "quinn", "station_qa", "inst-1", "Europe/Berlin"),
        header=Header(
            "device_history_record",
            "PLANT-1",
            "lot",
            "04012345678901",
            (),
            ("(01)04012345678901(10)L2612-99999",),
            T0,
            True,
            summary,
        ),
        exceptions=(
            ExceptionRow(
                "deviation", 7, "DEV-000001 out of limit", "10.62 mm", "Olive", T0, "DEV-000001"
            ),
        ),
        steps=tuple(out),
        deviations=(DeviationRecord(dev, (_signature(9999, "deviation", 1, "approved"),)),),
        review=(_signature(10000, "work_order", 1, "reviewed"),),
        genealogy=Genealogy("L2612-99999", nodes, edges),
        quality=QualityRecords((), (), ()),
        audit_trail=(),
        audit_head=ChainHead(123456, "b" * 64, 123400, "c" * 64, "2026-12-02T08:00:00+00:00"),
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", type=Path, help="also keep the PDF here (to look at it)")
    parser.add_argument("--paper", choices=("A4", "Letter"), default="A4")
    parser.add_argument(
        "--floors",
        action="store_true",
        help="also time WeasyPrint on documents with none of the record's content (the 2 s aim)",
    )
    args = parser.parse_args()
    record = build(args.steps)
    with tempfile.TemporaryDirectory() as folder:
        tpl = _templates(Path(folder), args.paper)
        _run(args, record, tpl)
    if args.floors:
        _floors(args.steps)


def _floors(steps: int) -> None:
    """WeasyPrint alone on ``steps`` steps with almost nothing in them: a heading and a
    sentence each (what "about 0.5 s for 200 steps" measures), then a three-row table each
    (one value, its signer, its time: still far less than a record holds). What it costs
    to lay out pages at all, below which no record of this content can be rendered."""
    import weasyprint

    shapes = {
        "heading + one sentence per step": "<h3>Step {i}</h3><p>Value {i} entered, verified.</p>",
        "heading + 3-row table per step": (
            "<h3>Step {i}</h3><table><tr><td>value</td><td>{i}</td></tr>"
            "<tr><td>by</td><td>Olive Operator</td></tr><tr><td>at</td><td>08:00</td></tr></table>"
        ),
    }
    for label, shape in shapes.items():
        html = "<html><body>" + "".join(shape.format(i=i) for i in range(steps)) + "</body></html>"
        t, c = time.perf_counter(), time.process_time()
        document = weasyprint.HTML(string=html).render()
        document.write_pdf()
        print(f"floor, {label}: {time.perf_counter() - t:.3f} s wall, "
              f"{time.process_time() - c:.3f} s CPU, {len(document.pages)} pages")  # fmt: skip


def _templates(folder: Path, paper: str) -> render.Templates:
    """The shipped templates, on ``paper`` (a copy, as a plant would adapt them)."""
    import shutil

    shutil.copytree(render.TEMPLATES, folder, dirs_exist_ok=True)
    toml = folder / "plant.toml"
    toml.write_text(toml.read_text("utf-8").replace('paper = "A4"', f'paper = "{paper}"'), "utf-8")
    return render.templates(folder)


def _run(args: argparse.Namespace, record: WorkOrderRecord, tpl: render.Templates) -> None:
    full: list[float] = []
    bare: list[float] = []
    # CPU seconds of this process beside the wall clock: WeasyPrint renders on one thread, so
    # on a host shared with other work the CPU time is the figure that means what an idle
    # host's wall clock would (the wall clock there includes waiting for a core)
    full_cpu: list[float] = []
    bare_cpu: list[float] = []
    render.render(record, tpl)  # warm-up: fonts, templates
    for _ in range(args.repeat):  # alternating, so drift hits both alike
        t, c = time.perf_counter(), time.process_time()
        out = render.render(record, tpl)
        full.append(time.perf_counter() - t)
        full_cpu.append(time.process_time() - c)
        html = render.html_of(record, out.json_sha256, tpl)
        t, c = time.perf_counter(), time.process_time()
        plain, _ = render.pdf_of(html, tpl.directory, None, "", archival=False)
        bare.append(time.perf_counter() - t)
        bare_cpu.append(time.process_time() - c)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.pdf"
        path.write_bytes(out.pdf)
        if args.out:
            args.out.write_bytes(out.pdf)
        t = time.perf_counter()
        report = verify_file(path)
        checked = time.perf_counter() - t
    assert report.problems == [], report.problems
    f, b = statistics.median(full), statistics.median(bare)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"record: {args.steps} steps, {sum(len(s.step.fields) for s in record.steps)} values, "
          f"{sum(len(s.consumed) for s in record.steps)} lots, {len(record.signatures)} signatures; "
          f"{out.pages} {args.paper} pages")  # fmt: skip
    print(
        f"bare WeasyPrint render (same HTML)  median {b:.3f} s  ({bare and min(bare):.3f}-{max(bare):.3f})"
    )
    print(f"record (twin + PDF/A-3b + attach)   median {f:.3f} s  ({min(full):.3f}-{max(full):.3f})  ratio {f / b:.2f}x")  # fmt: skip
    fc, bc = statistics.median(full_cpu), statistics.median(bare_cpu)
    print(f"CPU time: bare median {bc:.3f} s, record median {fc:.3f} s, ratio {fc / bc:.2f}x")
    print(f"offline verify                      {checked:.3f} s ({report.signatures} bindings)")
    print(f"sizes: PDF/A {len(out.pdf) / 1024:.0f} KiB (twin {len(out.json) / 1024:.0f} KiB), "
          f"bare {len(plain) / 1024:.0f} KiB; peak RSS {peak:.0f} MiB")  # fmt: skip


if __name__ == "__main__":
    main()
