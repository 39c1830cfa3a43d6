"""Private, checked file writes: never onto a device, pipe, folder, symlink or journal; 0600 files, 0700 folders."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from voice_coach.errors import CoachError

SQLITE_MAGIC = b"SQLite format 3\x00"
WAL_MAGICS = (b"\x37\x7f\x06\x82", b"\x37\x7f\x06\x83")
JOURNAL_SIDES = ("-wal", "-shm", "-journal")
"""The files SQLite keeps beside a database: overwriting one destroys entries not yet checkpointed."""


def _starts_with(path: Path, magics: tuple[bytes, ...]) -> bool:
    """The regular file at `path` begins with one of `magics` (opened without following a symlink, never
    blocking on a pipe)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return False
        head = os.read(fd, 16)
    except OSError:
        return False
    finally:
        os.close(fd)
    return any(head.startswith(m) for m in magics)


def is_journal_file(path: Path) -> bool:
    """`path` is an SQLite database (a journal, ours or not), or the -wal/-shm/-journal file beside one."""
    if _starts_with(path, (SQLITE_MAGIC, *WAL_MAGICS)):
        return True
    for side in JOURNAL_SIDES:
        if path.name.endswith(side) and len(path.name) > len(side):
            return _starts_with(path.with_name(path.name[: -len(side)]), (SQLITE_MAGIC,))
    return False


def check_target(path: Path, error: type[CoachError] = CoachError, *, what: str = "", code: str | None = None) -> None:
    """Refuse, as one `error` line, a target that is not a new path or a regular file of our own kind: a symlink
    (its target would be replaced), a folder, a device or a pipe, or a journal and its side files."""
    name = f"{what} {path}".strip()
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise error(f"{name}: cannot check it ({exc.strerror or exc}); choose another file", code=code) from None
    if st is not None:
        if stat.S_ISLNK(st.st_mode):
            why = "is a symbolic link (voice-coach does not write through links); give the real file name"
        elif stat.S_ISDIR(st.st_mode):
            why = "is a folder; give a file name inside it"
        elif not stat.S_ISREG(st.st_mode):
            why = "is not a regular file (a device or a pipe); give a file name"
        else:
            why = ""
        if why:
            raise error(f"{name}: {why}", code=code)
    if is_journal_file(path):
        raise error(f"{name}: is an exercise journal (or a file SQLite keeps beside one); writing there would "
                    "destroy entries: choose another file", code=code)
    if not path.parent.is_dir():
        raise error(f"{name}: the folder {path.parent} does not exist", code=code)


def private_dir(folder: Path, error: type[CoachError] = CoachError, *, what: str = "",
                code: str | None = None) -> Path:
    """`folder`, created 0700 (with any missing parents) if it is not there; an existing folder keeps its mode.
    A path that exists and is not a folder is one `error` line."""
    name = f"{what} {folder}".strip()
    missing = [d for d in (folder, *folder.parents) if not os.path.lexists(d)]
    try:
        for d in reversed(missing):
            d.mkdir(mode=0o700)
            os.chmod(d, 0o700, follow_symlinks=False)
    except FileExistsError:
        pass
    except OSError as exc:
        raise error(f"{name}: cannot write there ({exc.strerror or exc}); choose another folder", code=code) from None
    if not folder.is_dir():
        raise error(f"{name}: is not a folder; choose a folder", code=code)
    return folder


def write_private(path: Path, content: str | bytes, error: type[CoachError] = CoachError, *, what: str = "",
                  code: str | None = None, encoding: str = "utf-8", make_folder: bool = False,
                  failed: str = "cannot write") -> None:
    """Write a whole file or nothing, private (0600): the target is checked (`check_target`), the content goes
    to a new temp file beside it (O_EXCL: never a planted link), is fsynced, and renamed over the target; the
    folder is fsynced. Any failure is one `error` line and leaves the old file as it was."""
    if make_folder:
        private_dir(path.parent, error, code=code)
    check_target(path, error, what=what, code=code)
    data = content.encode(encoding) if isinstance(content, str) else content
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)  # 0600, O_EXCL
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        tmp = None
        _fsync_dir(path.parent)
    except OSError as exc:
        raise error(f"{f'{what} {path}'.strip()}: {failed} ({exc.strerror or exc}); the old file is unchanged",
                    code=code) from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def append_private(path: Path, text: str, error: type[CoachError] = CoachError, *, what: str = "",
                   code: str | None = None) -> None:
    """Append `text` to a private (0600) file, created if missing; never through a symlink or onto anything but a
    regular file."""
    name = f"{what} {path}".strip()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK, 0o600)
    except OSError as exc:
        check_target(path, error, what=what, code=code)  # a link, folder or pipe: say which
        raise error(f"{name}: cannot write ({exc.strerror or exc})", code=code) from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise error(f"{name}: is not a regular file (a device or a pipe); choose another folder", code=code)
        with os.fdopen(os.dup(fd), "a", encoding="utf-8") as f:
            f.write(text)
    except OSError as exc:
        raise error(f"{name}: cannot write ({exc.strerror or exc})", code=code) from None
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def tighten(path: Path) -> int | None:
    """Make an existing file private (0600) if others could read or write it; the mode it had, else None."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode) or not st.st_mode & 0o077:
        return None
    try:
        os.chmod(path, stat.S_IMODE(st.st_mode) & 0o700)
    except OSError:
        return None
    return stat.S_IMODE(st.st_mode)
