"""Where log records go. Never onto the terminal the station app draws on.

- Every command writes to ``<data dir>/workcell.log`` (INFO and above, rotated at 5 MB).
- The station app (`workcell`, `workcell kiosk`, `workcell demo`) has no stream handler at
  all: a record printed to stderr would paint over the screen (a wrong PIN used to appear
  on row 2). In development (``TEXTUAL=devtools`` or ``debug``, i.e. `textual run --dev`)
  records also go to Textual's own log, the devtools console.
- Other commands print to stderr only with ``-v`` (INFO and above); without it they print
  their own results and one line per refusal, nothing from the logging system.

A root handler is always installed, so Python's "last resort" handler (which writes
WARNING records to stderr when no handler exists) never fires; warnings from the
``warnings`` module are routed into the log as well.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from pathlib import Path

LOG_FILE = "workcell.log"
FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"
_MARK = "_workcell_handler"


def log_path(data_dir: Path) -> Path:
    return Path(data_dir) / LOG_FILE


def configure_logging(data_dir: Path, *, verbose: bool = False, app: bool = False) -> Path | None:
    """Replace this process's log handlers by WorkCell's (idempotent). Returns the log file,
    or None when the data directory cannot be written (then records are dropped, never
    printed where the app draws)."""
    root = logging.getLogger()
    reset_logging()
    root.setLevel(logging.INFO)
    path: Path | None = log_path(data_dir)
    handler: logging.Handler
    try:
        assert path is not None
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=5_000_000, backupCount=3, encoding="utf-8"
        )
    except OSError:
        path, handler = None, logging.NullHandler()
    _add(root, handler)
    if app:
        if _textual_dev():
            from textual.logging import TextualHandler

            _add(root, TextualHandler(stderr=False, stdout=False))
    elif verbose:
        _add(root, logging.StreamHandler(sys.stderr))
    logging.captureWarnings(True)
    return path


def reset_logging() -> None:
    """Remove WorkCell's handlers again (the end of `main`, so tests calling it in-process
    keep their own logging)."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, _MARK, False)]:
        root.removeHandler(handler)
        handler.close()
    logging.captureWarnings(False)


def _add(root: logging.Logger, handler: logging.Handler) -> None:
    handler.setFormatter(logging.Formatter(FORMAT))
    setattr(handler, _MARK, True)
    root.addHandler(handler)


def _textual_dev() -> bool:
    features = {f.strip() for f in os.environ.get("TEXTUAL", "").split(",")}
    return bool(features & {"devtools", "debug"})
