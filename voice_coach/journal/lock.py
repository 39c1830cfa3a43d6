"""One running session per journal: an OS lock on a file beside it, released by the OS when the process ends.

    with journal_lock.hold(db_path, what="session"):
        ...  # run the session; a second `hold` on the same journal raises JournalError naming the first

The lock is `fcntl.flock` on `<journal>.lock` (created 0600, never through a link). The OS drops it when the holder
exits in any way (a crash, kill -9), so a lock left behind never blocks anyone, and a session found without its end
while we hold the lock belongs to a process that is really gone. The lock file holds a line saying who holds it
("session 12345"), for the refusal message; it is never deleted (deleting a lock file races with its next taker).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from voice_coach.errors import JournalError
from voice_coach.private_files import private_dir

SUFFIX = ".lock"

_WHAT = {"session": "an exercise session", "checkin": "a check-in", "listen": "the listening coach",
         "demo": "the demo"}


def lock_path(db_path: Path) -> Path:
    """The lock file of the journal at `db_path`."""
    return db_path.with_name(db_path.name + SUFFIX)


def holder(db_path: Path) -> str | None:
    """Who holds the journal's lock ("session 12345"), or None when no one does."""
    try:
        fd = os.open(lock_path(db_path), os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "another voice-coach"
        return None
    finally:
        os.close(fd)


@contextlib.contextmanager
def hold(db_path: Path, what: str = "session") -> Iterator[None]:
    """Hold the journal for `what` (session, checkin, listen, ...) until the block ends; JournalError with one
    clear line when another process holds it. A folder where no lock file can be made (read-only) is not locked:
    no session can write that journal either, and the journal's own error says so."""
    path = lock_path(Path(db_path))
    flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        if not path.parent.exists():  # a first session: its folder is made private, as the journal's would be
            private_dir(path.parent, JournalError)
        fd = os.open(path, flags, 0o600)
    except OSError as exc:
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOENT):
            yield  # cannot lock here: opening the journal itself gives the one clear line
            return
        raise JournalError(f"journal {db_path}: cannot use its lock file {path} ({exc.strerror or exc}); "
                           "remove that file if it is not a regular file") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise JournalError(f"journal {db_path}: its lock file {path} is not a regular file; remove it")
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise JournalError(_refusal(db_path, what, os.pread(fd, 200, 0))) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{what} {os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


def _refusal(db_path: Path, what: str, held_by: bytes) -> str:
    """"journal X: an exercise session (process 123) is already using it; ..."."""
    parts = held_by.decode("utf-8", "replace").split()
    other = _WHAT.get(parts[0], "another voice-coach") if parts else "another voice-coach"
    pid = f" (process {parts[1]})" if len(parts) > 1 and parts[1].isdigit() else ""
    mine = _WHAT.get(what, what)
    return (f"journal {db_path}: {other}{pid} is already using it; finish or stop that one before starting "
            f"{mine}")
