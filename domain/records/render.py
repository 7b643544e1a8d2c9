"""HTML/CSS templates → one PDF/A-3b with the JSON twin embedded as an associated file
(WeasyPrint, ``pdf_variant="pdf/a-3b"``; `/AFRelationship /Data`, listed in the catalog's
`/AF`). The twin's SHA-256 is printed in every page footer with "page n of N".

One renderer for both kinds of copy: a work order's batch record (WorkOrderRecord, ebr.html)
and a single record's true copy (SingleRecord, record.html).

Templates live in a directory (the package's templates/ unless a plant points
WORKCELL_RECORD_TEMPLATES at its own): ebr.html and record.html (Jinja2), ebr.css,
plant.toml (company, address, document numbers, logo, paper), and the partials they include
(_audit_trail.html: the audit trail excerpt and chain head both print). The SHA-256 over
those files, partials included, is printed in the record, so a changed template shows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from domain.records import canonical
from domain.records.collect import SignatureRecord, WorkOrderRecord
from domain.records.single import SingleRecord

Record = WorkOrderRecord | SingleRecord

TEMPLATES = Path(__file__).with_name("templates")
TEMPLATE_FILES = ("ebr.html", "record.html", "ebr.css", "plant.toml")
ENV_TEMPLATES = "WORKCELL_RECORD_TEMPLATES"


@dataclass(frozen=True)
class Templates:
    directory: Path
    sha256: str
    plant: dict[str, Any]


def templates(directory: Path | None = None) -> Templates:
    """The template set in use and its hash (the files by name, then every template they
    include, then the logo if named): a change to a shared partial changes the hash."""
    where = directory or Path(os.environ.get(ENV_TEMPLATES) or TEMPLATES)
    plant = tomllib.loads((where / "plant.toml").read_text("utf-8"))
    names = [*TEMPLATE_FILES, *included(where), *([plant["logo"]] if plant.get("logo") else [])]
    digest = hashlib.sha256()
    for name in names:
        data = (where / name).read_bytes()
        digest.update(f"{name}\0{len(data)}\0".encode())
        digest.update(data)
    return Templates(where, digest.hexdigest(), plant)


def included(where: Path) -> list[str]:
    """Every template the record templates include, import or extend, however deep (the
    names as written, sorted): they are part of what the template hash covers."""
    import jinja2
    from jinja2 import meta

    env = jinja2.Environment()
    seen: set[str] = set()
    todo = [n for n in TEMPLATE_FILES if n.endswith(".html")]
    while todo:
        source = (where / todo.pop()).read_text("utf-8")
        for name in meta.find_referenced_templates(env.parse(source)):
            if name is None:  # a computed name: the set could not be known, so refuse it
                raise ValueError("record templates name the templates they include literally")
            if name not in seen and name not in TEMPLATE_FILES:
                seen.add(name)
                todo.append(name)
    return sorted(seen)


@dataclass(frozen=True)
class Rendered:
    pdf: bytes
    json: bytes
    json_sha256: str
    pdf_sha256: str
    pages: int
    attachment_name: str


def attachment_name(record: Record) -> str:
    if isinstance(record, SingleRecord):
        safe = re.sub(r"[^A-Za-z0-9._-]+", "_", record.key)
        return f"{record.subject.record_type}-{safe}.json"
    return f"{record.header.work_order.number}.json"


def html_of(record: Record, json_sha256: str, tpl: Templates) -> str:
    """The record as HTML (the template filled in; nothing computed in the template)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(tpl.directory),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    tz = ZoneInfo(record.generated.timezone)
    logo = tpl.plant.get("logo") or ""
    common: dict[str, Any] = {
        "record": record,
        "plant": tpl.plant,
        "logo": (tpl.directory / logo).as_uri() if logo else "",
        "json_sha256": json_sha256,
        "attachment_name": attachment_name(record),
        "num": _num,
        "when": lambda value: _when(value, tz),
        "sig": _sig,
        "validity": _validity,
        "css": _css_string,
    }
    if isinstance(record, SingleRecord):
        rows = content_rows(record.subject.content_text)
        return env.get_template("record.html").render(content=rows, **common)
    return env.get_template("ebr.html").render(tree=list(_tree(record)), **common)


def twin_of(record: Record) -> tuple[bytes, str]:
    """The canonical JSON twin and its SHA-256."""
    twin = canonical.dumps(record)
    return twin, canonical.sha256_hex(twin)


def render(record: Record, tpl: Templates) -> Rendered:
    """The PDF/A-3b with its twin; the twin's hash is computed first and printed in it."""
    twin, json_sha256 = twin_of(record)
    html = html_of(record, json_sha256, tpl)
    pdf, pages = pdf_of(html, tpl.directory, twin, attachment_name(record))
    return Rendered(
        pdf, twin, json_sha256, canonical.sha256_hex(pdf), pages, attachment_name(record)
    )


def content_rows(content_text: str) -> list[tuple[str, str]]:
    """A record's signed content (JSON) as (path, value) rows for the printed copy: nested
    objects by dotted path, arrays by index; numbers exactly as the text has them."""
    rows: list[tuple[str, str]] = []

    def walk(path: str, value: Any) -> None:
        if isinstance(value, dict) and value:
            for k, v in value.items():
                walk(f"{path}.{k}" if path else str(k), v)
        elif isinstance(value, list) and value:
            for i, v in enumerate(value):
                walk(f"{path}[{i}]", v)
        elif value is None:
            rows.append((path, "—"))
        elif isinstance(value, str):
            rows.append((path, value))
        elif isinstance(value, Decimal):  # exactly as the content text writes it
            rows.append((path, str(value)))
        else:
            rows.append((path, json.dumps(value, ensure_ascii=False, default=str)))

    walk("", json.loads(content_text, parse_float=Decimal))
    return rows


def pdf_of(
    html: str, base: Path, twin: bytes | None, name: str, *, archival: bool = True
) -> tuple[bytes, int]:
    """HTML → PDF bytes and page count; ``archival=False`` is the bare render the benchmark
    compares with (no PDF/A, no attachment)."""
    import weasyprint

    document = weasyprint.HTML(string=html, base_url=str(base)).render()
    options: dict[str, Any] = {}
    if archival:
        options["pdf_variant"] = "pdf/a-3b"
        if twin is not None:
            options["attachments"] = [
                weasyprint.Attachment(
                    file_obj=io.BytesIO(twin),
                    name=name,
                    description="JSON twin (canonical: sorted keys, decimals as strings)",
                    relationship="Data",
                )
            ]
    out = document.write_pdf(finisher=_one_af_entry, **options)
    assert out is not None
    return bytes(out), len(document.pages)


def _one_af_entry(_document: Any, pdf: Any) -> None:
    """WeasyPrint lists an attachment in the catalog's /AF twice (once from the name tree,
    once from its file specification): keep each reference once."""
    af = pdf.catalog.get("AF")
    if af is not None:
        unique = list(dict.fromkeys(r if isinstance(r, bytes) else str(r).encode() for r in af))
        af.clear()
        af.extend(unique)


def _tree(record: WorkOrderRecord) -> Iterator[tuple[int, Any, Any]]:
    """The as-built tree, depth first from the output lot: (level, edge into it, node)."""
    gen = record.genealogy
    if gen.root is None:
        return
    by_id = {n.lot_id: n for n in gen.nodes}
    root = next(n for n in gen.nodes if n.lot_number == gen.root)
    seen: set[int] = set()

    def walk(lot_id: int, level: int, edge: Any) -> Iterator[tuple[int, Any, Any]]:
        yield level, edge, by_id[lot_id]
        if lot_id in seen:  # a lot reached twice is listed, not expanded again
            return
        seen.add(lot_id)
        for e in gen.edges:
            if e.child_lot_id == lot_id and e.parent_lot_id in by_id:
                yield from walk(e.parent_lot_id, level + 1, e)

    yield from walk(root.lot_id, 0, None)


def _css_string(value: object) -> Any:
    """Text for a CSS string in a page margin. A <style> element is raw text (entities are
    not decoded), so it is not HTML-escaped: quotes and backslashes are CSS-escaped, line
    breaks and "<" (which could end the element) are dropped."""
    from markupsafe import Markup

    text = " ".join(str(value).split()).replace("<", "")
    return Markup(text.replace("\\", "\\\\").replace('"', '\\"'))


def _num(value: Decimal | None) -> str:
    return "" if value is None else canonical.decimal_text(value)


def _when(value: dt.datetime | None, tz: ZoneInfo) -> str:
    return "—" if value is None else value.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S %Z")


def _validity(s: SignatureRecord) -> str:
    return "valid" if s.valid else f"NOT VALID: {s.reason or 'binding or content changed'}"


def _sig(s: SignatureRecord) -> str:
    return f"{s.manifestation} ({_validity(s)})"
