"""Writes that either land whole on disk or fail loudly, naming the file and the cause.

os.write may write fewer bytes than asked (a full disk, a quota): every byte is written or the write is
an error, fsync errors are errors, and an append that fails is cut back so that no partial line stays
behind to be read as a record.
"""

from __future__ import annotations

import contextlib
import errno
import os
import uuid
from pathlib import Path

from bench.spec.errors import BenchError

# Causes that belong to the machine, not to the model under test: a cell failing with one is retried by --resume.
INFRASTRUCTURE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO, errno.EFBIG, errno.EMFILE,
                                   errno.ENFILE})


class WriteFailed(BenchError):
    """A file of the run could not be written; the run stops, and --resume finishes it later."""

    def __init__(self, path: Path, cause: OSError, then: str = "") -> None:
        self.path, self.cause = path, cause
        reason = os.strerror(cause.errno) if cause.errno else str(cause)
        super().__init__(f"cannot write {path}: {reason}" + (f"; {then}" if then else ""))


def write_all(path: Path, data: bytes, *, append: bool = False) -> None:
    """Write `data` to `path` (appended, or replacing its content) and fsync it."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC)
    try:
        fd = os.open(path, flags, 0o644)
    except OSError as exc:
        raise WriteFailed(path, exc) from exc
    try:
        start = os.fstat(fd).st_size if append else 0
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                if written <= 0:  # never seen in practice, but a loop on 0 would never end
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                view = view[written:]
            os.fsync(fd)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, start)
            raise WriteFailed(path, exc) from exc
    finally:
        os.close(fd)


def replace_atomic(path: Path, data: bytes) -> None:
    """Write a temporary file next to `path` (a name of its own, so writers never share it), then rename."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        write_all(tmp, data)
        try:
            os.replace(tmp, path)
        except OSError as exc:
            raise WriteFailed(path, exc) from exc
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
