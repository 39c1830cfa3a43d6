"""Files never clobbered, private data private, one session per journal, clean ends, damaged entries survived:
each case run as a person would (the real CLI in a subprocess, HOME and VOICE_COACH_HOME in a temp folder)."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes import FakeClock, MemoryJournal, RecordingSpeaker, ScriptedListener
from voice_coach.coach.coach import Coach
from voice_coach.coach.intents import load_phrasebook
from voice_coach.coach.programs import load_program
from voice_coach.coach.prompts import load_prompts
from voice_coach.errors import ConfigError
from voice_coach.journal import lock as journal_lock
from voice_coach.journal.entry_checks import CHANGE_FIELDS
from voice_coach.journal.journal import SqliteJournal
from voice_coach.plan.progression import Change
from voice_coach.session.loop import SessionLoop
from voice_coach.speech.voice_templates import VoiceTemplates
from voice_coach.stop_signals import Interrupted

ROOT = Path(__file__).resolve().parent.parent
REPLIES = ROOT / "scripts" / "demo_replies.txt"
FIRST_QUESTION = "coach: How tired do you feel right now"


class Person:
    """Someone at a terminal: their own HOME and voice-coach home in a temp folder, the real command."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.home = root / "home"
        self.home.mkdir()
        self.env = {**os.environ, "HOME": str(self.home), "VOICE_COACH_HOME": str(self.home / "vc"),
                    "VOICE_COACH_INPUT": "text", "VOICE_COACH_OUTPUT": "text", "VOICE_COACH_WHISPER": "off",
                    "PYTHONUNBUFFERED": "1"}
        self.db = self.home / "vc" / "data" / "journal.sqlite3"

    def run(self, *args: str, stdin: str | None = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "voice_coach.cli.main", *args], input=stdin, capture_output=True,
                              text=True, timeout=120, cwd=ROOT, env=self.env)

    def start(self, *args: str) -> subprocess.Popen[str]:
        """A session left running, waiting at its first question (its stdin stays open)."""
        proc = subprocess.Popen([sys.executable, "-m", "voice_coach.cli.main", *args], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=self.env)
        assert proc.stdout is not None
        for line in proc.stdout:  # blocks until the coach has asked: the session is under way
            if line.startswith(FIRST_QUESTION):
                return proc
        proc.kill()
        raise AssertionError(f"the session never asked its first question: {proc.communicate()[1]}")

    def session(self, *extra: str) -> subprocess.CompletedProcess[str]:
        """A whole replayed resistance session on the default journal."""
        done = self.run("session", "--program", "resistance", "--input", str(REPLIES), *extra)
        assert done.returncode == 0, done.stderr
        return done

    def report(self, *extra: str) -> dict:
        done = self.run("report", "--format", "json", *extra)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)


def rows(db: Path) -> list[tuple]:
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT id, session_id, seq, at, kind, data FROM entries ORDER BY id").fetchall()
    finally:
        con.close()


def tree(root: Path) -> dict[str, tuple]:
    """Every path under `root` with its type, mode and content hash (links and pipes are not followed or read)."""
    out = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            p = Path(folder) / name
            st = os.lstat(p)
            digest = hashlib.sha256(p.read_bytes()).hexdigest() if stat.S_ISREG(st.st_mode) else (
                os.readlink(p) if stat.S_ISLNK(st.st_mode) else "")
            out[str(p.relative_to(root))] = (stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode), digest)
    return out


def one_clear_line(done: subprocess.CompletedProcess[str], *needles: str, code: int) -> str:
    assert done.returncode == code, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def person(tmp_path: Path) -> Person:
    return Person(tmp_path)


@pytest.fixture
def journal_kept(person: Person) -> Iterator[list[tuple]]:
    """A journal with one session; after the test every one of its entries must still be there, unchanged."""
    person.session()
    before = rows(person.db)
    yield before
    after = rows(person.db)
    assert after[:len(before)] == before


# ----- 2. output files: never onto a link, pipe, device, folder or journal ---------------------------------------
def special_targets(tmp: Path, db: Path) -> dict[str, Path]:
    precious = tmp / "precious.txt"
    precious.write_text("keep me\n")
    link = tmp / "link.html"
    link.symlink_to(precious)
    fifo = tmp / "pipe.html"
    os.mkfifo(fifo)
    folder = tmp / "folder.html"
    folder.mkdir()
    other = tmp / "other.sqlite3"
    SqliteJournal(other).close()
    targets = {"symlink": link, "fifo": fifo, "folder": folder, "journal": db, "wal": Path(f"{db}-wal"),
               "shm": Path(f"{db}-shm"), "another journal": other}
    try:
        os.mknod(tmp / "device", stat.S_IFCHR | 0o600, os.makedev(1, 3))  # a /dev/null of our own
        targets["device"] = tmp / "device"
    except OSError:
        pass  # not allowed to make device nodes here: the other kinds still run
    return targets


TARGET_NEEDLES = {"symlink": "symbolic link", "fifo": "not a regular file", "device": "not a regular file",
                  "folder": "is a folder", "journal": "journal", "wal": "exercise journal",
                  "shm": "exercise journal", "another journal": "exercise journal"}


def test_report_never_writes_onto_a_link_pipe_device_folder_or_journal(person: Person, journal_kept: list,
                                                                        tmp_path: Path) -> None:
    # a running session keeps -wal and -shm beside the journal: hold one open, as a session would
    holder = sqlite3.connect(person.db)
    holder.execute("PRAGMA journal_mode=WAL")
    holder.execute("SELECT count(*) FROM entries").fetchone()
    targets = special_targets(tmp_path, person.db)
    assert Path(f"{person.db}-wal").exists() and Path(f"{person.db}-shm").exists()
    wal_before = Path(f"{person.db}-wal").read_bytes()
    for kind, target in targets.items():
        before = tree(tmp_path)
        for fmt in ("html", "json"):
            done = person.run("report", "--format", fmt, "-o", str(target))
            one_clear_line(done, str(target), TARGET_NEEDLES[kind], code=2)
        now = tree(tmp_path)
        changed = {k for k in now.keys() | before.keys() if now.get(k) != before.get(k)}
        assert not {k for k in changed if not k.startswith("home/")}, (kind, changed)
    assert (tmp_path / "precious.txt").read_text() == "keep me\n"
    assert stat.S_ISFIFO(os.lstat(targets["fifo"]).st_mode)
    assert Path(f"{person.db}-wal").read_bytes() == wal_before
    holder.close()


def test_profile_and_voice_takes_never_write_through_a_planted_link(person: Person, tmp_path: Path) -> None:
    precious = tmp_path / "precious.toml"
    precious.write_text("volume = 0.9\n")
    config = person.home / "vc" / "config"
    config.mkdir(parents=True)
    (config / "profile.toml").symlink_to(precious)
    done = person.run("profile", "set", "volume", "0.5")
    one_clear_line(done, "profile.toml", "symbolic link", code=1)
    assert precious.read_text() == "volume = 0.9\n" and (config / "profile.toml").is_symlink()
    takes = config / "voice_templates.npz"
    takes.symlink_to(precious)
    with pytest.raises(ConfigError, match="symbolic link"):
        VoiceTemplates({}).save(takes)
    assert precious.read_text() == "volume = 0.9\n"


# ----- 3. private data -------------------------------------------------------------------------------------------
def test_spoken_lines_and_transcript_are_private_and_never_follow_a_planted_link(person: Person,
                                                                                 tmp_path: Path) -> None:
    out = tmp_path / "lines"
    done = person.run("checkin", "--input", str(REPLIES), "--output", str(out), "--db", str(tmp_path / "j.sqlite3"))
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    written = sorted(out.iterdir())
    assert written and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in written), written
    # a transcript planted as a link to another file: that file is never written, the session still runs
    precious = tmp_path / "precious.txt"
    precious.write_text("keep me\n")
    planted = tmp_path / "planted"
    planted.mkdir()
    (planted / "transcript.tsv").symlink_to(precious)
    done = person.run("checkin", "--input", str(REPLIES), "--output", str(planted), "--db",
                      str(tmp_path / "j2.sqlite3"))
    assert done.returncode == 0 and "Traceback" not in done.stderr
    assert "symbolic link" in done.stderr
    assert precious.read_text() == "keep me\n" and (planted / "transcript.tsv").is_symlink()


def test_a_journal_others_could_read_is_made_private_once(person: Person) -> None:
    person.session()
    person.db.chmod(0o644)
    done = person.session()
    assert "it is now private" in done.stderr and "644" in done.stderr
    assert stat.S_IMODE(person.db.stat().st_mode) == 0o600
    assert "now private" not in person.session().stderr  # said once, not at every start


def test_reports_name_no_folder_of_the_machine(person: Person) -> None:
    plans = person.home / "vc" / "config" / "plans"
    plans.mkdir(parents=True)
    (plans / "weekly.yaml").write_text((ROOT / "voice_coach" / "data" / "plans" / "weekly.yaml").read_text())
    person.session()
    for fmt in ("json", "text", "html", "csv"):
        done = person.run("report", "--format", fmt)
        assert done.returncode == 0, done.stderr
        assert str(person.root) not in done.stdout, fmt
    assert "weekly.yaml" in person.run("report", "--format", "json").stdout


# ----- 4. one session per journal ----------------------------------------------------------------------------
def test_a_second_session_or_checkin_is_refused_while_one_runs(person: Person) -> None:
    person.session()
    first = person.start("session", "--program", "stretching")
    before = rows(person.db)
    assert journal_lock.holder(person.db) == f"session {first.pid}"
    for args in (("checkin",), ("session", "--program", "resistance", "--input", str(REPLIES))):
        done = person.run(*args)
        one_clear_line(done, str(person.db), f"an exercise session (process {first.pid}) is already using it",
                       code=1)
    assert rows(person.db) == before  # nothing written: above all, no "abandoned" for the running session
    out, err = first.communicate("", timeout=60)  # the person's input ends: the session ends by itself
    assert first.returncode == 0 and "Traceback" not in err
    assert journal_lock.holder(person.db) is None
    ended = [json.loads(r[5]) for r in rows(person.db) if r[4] == "session_ended"]
    assert [e["outcome"] for e in ended] == ["completed", "input_ended"]


def test_a_killed_session_is_abandoned_at_the_next_start(person: Person) -> None:
    first = person.start("session", "--program", "stretching")
    first.kill()  # SIGKILL: nothing can run in it, and the OS drops its lock
    first.communicate(timeout=60)
    person.session()
    outcomes = [s["outcome"] for s in person.report()["sessions"]]
    assert outcomes == ["abandoned", "completed"]


# ----- 5. signals and ends -----------------------------------------------------------------------------------
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT], ids=lambda s: s.name)
def test_a_signal_ends_the_session_cleanly_as_interrupted(person: Person, signum: signal.Signals) -> None:
    person.session()
    before = rows(person.db)
    proc = person.start("session", "--program", "stretching")
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0 and "Traceback" not in err
    assert "interrupted" in err.strip().splitlines()[-1]
    after = rows(person.db)
    assert after[:len(before)] == before
    new = after[len(before):]
    assert [r[4] for r in new[-2:]] == ["interrupted", "session_ended"]
    assert json.loads(new[-1][5])["outcome"] == "interrupted"
    assert json.loads(new[-2][5]).get("signal", "SIGINT") == signum.name
    assert "stop_requested" not in [r[4] for r in new]
    assert person.report()["sessions"][-1]["outcome"] == "interrupted"


class InterruptingSpeaker(RecordingSpeaker):
    """A speaker during whose `at`-th line Ctrl-C (or a SIGTERM turned into one) arrives."""

    def __init__(self, at: int) -> None:
        super().__init__()
        self.at = at

    def say(self, text: str, key: str) -> None:
        super().say(text, key)
        if len(self.lines) == self.at:
            raise Interrupted(signal.SIGTERM)


def test_an_interruption_during_any_line_still_ends_the_session_with_one_end_entry() -> None:
    """Wherever the signal lands, mid-step included (the step's entries not yet written, or the coach already
    ended and only its end entry left to write), the session gets exactly one end entry and keeps the step's."""
    replies = ["three", "no", "ready", "four", "yes", "next", "ready", "four", "yes"]

    def run(speaker: RecordingSpeaker) -> tuple[MemoryJournal, str]:
        journal = MemoryJournal()
        result = SessionLoop(Coach(load_program("resistance")), listener=ScriptedListener(list(replies)),
                             speaker=speaker, journal=journal, clock=FakeClock(), prompts=load_prompts(),
                             phrasebook=load_phrasebook()).run()
        return journal, result.outcome

    whole, whole_outcome = run(heard := RecordingSpeaker())
    for at in range(1, len(heard.lines) + 1):
        journal, outcome = run(InterruptingSpeaker(at))
        kinds = journal.kinds()
        assert kinds.count("session_ended") == 1 and kinds[-1] == "session_ended", (at, kinds)
        assert outcome == journal.rows[-1]["data"]["outcome"], (at, kinds)
        if "interrupted" in kinds:
            assert outcome == "interrupted"
            cut = kinds.index("interrupted")
            assert kinds[:cut] == whole.kinds()[:cut], at  # the interrupted step's entries are all written
        else:  # during the last step's lines: the coach had already ended, and its entries are all there
            assert (kinds, outcome) == (whole.kinds(), whole_outcome), at


def test_input_that_ends_is_input_ended_not_a_stop(person: Person) -> None:
    done = person.run("session", "--program", "stretching", stdin="two\n")
    assert done.returncode == 0 and "input ended" in done.stderr
    (s,) = person.report()["sessions"]
    assert s["outcome"] == "input_ended" and s["answers"][0]["value"] == 2
    assert "stop_requested" not in [r[4] for r in rows(person.db)]


def test_an_empty_reply_file_records_no_session(person: Person, tmp_path: Path) -> None:
    empty = tmp_path / "replies.txt"
    empty.write_text("# nothing yet\n\n")
    done = person.run("session", "--program", "stretching", "--input", str(empty))
    one_clear_line(done, str(empty), "no replies", code=2)
    assert not person.db.exists() or rows(person.db) == []


# ----- 7. damaged journal entries ----------------------------------------------------------------------------
DAMAGE = {
    "bad JSON": ("rating", "2026-03-02T10:00:00+00:00", "{not json", "not valid JSON"),
    "null payload": ("rating", "2026-03-02T10:00:00+00:00", "null", "not a mapping"),
    "very deep JSON": ("note", "2026-03-02T10:00:00+00:00", "[" * 100_000 + "]" * 100_000, "nested more than"),
    "bad timestamp": ("rating", "the day after yesterday", '{"value": 3}', "not a valid time"),
    "no time zone": ("rating", "2026-03-02T10:00:00", '{"value": 3}', "not a valid time"),
    "proposal without its proposal": ("proposal_made", "2026-03-02T10:00:00+00:00",
                                      '{"program": "resistance", "rule": "effort", "changes": []}',
                                      "proposal_made without its proposal"),
    "rating that is text": ("rating", "2026-03-02T10:00:00+00:00", '{"value": "high"}', "value is not a number"),
    "change of the wrong shape": ("proposal_made", "2026-03-02T10:00:00+00:00",
                                  '{"proposal": "p1", "program": "resistance", "rule": "effort", "changes": [1]}',
                                  "a change that is not"),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_entry_is_named_skipped_and_shown_while_everything_else_works(person: Person,
                                                                                damage: str) -> None:
    person.session()
    kind, at, data, needle = DAMAGE[damage]
    con = sqlite3.connect(person.db, isolation_level=None)
    con.execute("INSERT INTO entries (session_id, seq, at, kind, source, data, schema) "
                "VALUES ('caregiver', 900, ?, ?, 'caregiver', ?, 1)", (at, kind, data))
    damaged_id = con.execute("SELECT max(id) FROM entries").fetchone()[0]
    con.close()
    before = rows(person.db)
    done = person.run("report", "--format", "json")
    assert done.returncode == 0 and "Traceback" not in done.stderr
    warning = one_clear_line(done, f"entry {damaged_id}", needle, "skipped", code=0)
    report = json.loads(done.stdout)
    assert [d["id"] for d in report["damaged"]] == [damaged_id]
    assert [s["outcome"] for s in report["sessions"]] == ["completed"]
    assert f"entry {damaged_id}" in person.run("report", "--format", "text").stdout
    for args in (("plan",), ("checkin", "--input", str(REPLIES)),
                 ("session", "--program", "stretching", "--input", str(REPLIES))):
        done = person.run(*args)
        assert done.returncode == 0 and "Traceback" not in done.stderr, (args, done.stderr)
        assert warning.split("warning: ")[-1] in done.stderr
    assert rows(person.db)[:len(before)] == before  # nothing lost, nothing refused
    assert len(person.report()["sessions"]) == 2


def test_the_checked_change_fields_are_those_of_a_change() -> None:
    assert CHANGE_FIELDS == set(Change.__dataclass_fields__)


# ----- 9. a pipe given as the journal ------------------------------------------------------------------------
@pytest.mark.parametrize("command", ["report", "plan", "checkin", "note"])
def test_a_pipe_as_the_journal_is_one_line_not_a_hang(person: Person, tmp_path: Path, command: str) -> None:
    fifo = tmp_path / "journal.fifo"
    os.mkfifo(fifo)
    extra = ("hello",) if command == "note" else ()
    done = person.run(command, *extra, "--db", str(fifo))
    one_clear_line(done, str(fifo), "not a regular file", code=1)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
