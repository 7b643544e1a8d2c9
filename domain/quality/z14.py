"""ANSI/ASQ Z1.4 single sampling (= ISO 2859-1 / MIL-STD-105E) from controlled reference data.

API:
  reference() -> Reference                      the tables, loaded once, checksums verified
  parse_level(text) -> str                      "2", "ii", "S1" ... -> "II", "S-1"
  parse_aql(text) -> Decimal                    "1", "0.1" -> Decimal("1.0"), Decimal("0.10")
  plan(lot_size, level, aql, severity="normal") -> SamplingPlan
                                                raises PlanNotAvailable for a missing cell

The data (``data/``) is a copy of the plant's controlled reference set with a SHA-256
manifest: a changed byte refuses to load (ReferenceDataInvalid), so a plan is never computed
from data nobody released. Every arrow cell is resolved to the plan actually used (the
sample size is the resolved letter's, not the original letter's) and the resolution the data
states is checked at load against a walk along the AQL column. When the resolved sample size
reaches the lot size, every unit is inspected (same Ac/Re). A cell the data leaves out (the
sources disagree) is refused: QA enters and approves that plan by hand — never a guess.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import json
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from importlib import resources

from domain.errors import InvalidInput, PlanNotAvailable, ReferenceDataInvalid

__all__ = ["PlanNotAvailable", "ReferenceDataInvalid"]

LEVELS = ("S-1", "S-2", "S-3", "S-4", "I", "II", "III")
SEVERITIES = ("normal", "tightened", "reduced")
LETTERS = "ABCDEFGHJKLMNPQRS"  # Z1.4 skips I and O; S exists only in the tightened table


@dataclass(frozen=True)
class Cell:
    """A Table II cell as printed, and the plan it resolves to."""

    table_cell: str  # "Ac/Re", "down" or "up"
    plan_letter: str
    sample_size: int
    ac: int
    re: int

    @property
    def is_arrow(self) -> bool:
        return self.table_cell in ("up", "down")


@dataclass(frozen=True)
class LotRange:
    lot_min: int
    lot_max: int | None  # None: "and over"
    letters: dict[str, str]  # level -> code letter


@dataclass(frozen=True)
class Reference:
    name: str
    version: str
    source: str
    files: dict[str, str]  # file -> sha256
    ranges: tuple[LotRange, ...]
    sample_sizes: dict[str, dict[str, int]]  # severity -> letter -> n
    cells: dict[str, dict[tuple[str, Decimal], Cell]]  # severity -> (letter, aql) -> cell
    aqls: tuple[Decimal, ...]

    @property
    def label(self) -> str:
        return f"{self.name}, data {self.version}"

    def letter(self, lot_size: int, level: str) -> str:
        """Table I: the code letter for a lot size and inspection level."""
        size = max(lot_size, 2)  # a lot of 1 is the 2-8 row (and inspected whole anyway)
        for r in self.ranges:
            if size >= r.lot_min and (r.lot_max is None or size <= r.lot_max):
                return r.letters[level]
        raise ReferenceDataInvalid(f"Table I has no row for a lot of {lot_size}.")


@dataclass(frozen=True)
class SamplingPlan:
    lot_size: int
    level: str
    aql: Decimal
    severity: str
    code_letter: str  # from Table I
    table_cell: str  # what the table prints for that letter and AQL
    plan_letter: str  # the plan used after the arrow
    sample_size: int  # units to inspect (the lot size when 100 %)
    ac: int
    re: int
    hundred_percent: bool
    data_version: str
    data_source: str

    @property
    def arrow(self) -> bool:
        return self.table_cell in ("up", "down")

    def describe(self) -> str:
        via = (
            f"{self.code_letter} {self.table_cell} -> {self.plan_letter}"
            if self.arrow
            else self.code_letter
        )
        n = f"100 % ({self.lot_size})" if self.hundred_percent else f"n={self.sample_size}"
        return (
            f"lot {self.lot_size}, level {self.level}, AQL {self.aql}, {self.severity}: "
            f"letter {via}, {n}, Ac {self.ac} Re {self.re} [{self.data_version}]"
        )


# -- parsing -----------------------------------------------------------------------------

_LEVEL_ALIASES = {"1": "I", "2": "II", "3": "III", "GI": "I", "GII": "II", "GIII": "III"}


def parse_level(text: str) -> str:
    """An inspection level as people write it: II, 2, s-1, S1, s 1."""
    raw = re.sub(r"[\s_]", "", text.strip().upper())
    raw = _LEVEL_ALIASES.get(raw, raw)
    if re.fullmatch(r"S-?[1-4]", raw):
        raw = f"S-{raw[-1]}"
    if raw not in LEVELS:
        raise InvalidInput(f"Inspection level {text!r}: use one of {', '.join(LEVELS)}.")
    return raw


def parse_aql(text: str | Decimal, known: tuple[Decimal, ...] | None = None) -> Decimal:
    """An AQL (% nonconforming) from the table's columns, as the table prints it."""
    try:
        value = Decimal(str(text).strip().rstrip("%").strip())
    except InvalidOperation:
        raise InvalidInput(f"AQL {text!r} is not a number.") from None
    columns = known if known is not None else reference().aqls
    for column in columns:
        if value == column:
            return column
    raise InvalidInput(
        f"AQL {text} is not a column of the table: use one of {', '.join(str(a) for a in columns)}."
    )


def _aql_key(text: str) -> Decimal:
    return Decimal(text)


# -- loading -----------------------------------------------------------------------------


def _read(name: str) -> bytes:
    return resources.files("domain.quality").joinpath("data", name).read_bytes()


@functools.cache
def reference() -> Reference:
    """The reference tables, loaded once per process after the checksum check."""
    manifest = json.loads(_read("MANIFEST.json"))
    for name, digest in manifest["files"].items():
        if hashlib.sha256(_read(name)).hexdigest() != digest:
            raise ReferenceDataInvalid(
                f"Sampling reference file {name} does not match its checksum: it was changed "
                "outside release control. No plan is computed until it is restored."
            )
    rows = [
        *csv.DictReader(_read("aql-z14.csv").decode("utf-8").splitlines()),
        *csv.DictReader(_read("aql-z14-tightened-reduced.csv").decode("utf-8").splitlines()),
    ]
    ref = _build(manifest, rows)
    _check_arrows(ref)
    return ref


_SIZE_TABLES = {
    "sample_size": "normal",
    "sample_size_tightened": "tightened",
    "sample_size_reduced": "reduced",
}
_CELL_TABLES = {
    "single_normal": "normal",
    "single_tightened": "tightened",
    "single_reduced": "reduced",
}


def _build(manifest: dict[str, object], rows: list[dict[str, str]]) -> Reference:
    ranges: dict[tuple[int, int | None], dict[str, str]] = {}
    sizes: dict[str, dict[str, int]] = {s: {} for s in SEVERITIES}
    cells: dict[str, dict[tuple[str, Decimal], Cell]] = {s: {} for s in SEVERITIES}
    aqls: set[Decimal] = set()
    for row in rows:
        table = row["table"]
        if table == "code_letter":
            key = (int(row["lot_min"]), int(row["lot_max"]) if row["lot_max"] else None)
            ranges.setdefault(key, {})[row["inspection_level"]] = row["code_letter"]
        elif table in _SIZE_TABLES:
            sizes[_SIZE_TABLES[table]][row["code_letter"]] = int(row["sample_size"])
        elif table in _CELL_TABLES:
            aql = _aql_key(row["aql"])
            aqls.add(aql)
            cells[_CELL_TABLES[table]][(row["code_letter"], aql)] = Cell(
                row["table_cell"], row["plan_code_letter"], int(row["sample_size"]),
                int(row["ac"]), int(row["re"]),
            )  # fmt: skip
        else:
            raise ReferenceDataInvalid(f"Unknown table {table!r} in the sampling data.")
    ordered = tuple(LotRange(lo, hi, ranges[(lo, hi)]) for lo, hi in sorted(ranges))
    for r in ordered:
        if set(r.letters) != set(LEVELS):
            raise ReferenceDataInvalid(f"Table I row {r.lot_min}: levels {sorted(r.letters)}.")
    return Reference(
        name=str(manifest["name"]), version=str(manifest["version"]),
        source=str(manifest["source"]), files=dict(manifest["files"]),  # type: ignore[call-overload]
        ranges=ordered, sample_sizes=sizes, cells=cells, aqls=tuple(sorted(aqls)),
    )  # fmt: skip


def walk(ref: Reference, severity: str, letter: str, aql: Decimal) -> str | None:
    """Follow arrows along the AQL column from a letter to the first printed plan; the
    letter of that plan, or None when the walk meets a cell the data leaves out."""
    table = ref.cells[severity]
    index = LETTERS.index(letter)
    while True:
        cell = table.get((LETTERS[index], aql))
        if cell is None:
            return None
        if not cell.is_arrow:
            return LETTERS[index]
        index += 1 if cell.table_cell == "down" else -1
        if not 0 <= index < len(LETTERS):
            return None


def _check_arrows(ref: Reference) -> None:
    """The resolution the data states is the one the column walk finds, with the resolved
    letter's sample size and Ac/Re (never the original letter's n)."""
    for severity, table in ref.cells.items():
        for (letter, aql), cell in table.items():
            target = walk(ref, severity, letter, aql)
            if target is None:
                continue  # passes a left-out cell: the data's stated plan stands
            plan = table[(target, aql)]
            stated = (cell.plan_letter, cell.sample_size, cell.ac, cell.re)
            found = (target, ref.sample_sizes[severity][target], plan.ac, plan.re)
            if stated != found:
                raise ReferenceDataInvalid(
                    f"{severity} {letter} AQL {aql}: the data says {stated}, "
                    f"the table gives {found}."
                )


# -- look-up -----------------------------------------------------------------------------


def plan(lot_size: int, level: str, aql: str | Decimal, severity: str = "normal") -> SamplingPlan:
    """The single sampling plan for a lot, with arrows resolved and the 100 % rule applied."""
    ref = reference()
    if isinstance(lot_size, bool) or not isinstance(lot_size, int) or lot_size < 1:
        raise InvalidInput(f"Lot size {lot_size!r}: a whole number of units, at least 1.")
    level = parse_level(level)
    column = parse_aql(aql, ref.aqls)
    if severity not in SEVERITIES:
        raise InvalidInput(f"Inspection severity {severity!r}: one of {', '.join(SEVERITIES)}.")
    letter = ref.letter(lot_size, level)
    cell = ref.cells[severity].get((letter, column))
    if cell is None:
        raise PlanNotAvailable(
            f"The {severity} table has no verified plan for code letter {letter} at AQL "
            f"{column} ({ref.version}): QA enters and approves this plan by hand.",
        )
    whole = cell.sample_size >= lot_size
    return SamplingPlan(
        lot_size=lot_size, level=level, aql=column, severity=severity, code_letter=letter,
        table_cell=cell.table_cell, plan_letter=cell.plan_letter,
        sample_size=lot_size if whole else cell.sample_size, ac=cell.ac, re=cell.re,
        hundred_percent=whole, data_version=ref.version, data_source=ref.source,
    )  # fmt: skip


def one_step_tighter(aql: Decimal) -> Decimal | None:
    """The next smaller AQL column (switching score), or None at the first column."""
    columns = reference().aqls
    index = columns.index(aql)
    return columns[index - 1] if index > 0 else None
