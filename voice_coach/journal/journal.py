"""The journal: an append-only SQLite log of sessions, replies, ratings, symptoms and cautions."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import stat
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from voice_coach.errors import JournalError
from voice_coach.journal.entry_checks import parse_row
from voice_coach.private_files import tighten

SCHEMA_VERSION = 1
SOURCES = ("voice", "keyboard", "caregiver", "coach")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    source TEXT NOT NULL,
    transcript TEXT,
    confidence REAL,
    data TEXT NOT NULL,
    schema INTEGER NOT NULL,
    UNIQUE (session_id, seq)
);
CREATE INDEX IF NOT EXISTS entries_session ON entries (session_id, seq);
CREATE INDEX IF NOT EXISTS entries_at ON entries (at);
CREATE TRIGGER IF NOT EXISTS entries_no_update BEFORE UPDATE ON entries
BEGIN SELECT RAISE(ABORT, 'journal entries are append-only'); END;
CREATE TRIGGER IF NOT EXISTS entries_no_delete BEFORE DELETE ON entries
BEGIN SELECT RAISE(ABORT, 'journal entries are append-only'); END;
"""


CAREGIVER_SESSION_ID = "caregiver"
"""The session id of entries a caregiver or the coach writes outside any session."""


@dataclass(frozen=True)
class Damaged:
    """A journal row that cannot be read (bad JSON, a bad time, missing fields): skipped, shown in reports."""

    id: int
    """Its row id."""
    session_id: str
    """Its session (as stored; cut to 40 characters)."""
    seq: Any
    """Its sequence number (as stored)."""
    kind: str | None
    """Its kind, when that is text."""
    why: str
    """What is wrong with it."""

    def describe(self) -> str:
        kind = f" ({self.kind[:40]})" if self.kind else ""
        return f"entry {self.id}{kind} of session {self.session_id[:8]} is damaged: {self.why}"


@dataclass(frozen=True)
class Entry:
    """One journal row."""

    id: int
    """Row id, in write order."""
    session_id: str
    """Groups the entries of one session or check-in ("caregiver" entries have their own)."""
    seq: int
    """Order within the session."""
    at: datetime
    """Wall-clock time, timezone-aware."""
    kind: str
    """session_started, rating, symptom, caution_spoken, exercise_done, session_ended, ..."""
    source: str
    """voice, keyboard, caregiver or coach."""
    transcript: str | None
    """What was heard or typed."""
    confidence: float | None
    """Recognizer confidence of the transcript."""
    data: dict[str, Any]
    """Kind-specific fields."""


def _read_only(path: Path) -> bool:
    """The file or its folder cannot be written (permissions, or a read-only file system)."""
    folder = path.parent if path.parent.exists() else path.parent.parent
    try:
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return True
    except OSError:
        return False
    return (path.exists() and not os.access(path, os.W_OK)) or not os.access(folder, os.W_OK)


def _fail(path: Path, exc: BaseException, doing: str) -> JournalError:
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        why = "it is locked by another program; close it and try again"
    elif "readonly" in text or "read-only" in text or isinstance(exc, PermissionError) or _read_only(path):
        why = "it is read-only; give write permission or choose another file with --db"
    elif "disk" in text and "full" in text or "no space" in text:
        why = "the disk is full; free some space and try again"
    elif "not a database" in text or "malformed" in text:
        why = "it is not a voice-coach journal or is damaged; choose another file with --db"
    else:
        why = f"{exc}; check the path or choose another file with --db"
    return JournalError(f"journal {path}: cannot {doing}: {why}")


class SqliteJournal:
    """The real journal. Every append is its own committed transaction (WAL, synchronous=FULL)."""

    def __init__(self, path: Path, *, readonly: bool = False, busy_timeout_ms: int = 2000,
                 warn: Callable[[str], None] | None = None) -> None:
        self.path = Path(path)
        self.readonly = readonly
        self.warn = warn or _to_stderr
        """Where warnings go (a looser mode made private, a damaged entry skipped): one line each."""
        self.damaged: list[Damaged] = []
        """Rows read so far that were damaged and left out."""
        self._copy: tempfile.TemporaryDirectory[str] | None = None
        """A private copy of a WAL journal on a read-only file system (see _connect_read_only)."""
        self._refuse_non_file()
        try:
            if readonly:
                if not self.path.exists():
                    raise JournalError(f"journal {self.path}: no such file; run a session first or check --db")
                self.db = self._connect_read_only()
            else:
                self._create_private()
                self.db = sqlite3.connect(self.path, isolation_level=None)
            self.db.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            if not readonly:
                self.db.execute("PRAGMA journal_mode=WAL")
                self.db.execute("PRAGMA synchronous=FULL")
                self._migrate()
                self._make_private()  # only once it is known to be our journal: another file is never touched
            else:
                self._check_schema()
        except sqlite3.Error as exc:
            raise _fail(self.path, exc, "open it") from None
        except OSError as exc:
            raise _fail(self.path, exc, "create it") from None

    def _connect_read_only(self) -> sqlite3.Connection:
        """Read without writing anything. On a read-only file system SQLite cannot index a WAL in place: then a
        WAL that holds entries is read from a private copy (immutable=1 would silently skip its entries)."""
        db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, isolation_level=None)
        try:
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return db
        except sqlite3.OperationalError:
            db.close()
            if not _read_only(self.path):
                raise
        wal = Path(f"{self.path}-wal")
        if wal.exists() and wal.stat().st_size > 0:
            self._copy = tempfile.TemporaryDirectory(prefix="voice-coach-journal-")  # 0700: it holds health data
            copy = Path(self._copy.name) / "journal.sqlite3"
            for src, dst in ((self.path, copy), (wal, Path(f"{copy}-wal"))):
                shutil.copyfile(src, dst)
                dst.chmod(0o600)
            writable = sqlite3.connect(copy, isolation_level=None)  # the copy takes in its WAL, then is read only
            writable.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            writable.close()
            return sqlite3.connect(f"file:{copy}?mode=ro", uri=True, isolation_level=None)
        return sqlite3.connect(f"file:{self.path}?mode=ro&immutable=1", uri=True, isolation_level=None)

    def _refuse_non_file(self) -> None:
        """A pipe, device or folder given as the journal is one line (SQLite would block on a pipe for ever)."""
        try:
            mode = os.stat(self.path).st_mode
        except OSError:
            return  # missing (created, or "no such file" when read) or unreadable: SQLite's error says which
        if stat.S_ISDIR(mode):
            raise JournalError(f"journal {self.path}: is a folder; give the journal file with --db")
        if not stat.S_ISREG(mode):
            raise JournalError(f"journal {self.path}: is not a regular file (a pipe or a device); give the journal "
                               "file with --db")

    def _make_private(self) -> None:
        """A journal made by an older version or copied in with a looser mode is made private (0600) once, and
        said so; the files SQLite keeps beside it too."""
        was = tighten(self.path)
        for side in ("-wal", "-shm"):
            tighten(Path(f"{self.path}{side}"))
        if was is not None:
            self.warn(f"journal {self.path}: others could read it (mode {was:o}); it is now private (mode 600)")

    def _create_private(self) -> None:
        """New journals are private: file 0600, and every folder we create 0700 (it holds health information).
        The modes are set explicitly, whatever the umask; a folder that already exists keeps its mode."""
        missing = [d for d in (self.path.parent, *self.path.parent.parents) if not d.exists()]
        for folder in reversed(missing):
            folder.mkdir(mode=0o700, exist_ok=True)
            os.chmod(folder, 0o700)
        if not self.path.exists():
            fd = os.open(self.path, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600)
            try:
                os.fchmod(fd, 0o600)
            finally:
                os.close(fd)

    def _check_schema(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise JournalError(f"journal {self.path}: written by a newer voice-coach (schema {version}); upgrade")

    def _migrate(self) -> None:
        self._check_schema()
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version < 1:
            others = [r[0] for r in self.db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('entries', 'sqlite_sequence')")]
            if others:  # another program's database: never add our tables to it
                raise JournalError(f"journal {self.path}: it is not a voice-coach journal (it holds {others[0]!r}); "
                                   "choose another file with --db")
            self.db.execute("BEGIN IMMEDIATE")
            for statement in _split(_SCHEMA):
                self.db.execute(statement)
            self.db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            self.db.execute("COMMIT")

    # ----- writing ---------------------------------------------------------------------------------------
    def new_session_id(self) -> str:
        return uuid.uuid4().hex

    def append(self, session_id: str, kind: str, at: datetime, data: dict[str, Any] | None = None, *,
               source: str = "coach", transcript: str | None = None, confidence: float | None = None) -> int:
        """Write one entry and commit it before returning its id (durable once this returns). Times are stored
        in UTC (a naive time is taken as local), so that entries compare and sort as text."""
        at = at.astimezone(UTC)
        if source not in SOURCES:
            raise JournalError(f"journal: unknown source {source!r} (one of {', '.join(SOURCES)})")
        try:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                seq = self.db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM entries WHERE session_id = ?",
                                      (session_id,)).fetchone()[0]
                cur = self.db.execute(
                    "INSERT INTO entries (session_id, seq, at, kind, source, transcript, confidence, data, schema)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (session_id, seq, at.isoformat(), kind, source, transcript, confidence,
                     json.dumps(data or {}, sort_keys=True), SCHEMA_VERSION))
                self.db.execute("COMMIT")
            except BaseException:
                # Roll back quietly: an error here (the disk is full) must not replace the real cause.
                if self.db.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        self.db.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise _fail(self.path, exc, f"write a {kind} entry") from None
        assert cur.lastrowid is not None
        return cur.lastrowid

    def close_dangling(self, at: datetime) -> list[str]:
        """Sessions started but never ended (a crash, a kill) get a session_ended 'abandoned' entry."""
        dangling = [row[0] for row in self._query(
            "SELECT session_id FROM entries GROUP BY session_id "
            "HAVING SUM(kind = 'session_started') > 0 AND SUM(kind = 'session_ended') = 0")]
        for sid in dangling:
            self.append(sid, "session_ended", at, {"outcome": "abandoned", "reason": "interrupted"})
        return dangling

    # ----- reading ---------------------------------------------------------------------------------------
    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        try:
            return self.db.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise _fail(self.path, exc, "read it") from None

    def entries(self, since: datetime | None = None, until: datetime | None = None) -> Iterator[Entry]:
        """Entries in write order, optionally within [since, until)."""
        sql = "SELECT id, session_id, seq, at, kind, source, transcript, confidence, data FROM entries"
        where, params = [], []
        # `at` is compared as text: the bounds must be written in UTC, as the coach's entries are
        if since is not None:
            where.append("at >= ?")
            params.append(since.astimezone(UTC).isoformat())
        if until is not None:
            where.append("at < ?")
            params.append(until.astimezone(UTC).isoformat())
        if where:
            sql += " WHERE " + " AND ".join(where)
        for r in self._query(sql + " ORDER BY id", tuple(params)):
            row, why = parse_row(r)
            if why is None:
                yield Entry(*row)
            else:
                self._skip(row, why)

    def _skip(self, row: tuple[Any, ...], why: str) -> None:
        """A damaged row: remembered in `damaged` and warned about once, and left out (never a crash)."""
        if row[0] in {d.id for d in self.damaged}:
            return
        session = row[1] if isinstance(row[1], str) else repr(row[1])
        damaged = Damaged(row[0], session[:40], row[2], row[4] if isinstance(row[4], str) else None, why)
        self.damaged.append(damaged)
        self.warn(f"journal {self.path}: {damaged.describe()}; it is skipped, and the rest is read")

    def integrity_ok(self) -> bool:
        return self._query("PRAGMA integrity_check")[0][0] == "ok"

    def close(self) -> None:
        self.db.close()
        if self._copy is not None:
            self._copy.cleanup()


def _to_stderr(line: str) -> None:
    sys.stderr.write(f"voice-coach: warning: {line}\n")
    sys.stderr.flush()


def _split(script: str) -> list[str]:
    """Split the schema into statements, keeping trigger bodies whole."""
    out, buf = [], ""
    for line in script.strip().splitlines():
        buf += line + "\n"
        if line.rstrip().endswith(";") and (not buf.lstrip().startswith("CREATE TRIGGER") or "END;" in line):
            out.append(buf.strip())
            buf = ""
    return out
