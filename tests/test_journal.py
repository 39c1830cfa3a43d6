"""The SQLite journal for real: durable settings, privacy, append-only, abandoned sessions, clear errors."""

from __future__ import annotations

import sqlite3
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from voice_coach.errors import JournalError
from voice_coach.journal.journal import SCHEMA_VERSION, SqliteJournal
from voice_coach.report.model import build_report

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_new_journal_is_private_durable_and_versioned(tmp_path: Path) -> None:
    path = tmp_path / "new" / "journal.sqlite3"
    j = SqliteJournal(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert j.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert j.db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert j.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert j.integrity_ok()


def test_entries_are_append_only(tmp_path: Path) -> None:
    j = SqliteJournal(tmp_path / "j.sqlite3")
    sid = j.new_session_id()
    j.append(sid, "session_started", T0, {"program": "resistance", "kind": "resistance"})
    j.append(sid, "rating", T0, {"value": 4}, source="voice", transcript="four", confidence=0.9)
    for sql in ("UPDATE entries SET kind = 'x'", "DELETE FROM entries"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            j.db.execute(sql)
    rows = list(j.entries())
    assert [(r.seq, r.kind, r.transcript, r.confidence) for r in rows] == [
        (1, "session_started", None, None), (2, "rating", "four", 0.9)]


def test_entries_between_local_times_compare_instants_not_text(tmp_path: Path) -> None:
    j = SqliteJournal(tmp_path / "j.sqlite3")
    late = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)  # already 3 March in UTC+2
    j.append("s", "note", late - timedelta(hours=2), {"text": "before"}, source="caregiver")
    j.append("s", "note", late, {"text": "inside"}, source="caregiver")
    j.append("s", "note", late + timedelta(hours=1), {"text": "after"}, source="caregiver")
    plus2 = timezone(timedelta(hours=2))
    since, until = datetime(2026, 3, 3, 0, 0, tzinfo=plus2), datetime(2026, 3, 3, 2, 0, tzinfo=plus2)
    assert [e.data["text"] for e in j.entries(since, until)] == ["inside"]
    assert [e.data["text"] for e in j.entries(since=since)] == ["inside", "after"]
    assert [e.data["text"] for e in j.entries(until=until)] == ["before", "inside"]
    j.close()


def test_interrupted_session_shows_as_abandoned_next_time(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    j = SqliteJournal(path)
    sid = j.new_session_id()
    j.append(sid, "session_started", T0, {"program": "stretching", "kind": "stretching"})
    j.close()  # no session_ended: as after a crash
    j2 = SqliteJournal(path)
    assert j2.close_dangling(T0 + timedelta(hours=1)) == [sid]
    assert j2.close_dangling(T0 + timedelta(hours=2)) == []
    report = build_report(j2.entries())
    assert report["sessions"][0]["outcome"] == "abandoned"


def test_entry_survives_a_killed_writer(tmp_path: Path) -> None:
    """A child appends, reports the id, and is killed with SIGKILL: the acknowledged entry is there."""
    path = tmp_path / "j.sqlite3"
    code = (
        "import sys, os, signal\n"
        "from datetime import datetime, timezone\n"
        "from voice_coach.journal.journal import SqliteJournal\n"
        f"j = SqliteJournal({str(path)!r})\n"
        "sid = j.new_session_id()\n"
        "i = j.append(sid, 'session_started', datetime.now(timezone.utc), {'program': 'x', 'kind': 'x'})\n"
        "print(i, flush=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == -9
    acknowledged = int(done.stdout.split()[0])
    j = SqliteJournal(path)
    assert j.integrity_ok()
    assert acknowledged in [e.id for e in j.entries()]


def test_read_only_journal_is_one_clear_line_and_loses_nothing(read_only_dir) -> None:
    folder, make_read_only = read_only_dir
    path = folder / "j.sqlite3"
    j = SqliteJournal(path)
    j.append(j.new_session_id(), "note", T0, {"text": "kept"})
    j.close()
    make_read_only()
    with pytest.raises(JournalError, match="read-only") as err:
        SqliteJournal(path).append("s", "note", T0, {})
    assert "\n" not in str(err.value)
    assert [e.data for e in SqliteJournal(path, readonly=True).entries()] == [{"text": "kept"}]


def test_locked_journal_is_one_clear_line(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    SqliteJournal(path).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(JournalError, match="locked by another program") as err:
            SqliteJournal(path, busy_timeout_ms=100).append("s", "note", T0, {})
        assert "\n" not in str(err.value)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_not_a_journal_is_one_clear_line(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("this is not a database " * 100)
    with pytest.raises(JournalError, match="not a voice-coach journal or is damaged"):
        SqliteJournal(path)
    assert path.read_text().startswith("this is not")


def test_report_json_shape(tmp_path: Path) -> None:
    j = SqliteJournal(tmp_path / "j.sqlite3")
    sid = j.new_session_id()
    j.append(sid, "session_started", T0, {"program": "resistance", "kind": "resistance"})
    j.append(sid, "exercise_done", T0, {"name": "Biceps curl", "index": 0, "reps_target": 10, "reps_done": 8})
    j.append(sid, "rating", T0, {"value": 5, "exercise": "Biceps curl"}, source="voice", transcript="five",
             confidence=0.8)
    j.append(sid, "symptom", T0, {"kind": "cramp"}, source="voice", transcript="cramp", confidence=0.9)
    j.append(sid, "caution_spoken", T0, {"key": "caution_cramp"})
    j.append(sid, "session_ended", T0, {"outcome": "stopped_for_safety", "flags": ["cramp"]})
    cid = j.new_session_id()
    j.append(cid, "session_started", T0, {"program": "checkin", "kind": "checkin"})
    j.append(cid, "checkin_answer", T0, {"question": "fatigue", "value": 3}, source="keyboard", transcript="3")
    report = build_report(j.entries())
    s = report["sessions"][0]
    assert {k: s[k] for k in ("program", "outcome")} == {"program": "resistance", "outcome": "stopped_for_safety"}
    assert s["exercises"] == [{"name": "Biceps curl", "reps_target": 10, "reps_done": 8, "rating": 5,
                               "skipped": False}]
    assert s["ratings"][0]["value"] == 5 and s["ratings"][0]["transcript"] == "five"
    assert s["symptoms"][0]["kind"] == "cramp" and s["cautions"] == [{"key": "caution_cramp", "at": T0.isoformat()}]
    assert report["checkins"][0]["answers"][0]["value"] == 3


def test_times_are_stored_in_utc_whatever_offset_they_come_with(tmp_path: Path) -> None:
    from datetime import timedelta as td
    from datetime import timezone as tz

    j = SqliteJournal(tmp_path / "j.sqlite3")
    local = datetime(2026, 3, 2, 10, 30, tzinfo=tz(td(hours=2)))  # a caregiver's note typed in UTC+2
    j.append("caregiver", "note", local, {"text": "slept badly"}, source="caregiver")
    stored = j.db.execute("SELECT at FROM entries").fetchone()[0]
    assert stored == "2026-03-02T08:30:00+00:00"
    assert next(j.entries()).at == local  # the same instant
