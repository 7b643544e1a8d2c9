"""Files written whole or not at all (records, exports): a disk that fills up, a removed
stick or a crash must never leave a partial file under the name of a complete one."""

from __future__ import annotations

import errno
import os
import uuid
from pathlib import Path

from domain.errors import WorkCellError


class FileNotWritten(WorkCellError):
    title = "File not written"


def not_written(target: Path, exc: OSError) -> FileNotWritten:
    reason = exc.strerror or type(exc).__name__
    if exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
        reason = "the disk is full"
    return FileNotWritten(
        f"{target} could not be written ({reason}). Nothing was left under that name; "
        "free some space or choose another place, and try again."
    )


def write_new(target: Path, data: bytes) -> None:
    """Write ``data`` as ``target``, which must not exist (FileExistsError otherwise): into a
    temporary file beside it, forced to disk, then given its name. On failure nothing is left
    (FileNotWritten says why)."""
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.partial")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        _name(tmp, target)
        _sync_directory(target.parent)
    except FileExistsError:
        raise
    except OSError as exc:
        raise not_written(target, exc) from exc
    finally:
        tmp.unlink(missing_ok=True)


def _name(tmp: Path, target: Path) -> None:
    """A hard link never replaces an existing file; where the file system has no links
    (FAT, some network shares), rename after a check."""
    try:
        os.link(tmp, target)
    except FileExistsError:
        raise
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
            raise
        if target.exists():
            raise FileExistsError(errno.EEXIST, "exists", str(target)) from None
        os.rename(tmp, target)


def _sync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
