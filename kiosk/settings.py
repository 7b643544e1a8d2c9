"""Station settings: a TOML file with documented defaults, plus environment overrides.

Lookup order for the file: ``WORKCELL_CONFIG``, then ``<config dir>/station.toml``
(platformdirs user config dir). Every key is optional; see docs/configuration.md.
"""

from __future__ import annotations

import os
import socket
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import platformdirs

APP_NAME = "workcell"


def default_data_dir() -> Path:
    return Path(os.environ.get("WORKCELL_DATA_DIR") or platformdirs.user_data_dir(APP_NAME))


def default_config_path() -> Path:
    env = os.environ.get("WORKCELL_CONFIG")
    if env:
        return Path(env)
    return Path(platformdirs.user_config_dir(APP_NAME)) / "station.toml"


def _default_station_name() -> str:
    host = socket.gethostname().split(".")[0].lower()
    cleaned = "".join(c if c.isalnum() else "_" for c in host)
    return cleaned or "station"


@dataclass(frozen=True)
class ScannerSettings:
    """Keyboard-wedge framing. Prefix/suffix framing is the default; timing is a fallback."""

    prefix: str = "\x02"  # STX, programmed into the scanner
    suffix: str = "\r"  # Enter
    gs_substitute: str = "~"  # what the scanner sends instead of ASCII 29 (GS)
    use_timing: bool = False
    max_interkey_ms: int = 30
    min_length: int = 4


@dataclass(frozen=True)
class StationSettings:
    name: str = field(default_factory=_default_station_name)
    site: str = "SITE-1"
    zone: str = "ZONE-A"
    timezone: str = "UTC"
    idle_timeout_s: int = 120
    reader: str = "auto"  # auto | pcsc | wedge | none
    reader_filter: str = ""  # PC/SC: use only readers whose name contains this ("" = all)
    allow_username_pin: bool = False
    pin_expiry_days: int = 180
    max_failed_attempts: int = 5
    unsealed_grace_s: int = 60
    seal_interval_s: float = 1.0
    data_dir: Path = field(default_factory=default_data_dir)
    # where records printed at this station are written (a share, a USB stick); empty: the
    # data directory's records/ (docs/records.md, "From the screens")
    export_dir: str = ""
    database_url: str | None = None
    admin_database_url: str | None = None
    scanner: ScannerSettings = field(default_factory=ScannerSettings)
    # the balances this station reads, by asset id: {"BAL-001": "tcp://10.0.4.21:4001"} or
    # "serial:///dev/ttyUSB0?baud=9600" (a [balances] table in the station file)
    balances: dict[str, str] = field(default_factory=dict)

    @property
    def anchor_file(self) -> Path:
        return self.data_dir / "anchors.log"

    @property
    def records_dir(self) -> Path:
        return Path(self.export_dir).expanduser() if self.export_dir else self.data_dir / "records"


def _coerce(current: Any, value: Any) -> Any:
    if isinstance(current, Path):
        return Path(value).expanduser()
    return value


def load_settings(path: Path | None = None) -> StationSettings:
    """Read the station file (if present) and apply environment overrides."""
    settings = StationSettings()
    path = path or default_config_path()
    if path.exists():
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
        settings = apply_mapping(settings, raw)
    env_overrides: dict[str, Any] = {}
    if os.environ.get("WORKCELL_DATABASE_URL"):
        env_overrides["database_url"] = os.environ["WORKCELL_DATABASE_URL"]
    if os.environ.get("WORKCELL_ADMIN_DATABASE_URL"):
        env_overrides["admin_database_url"] = os.environ["WORKCELL_ADMIN_DATABASE_URL"]
    if os.environ.get("WORKCELL_STATION"):
        env_overrides["name"] = os.environ["WORKCELL_STATION"]
    if os.environ.get("WORKCELL_DATA_DIR"):
        env_overrides["data_dir"] = Path(os.environ["WORKCELL_DATA_DIR"])
    return replace(settings, **env_overrides)


def apply_mapping(settings: StationSettings, raw: dict[str, Any]) -> StationSettings:
    known = {f.name for f in fields(StationSettings)}
    unknown = set(raw) - known - {"station"}
    if unknown:
        raise ValueError(f"unknown settings in station file: {', '.join(sorted(unknown))}")
    values: dict[str, Any] = {}
    for key, value in {**raw.get("station", {}), **raw}.items():
        if key == "station":
            continue
        if key == "scanner":
            values["scanner"] = replace(settings.scanner, **value)
        elif key in known:
            values[key] = _coerce(getattr(settings, key), value)
    return replace(settings, **values)


def render_settings(settings: StationSettings) -> str:
    """Human-readable dump for `workcell station show` (database passwords hidden)."""
    lines = []
    for f in fields(StationSettings):
        value = getattr(settings, f.name)
        if f.name.endswith("database_url") and value:
            value = _hide_password(str(value))
        if f.name == "scanner":
            for sf in fields(ScannerSettings):
                lines.append(f"scanner.{sf.name:<16} = {getattr(value, sf.name)!r}")
            continue
        lines.append(f"{f.name:<24} = {value}")
    return "\n".join(lines)


def _hide_password(url: str) -> str:
    from kiosk.database import libpq_url, normalise  # it imports this module

    try:  # a multi-host URL is shown in libpq's form, as the plant wrote it
        return libpq_url(normalise(url), hide_password=True)
    except Exception:
        return "<unparseable url>"
