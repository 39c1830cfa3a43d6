"""`voice-coach report` on bad input: one clear line, never a traceback; files written privately and whole;
the progress bar appears only when a report is slow."""

from __future__ import annotations

import io
import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rich.console import Console

from tests.journals import run_cli
from voice_coach.cli.report import LazyProgress, infer_format
from voice_coach.journal.journal import SqliteJournal

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def one_line(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    code, _, err = run_cli(capsys, *args)
    assert code != 0
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("voice-coach: ")
    return lines[0]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "journal.sqlite3"
    j = SqliteJournal(path)
    sid = j.new_session_id()
    j.append(sid, "session_started", T0, {"program": "stretching", "kind": "stretching"})
    j.append(sid, "exercise_done", T0, {"name": "Neck side stretch", "index": 0, "reps_target": 2, "reps_done": 2})
    j.append(sid, "session_ended", T0, {"outcome": "completed", "flags": [], "exercises_done": 1})
    j.close()
    return path


@pytest.mark.parametrize("args, needle", [
    (["--since", "2026-13-01"], "--since/--until: --since '2026-13-01' is not a date"),
    (["--until", "next week"], "--since/--until: --until 'next week' is not a date"),
    (["--since", "2026-03-05", "--until", "2026-03-01"], "is not before --until"),
    (["--format", "pdf"], "Invalid value for '--format'"),
])
def test_bad_options_are_one_clear_line(capsys, db, args, needle) -> None:
    assert needle in one_line(capsys, "report", "--db", str(db), *args)


def test_missing_journal(capsys, tmp_path) -> None:
    assert "no such file" in one_line(capsys, "report", "--db", str(tmp_path / "none.sqlite3"))


def test_not_a_journal(capsys, tmp_path) -> None:
    path = tmp_path / "notes.sqlite3"
    path.write_text("shopping list " * 200)
    line = one_line(capsys, "report", "--db", str(path), "--format", "html")
    assert str(path) in line and "not a voice-coach journal" in line


def test_locked_journal(capsys, db) -> None:
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        line = one_line(capsys, "report", "--db", str(db), "--format", "text")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert str(db) in line and "locked" in line


@pytest.mark.parametrize("data, needle", [
    ("{not json", "its data is not valid JSON"),
    (json.dumps({"index": 0}), "exercise_done without its name"),
])
def test_damaged_entries_are_left_out_and_named(capsys, db, data, needle) -> None:
    raw = sqlite3.connect(db, isolation_level=None)
    raw.execute("INSERT INTO entries (session_id, seq, at, kind, source, data, schema) "
                "SELECT session_id, 99, at, 'exercise_done', 'coach', ?, 1 FROM entries LIMIT 1", (data,))
    damaged = raw.execute("SELECT max(id) FROM entries").fetchone()[0]
    raw.close()
    code, page, err = run_cli(capsys, "report", "--db", str(db), "--format", "html")
    assert code == 0 and "Traceback" not in err
    (line,) = err.strip().splitlines()
    assert str(db) in line and f"entry {damaged} (exercise_done)" in line and needle in line
    assert "Damaged journal entries, left out" in page and needle in page


def test_output_that_cannot_be_written(capsys, db, read_only_dir) -> None:
    folder, make_read_only = read_only_dir
    make_read_only()
    line = one_line(capsys, "report", "--db", str(db), "-o", str(folder / "report.html"))
    assert "cannot write" in line and "report.html" in line


@pytest.mark.parametrize("target, needle", [
    (lambda tmp, db: tmp, "is a folder"),
    (lambda tmp, db: tmp / "nowhere" / "report.html", "does not exist"),
    (lambda tmp, db: db, "is the journal itself"),
])
def test_bad_output_paths(capsys, db, tmp_path, target, needle) -> None:
    assert needle in one_line(capsys, "report", "--db", str(db), "-o", str(target(tmp_path, db)))
    assert SqliteJournal(db, readonly=True).integrity_ok()


def test_output_is_private_and_replaces_the_old_file_whole(capsys, db, tmp_path) -> None:
    out = tmp_path / "report.html"
    out.write_text("old")
    out.chmod(0o644)
    code, stdout, err = run_cli(capsys, "report", "--db", str(db), "-o", str(out))
    assert code == 0 and stdout == "" and err.strip() == f"wrote {out}"
    assert out.read_text(encoding="utf-8").startswith("<!doctype html>")
    assert out.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary file left


@pytest.mark.parametrize("name, fmt", [("r.html", "html"), ("r.HTM", "html"), ("r.csv", "csv"), ("r.json", "json"),
                                       ("r.fhir.json", "fhir"), ("r.txt", "text"), ("r.out", "json")])
def test_format_follows_the_file_name(name, fmt) -> None:
    assert infer_format(Path(name)) == fmt
    assert infer_format(None) == "text"


def test_default_on_the_screen_is_the_readable_text(capsys, db) -> None:
    code, out, _ = run_cli(capsys, "report", "--db", str(db))
    assert code == 0 and not out.lstrip().startswith("{") and "stretching" in out.lower()
    code, out, _ = run_cli(capsys, "report", "--db", str(db), "--format", "json")
    assert code == 0 and json.loads(out)["sessions"][0]["program"] == "stretching"


# ----- progress -----------------------------------------------------------------------------------------
class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_progress_bar_appears_only_after_a_second() -> None:
    clock = Clock()
    console = Console(file=io.StringIO(), force_terminal=True, width=80)
    with LazyProgress(console, stages=3, clock=clock) as progress:
        progress.stage("Reading the journal")
        clock.t = 0.9
        progress.tick("Reading the journal (2000 entries)")
        assert progress.progress is None
        clock.t = 1.2
        progress.stage("Making the html report")
        assert progress.progress is not None
        task = progress.progress.tasks[0]
        assert task.completed == 1 and task.total == 3 and task.description == "Making the html report"
    assert not progress.progress.live.is_started


def test_no_progress_bar_when_stderr_is_not_a_terminal() -> None:
    clock = Clock()
    with LazyProgress(Console(file=io.StringIO(), force_terminal=False), stages=3, clock=clock) as progress:
        clock.t = 5.0
        progress.stage("Reading the journal")
        assert progress.progress is None
