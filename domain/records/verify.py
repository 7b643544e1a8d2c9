"""Check a batch record PDF with no database (`workcell ebr verify FILE`):

1. PDF/A-3 markers: XMP `pdfaid:part` 3 and `pdfaid:conformance` B, an ICC output intent,
   no encryption and no JavaScript, every font embedded (not a full ISO 19005 validation:
   veraPDF is not available from PyPI or Debian; docs/records.md);
2. the JSON twin: exactly one embedded file with `/AFRelationship`, listed in the
   catalog's `/AF`, whose stored MD5 checksum matches its bytes;
3. its SHA-256 against the one printed in every page footer;
4. the twin is canonical (sorted keys, no floats), so its hash is reproducible;
5. every signature's binding hash recomputed from the fields the twin carries, and each
   valid step signature bound to the content hash the step carries;
6. for a single record's true copy (`workcell record export`): the signed content's SHA-256
   recomputed from the content text the twin carries, each signature's "on the content
   printed" and the record's "changed since signed" flag consistent with it.

A JSON copy (`record export --format json`) is the twin alone: checks 4 to 6.

The PDF's own SHA-256 is returned for the database check (copies.lookup), or checked
against an exported audit bundle (``in_bundle``). Nothing here imports database code.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from domain.records import canonical

_PRINTED = re.compile(r"JSON twin SHA-256:\s*([0-9a-f]{64})")
_PART = re.compile(rb"pdfaid:part(?:>|=\")\s*3\s*(?:<|\")")
_CONFORMANCE = re.compile(rb"pdfaid:conformance(?:>|=\")\s*B\s*(?:<|\")")


@dataclass
class Report:
    pdf_sha256: str
    json_sha256: str = ""
    printed_sha256: str = ""
    attachment: str = ""
    twin: bytes = b""
    pages: int = 0
    signatures: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems

    @property
    def record_key(self) -> str:
        try:
            twin = json.loads(self.twin)
            if "subject" in twin:
                return f"{twin['subject']['record_type']} {twin['subject']['key']}"
            return str(twin["header"]["work_order"]["number"])
        except (ValueError, KeyError, TypeError):
            return ""


def verify_file(path: Path) -> Report:
    data = path.read_bytes()
    if not data.startswith(b"%PDF"):
        return verify_json(data)
    report = Report(pdf_sha256=hashlib.sha256(data).hexdigest())
    from io import BytesIO

    from pypdf import PdfReader

    try:
        reader = PdfReader(BytesIO(data), strict=False)
        if reader.is_encrypted:
            report.problems.append("the PDF is encrypted (PDF/A forbids it)")
            return report
        report.pages = len(reader.pages)
        _structure(reader, report)
        _twin(reader, report)
        _printed(reader, report)
    except Exception as exc:  # a damaged file can make the parser raise anything
        report.problems.append(f"the PDF cannot be read as a record: {type(exc).__name__}: {exc}")
        return report
    if report.twin:
        _canonical_and_bindings(report)
    return report


def verify_json(data: bytes) -> Report:
    """A JSON copy: the twin alone (no PDF, so no printed hash; pdf_sha256 is empty)."""
    report = Report(pdf_sha256="", twin=data, json_sha256=canonical.sha256_hex(data))
    report.attachment = "(the file itself)"
    _canonical_and_bindings(report)
    return report


def _structure(reader: Any, report: Report) -> None:
    root = reader.trailer["/Root"]
    meta = root.get("/Metadata")
    xmp = meta.get_object().get_data() if meta is not None else b""
    if not _PART.search(xmp) or not _CONFORMANCE.search(xmp):
        report.problems.append(
            "the XMP metadata does not declare PDF/A-3B (pdfaid part 3, conformance B)"
        )
    intents = root.get("/OutputIntents")
    if not intents or not any(
        i.get_object().get("/DestOutputProfile") is not None for i in intents
    ):
        report.problems.append("there is no ICC output intent (PDF/A needs one)")
    names = root.get("/Names")
    if ("/OpenAction" in root and "/JS" in str(root["/OpenAction"].get_object())) or (
        names is not None and "/JavaScript" in names.get_object()
    ):
        report.problems.append("the PDF carries JavaScript (PDF/A forbids it)")
    for n, page in enumerate(reader.pages, start=1):
        for name in _unembedded_fonts(page):
            report.problems.append(f"page {n}: font {name} is not embedded")


def _unembedded_fonts(page: Any) -> list[str]:
    resources = page.get("/Resources")
    fonts = resources.get_object().get("/Font") if resources is not None else None
    missing: list[str] = []
    for font in (fonts.get_object() if fonts is not None else {}).values():
        f = font.get_object()
        target = f["/DescendantFonts"][0].get_object() if "/DescendantFonts" in f else f
        desc = target.get("/FontDescriptor")
        desc = desc.get_object() if desc is not None else {}
        if not any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3")):
            missing.append(str(f.get("/BaseFont", "?")))
    return missing


def _twin(reader: Any, report: Report) -> None:
    root = reader.trailer["/Root"]
    associated = [a.get_object() for a in (root.get("/AF") or [])]
    files = [a for a in associated if "/EF" in a]
    if len(files) != 1:
        report.problems.append(
            f"the catalog's /AF lists {len(files)} embedded files (the record has one JSON twin)"
        )
        if not files:
            return
    spec = files[0]
    report.attachment = str(spec.get("/UF") or spec.get("/F") or "")
    if "/AFRelationship" not in spec:
        report.problems.append(f"the embedded file {report.attachment} has no /AFRelationship")
    stream = spec["/EF"]["/F"].get_object()
    twin = stream.get_data()
    report.twin = twin
    report.json_sha256 = canonical.sha256_hex(twin)
    params = stream.get("/Params")
    stored = params.get_object().get("/CheckSum") if params is not None else None
    if stored is not None:
        raw = stored.original_bytes if hasattr(stored, "original_bytes") else bytes(stored)
        if raw != hashlib.md5(twin, usedforsecurity=False).digest():
            report.problems.append(
                f"the embedded file {report.attachment} does not match its stored checksum"
                " (the JSON twin was changed inside the PDF)"
            )


def _printed(reader: Any, report: Report) -> None:
    seen: set[str] = set()
    for n, page in enumerate(reader.pages, start=1):
        found = _PRINTED.findall(page.extract_text() or "")
        if not found:
            report.problems.append(f"page {n} prints no JSON twin SHA-256 in its footer")
        seen.update(found)
    if len(seen) > 1:
        report.problems.append(f"the pages print different JSON hashes: {', '.join(sorted(seen))}")
    if seen:
        report.printed_sha256 = sorted(seen)[0]
        if report.json_sha256 and report.printed_sha256 != report.json_sha256:
            report.problems.append(
                f"the JSON twin's SHA-256 is {report.json_sha256} but the pages print"
                f" {report.printed_sha256}: the twin or the printed copy was changed"
            )


def _canonical_and_bindings(report: Report) -> None:
    try:
        twin = json.loads(report.twin)
        again = canonical.dumps(twin)
    except (ValueError, TypeError) as exc:
        report.problems.append(f"the JSON twin is not canonical JSON: {exc}")
        return
    if again != report.twin:
        report.problems.append("the JSON twin is not in canonical form (sorted keys, compact)")
    for where, sig in _signatures(twin):
        report.signatures += 1
        if canonical.binding_hash(sig) != sig.get("binding_hash"):
            report.problems.append(
                f"signature {sig.get('id')} ({where}, {sig.get('manifestation', '')}): its binding"
                " hash does not match its fields (printed name, time, meaning, content or signer"
                " changed)"
            )
    if isinstance(twin.get("subject"), dict):
        _single(twin, report)
    for st in twin.get("steps", []):
        step = st.get("step", {})
        for sig in st.get("signatures", []):
            if sig.get("valid") and sig.get("content_hash") != step.get("content_hash"):
                report.problems.append(
                    f"signature {sig.get('id')} on step {step.get('seq')} is shown valid but is"
                    " bound to other content than the step carries"
                )


def _single(twin: dict[str, Any], report: Report) -> None:
    """A single record's copy: its content hash recomputed from the content text, and the
    "on the content printed" / "changed since signed" flags consistent with it."""
    subject = twin["subject"]
    text = subject.get("content_text")
    if not isinstance(text, str) or canonical.sha256_hex(text.encode()) != subject.get(
        "content_hash"
    ):
        report.problems.append(
            "the signed content printed does not hash to the content SHA-256 the copy carries"
            " (the content or its hash was changed)"
        )
        return
    own_changed = False
    for copied in twin.get("signatures", []):
        sig = copied.get("signature", {})
        bound = sig.get("content_hash") == subject["content_hash"]
        if bool(copied.get("current")) != bound:
            report.problems.append(
                f"signature {sig.get('id')} is shown {'on' if copied.get('current') else 'off'}"
                " the content printed, but its content hash says otherwise"
            )
        if sig.get("record_type") == subject.get("record_type") and not bound:
            own_changed = True
        if sig.get("valid") and sig.get("record_type") == subject.get("record_type") and not bound:
            report.problems.append(
                f"signature {sig.get('id')} is shown valid but is bound to other content than"
                " the copy carries"
            )
    if bool(twin.get("changed_since_signed")) != own_changed:
        report.problems.append(
            'the copy\'s "changed since signed" flag does not agree with its signatures'
        )


def _signatures(value: Any, where: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every object carrying a signature's binding fields, with where it sits."""
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(value, dict):
        if "binding_hash" in value and all(k in value for k in canonical.BINDING_FIELDS):
            return [(where or "record", value)]
        for k, v in value.items():
            found += _signatures(v, f"{where}.{k}" if where else k)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found += _signatures(v, f"{where}[{i}]")
    return found


def in_bundle(directory: Path, report: Report) -> list[str]:
    """Check the PDF against an exported audit bundle (docs/audit.md) instead of the
    database: the bundle must verify, and its trail must hold the record_copy insert with
    this PDF's SHA-256 and the twin's. Problems, as for the file."""
    from domain.audit import bundle

    checked = bundle.verify_bundle(directory)
    if not checked.ok:
        return [f"the audit bundle {directory} does not verify: {checked.problems[0]}"]
    with (directory / bundle.ENTRIES).open(encoding="utf-8") as fh:
        for line in fh:
            entry = json.loads(line)
            after = entry.get("after") or {}
            if (
                entry.get("table_name") == "workcell.record_copy"
                and entry.get("operation") == "INSERT"
                and after.get("pdf_sha256") == report.pdf_sha256
            ):
                if after.get("json_sha256") != report.json_sha256:
                    registered = after.get("json_sha256")
                    return [
                        f"the bundle registers this PDF with JSON SHA-256 {registered},"
                        f" the file carries {report.json_sha256}"
                    ]
                if entry["id"] in checked.unsealed:
                    report.notes.append("its registration is in the bundle but not yet sealed")
                return []
    return [
        f"the audit bundle has no record copy with PDF SHA-256 {report.pdf_sha256}: this file"
        " is not one WorkCell printed (or it was changed after printing)"
    ]
