"""Storage faults: a full disk, a read-only journal, a journal locked by another process, a journal that fails in
the middle of a session. Each is one clear line (API and CLI), the coach says so and stops, nothing written
before the fault is lost, and the journal works again once the fault is gone. Plus the journal's file modes."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.fakes import FakeClock, MemoryJournal, RecordingSpeaker, Reply, ScriptedListener
from voice_coach.coach.coach import Coach
from voice_coach.coach.intents import load_phrasebook
from voice_coach.coach.programs import load_program
from voice_coach.coach.prompts import load_prompts
from voice_coach.coach.settings import CoachSettings
from voice_coach.errors import JournalError
from voice_coach.journal.journal import SqliteJournal
from voice_coach.session.loop import JOURNAL_FAILED_TEXT, SessionLoop

ROOT = Path(__file__).resolve().parent.parent
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DEMO = str(ROOT / "scripts" / "demo_replies.txt")
JOURNAL_FAILED_LINE = "coach: " + JOURNAL_FAILED_TEXT.split(",")[0]


def cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "voice_coach.cli.main", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, stdin=subprocess.DEVNULL)


def one_clear_line(done: subprocess.CompletedProcess[str], needle: str) -> str:
    assert done.returncode == 1, (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], done.stderr
    return lines[0]


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Callable[[str], None]]:
    """A folder on a tiny tmpfs (256 KiB: about 9 entries fill it, mid-session) and a function to resize it.
    Mounting needs root: CI runs as root; elsewhere these tests skip."""
    folder = tmp_path / "disk"
    folder.mkdir()
    if os.geteuid() != 0:
        pytest.skip("a full disk is a tiny tmpfs, and mounting one needs root (CI runs as root)")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs", str(folder)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()}); a full disk needs one")

    def resize(size: str) -> None:
        subprocess.run(["mount", "-o", f"remount,size={size}", str(folder)], check=True)

    try:
        yield resize
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


# ----- a full disk -------------------------------------------------------------------------------------------


def test_full_disk_is_one_clear_line_and_keeps_every_entry_written(tmp_path: Path, small_disk) -> None:
    path = tmp_path / "disk" / "journal.sqlite3"
    j = SqliteJournal(path)
    sid = j.new_session_id()
    written: dict[int, dict[str, Any]] = {}
    with pytest.raises(JournalError) as err:
        for n in range(10_000):
            data = {"n": n, "note": "x" * 200}
            written[j.append(sid, "note", T0 + timedelta(seconds=n), data)] = data
    message = str(err.value)
    assert "disk is full" in message and "\n" not in message and str(path) in message
    assert len(written) > 5
    j.close()

    assert {i: data for i, _, data in read_back(path)} == written  # readable (by a caregiver) with the disk full

    small_disk("2m")  # space freed: the journal takes entries again, and nothing is lost
    j = SqliteJournal(path)
    j.append(sid, "note", T0, {"n": "after"})
    assert len(list(j.entries())) == len(written) + 1 and j.integrity_ok()


def test_full_disk_mid_session_the_coach_says_so_and_stops(tmp_path: Path, small_disk) -> None:
    db = tmp_path / "disk" / "journal.sqlite3"
    done = cli("session", "--program", "resistance", "--input", DEMO, "--db", str(db))
    one_clear_line(done, "disk is full")
    said = done.stdout.strip().splitlines()
    assert said[-1].startswith(JOURNAL_FAILED_LINE)  # said, and nothing after: the session did not go on
    entries = read_back(db)
    assert entries[0][1] == "session_started" and len(entries) > 3
    assert not any(kind == "session_ended" for _, kind, _ in entries)

    small_disk("4m")
    again = cli("session", "--program", "resistance", "--input", DEMO, "--db", str(db))
    assert again.returncode == 0, again.stderr
    after = read_back(db)
    assert after[:len(entries)] == entries  # nothing written before the fault was lost
    ended = [data["outcome"] for _, kind, data in after if kind == "session_ended"]
    assert ended == ["abandoned", "completed"]  # the cut session is marked at the next start


# ----- read-only and locked ----------------------------------------------------------------------------------


def test_read_only_journal_through_the_cli(read_only_dir) -> None:
    folder, make_read_only = read_only_dir
    db = folder / "journal.sqlite3"
    replies = write_replies(folder.parent, "four no no no")
    assert cli("checkin", "--input", str(replies), "--db", str(db)).returncode == 0
    before = read_back(db)
    make_read_only()
    one_clear_line(cli("session", "--program", "resistance", "--input", DEMO, "--db", str(db)), "read-only")
    assert read_back(db) == before
    report = cli("report", "--db", str(db), "--format", "json")
    assert report.returncode == 0 and '"checkins"' in report.stdout


KILLED_WRITER = """
import os, signal, sys
from datetime import UTC, datetime
from voice_coach.journal.journal import SqliteJournal
SqliteJournal(sys.argv[1]).close()  # created and checkpointed: the table is in the file, the entries will not be
j = SqliteJournal(sys.argv[1])
sid = j.new_session_id()
j.append(sid, "session_started", datetime.now(UTC), {"program": "resistance", "kind": "resistance"})
for n in range(4):
    j.append(sid, "note", datetime.now(UTC), {"n": n})
os.kill(os.getpid(), signal.SIGKILL)  # no checkpoint: every entry is still in the WAL
"""


@pytest.mark.parametrize("shm_kept", [True, False], ids=["with-shm", "without-shm"])
def test_a_killed_journal_on_a_file_system_turned_read_only_reads_in_full(read_only_dir, shm_kept: bool) -> None:
    """A Raspberry Pi's SD card remounted read-only after a crash: SQLite cannot index the WAL there, and reading
    the file alone (immutable) would silently leave out every entry still in the WAL."""
    folder, make_read_only = read_only_dir
    db = folder / "journal.sqlite3"
    done = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(db)], cwd=ROOT, capture_output=True, timeout=60)
    assert done.returncode == -9 and Path(f"{db}-wal").stat().st_size > 0
    if not shm_kept:
        Path(f"{db}-shm").unlink()
    make_read_only()
    entries = read_back(db)
    assert [kind for _, kind, _ in entries] == ["session_started", "note", "note", "note", "note"]
    report = cli("report", "--db", str(db), "--format", "json")
    assert report.returncode == 0, report.stderr
    assert '"resistance"' in report.stdout


HOLDER = """
import sqlite3, sys
con = sqlite3.connect(sys.argv[1], isolation_level=None)
con.execute("BEGIN IMMEDIATE")  # the write lock, held until stdin closes
print("locked", flush=True)
sys.stdin.read()
con.execute("ROLLBACK")
"""


@pytest.fixture
def locked_by_another_process(tmp_path: Path) -> Iterator[Path]:
    db = tmp_path / "journal.sqlite3"
    j = SqliteJournal(db)
    j.append(j.new_session_id(), "note", T0, {"text": "kept"})
    j.close()
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    try:
        yield db
    finally:
        holder.communicate("", timeout=30)


def test_journal_locked_by_another_process_api(locked_by_another_process: Path) -> None:
    j = SqliteJournal(locked_by_another_process, busy_timeout_ms=100)
    assert [e.data for e in j.entries()] == [{"text": "kept"}]  # WAL: reading goes on under the lock
    with pytest.raises(JournalError, match="locked by another program") as err:
        j.append("s", "note", T0, {})
    assert "\n" not in str(err.value)


def test_journal_locked_by_another_process_cli(locked_by_another_process: Path) -> None:
    done = cli("session", "--program", "resistance", "--input", DEMO, "--db", str(locked_by_another_process))
    one_clear_line(done, "locked by another program")
    assert done.stdout.strip().splitlines()[-1].startswith(JOURNAL_FAILED_LINE)
    assert [e.data for e in SqliteJournal(locked_by_another_process, readonly=True).entries()] == [{"text": "kept"}]


def read_back(db: Path) -> list[tuple[int, str, dict[str, Any]]]:
    """Every entry, through a read-only journal that is closed again (an open file keeps a mount busy)."""
    j = SqliteJournal(db, readonly=True)
    try:
        assert j.integrity_ok()
        return [(e.id, e.kind, e.data) for e in j.entries()]
    finally:
        j.close()


def write_replies(folder: Path, words: str) -> Path:
    path = folder / "replies.txt"
    path.write_text("\n".join(words.split()) + "\n")
    return path


# ----- the session loop when the journal fails ---------------------------------------------------------------


class FailingJournal(MemoryJournal):
    """Fails from the first entry `fails` accepts onwards, as a full disk does."""

    def __init__(self, fails: Callable[[str, str | None], bool]) -> None:
        super().__init__()
        self.fails, self.failed = fails, False

    def append(self, session_id: str, kind: str, at: datetime, data: dict[str, Any] | None = None, *,
               source: str = "coach", transcript: str | None = None, confidence: float | None = None) -> int:
        self.failed = self.failed or self.fails(kind, transcript)
        if self.failed:
            raise JournalError("journal j.sqlite3: cannot write a note entry: the disk is full")
        return super().append(session_id, kind, at, data, source=source, transcript=transcript,
                              confidence=confidence)


def run_loop(journal: MemoryJournal, replies: list[Reply | str]) -> tuple[SessionLoop, RecordingSpeaker]:
    speaker = RecordingSpeaker()
    loop = SessionLoop(Coach(load_program("resistance"), CoachSettings()), listener=ScriptedListener(replies),
                       speaker=speaker, journal=journal, clock=FakeClock(), prompts=load_prompts(),
                       phrasebook=load_phrasebook())
    return loop, speaker


def test_a_failing_journal_ends_the_session_and_the_coach_says_so() -> None:
    journal = FailingJournal(lambda kind, _: kind == "rating")
    loop, speaker = run_loop(journal, ["three", "no", "ready", "four", "yes", "next", "ready", "four", "yes"])
    with pytest.raises(JournalError, match="disk is full"):
        loop.run()
    assert speaker.keys[-1] == "journal_failed" and speaker.lines[-1] == JOURNAL_FAILED_TEXT
    assert "rating" not in journal.kinds() and journal.kinds()[0] == "session_started"
    assert loop.written == [r["id"] for r in journal.rows]  # what was acknowledged is what is there
    assert loop.listener.replies  # type: ignore[attr-defined]  # it stopped listening: replies are left


def test_a_symptom_caution_is_still_said_when_its_entry_cannot_be_written() -> None:
    journal = FailingJournal(lambda kind, transcript: kind == "heard" and transcript == "I have a cramp")
    loop, speaker = run_loop(journal, ["three", "no", "ready", Reply("I have a cramp", after=8, when_asked=False)])
    with pytest.raises(JournalError):
        loop.run()
    assert "caution_cramp" in speaker.keys and speaker.keys[-1] == "journal_failed"
    assert "symptom" not in journal.kinds()  # it could not be written, but it was acted on


def test_a_journal_that_fails_at_the_start_says_so_before_anything_else() -> None:
    class Unwritable(MemoryJournal):
        def close_dangling(self, at: datetime) -> list[str]:
            raise JournalError("journal j.sqlite3: cannot write a session_ended entry: it is read-only")

    loop, speaker = run_loop(Unwritable(), ["three"])
    with pytest.raises(JournalError, match="read-only"):
        loop.run()
    assert speaker.keys == ["journal_failed"]


# ----- file modes --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("umask", [0o022, 0o000, 0o077])
def test_journal_in_an_existing_folder_is_0600_and_the_folder_keeps_its_mode(tmp_path: Path, umask: int) -> None:
    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(0o755)
    old = os.umask(umask)
    try:
        j = SqliteJournal(folder / "journal.sqlite3")
        j.append(j.new_session_id(), "note", T0, {})
        files = {p.name: stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()}
        j.close()
        fresh = SqliteJournal(tmp_path / "new" / "deeper" / "journal.sqlite3")
        fresh.close()
    finally:
        os.umask(old)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o755
    assert files == {"journal.sqlite3": 0o600, "journal.sqlite3-wal": 0o600, "journal.sqlite3-shm": 0o600}
    for created in (tmp_path / "new", tmp_path / "new" / "deeper"):  # every folder the app creates is private
        assert stat.S_IMODE(created.stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "new" / "deeper" / "journal.sqlite3").stat().st_mode) == 0o600


def test_another_programs_database_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite3"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE contacts (name TEXT)")
    con.commit()
    con.close()
    with pytest.raises(JournalError, match="not a voice-coach journal") as err:
        SqliteJournal(path)
    assert "\n" not in str(err.value)
    con = sqlite3.connect(path)
    assert [r[0] for r in con.execute("SELECT name FROM sqlite_master")] == ["contacts"]
    assert con.execute("PRAGMA user_version").fetchone()[0] == 0
    con.close()
