#!/usr/bin/env python3
"""Crash benchmark: replayed sessions killed with SIGKILL at random points; no acknowledged entry may be lost.

Each run starts `voice-coach session` (or `checkin`) in a child process on a text replay, exactly as a person
runs it, with one addition: the child reports every journal entry on a pipe as soon as `SqliteJournal.append`
has returned (the entry is then "acknowledged": the coach has moved on). The parent kills the child with
SIGKILL at a random point (10 % while it opens the journal, 80 % a random time after a random entry, 10 % while
it closes the journal), then checks a copy of the journal files as the next start would find them:

- `PRAGMA integrity_check` is ok;
- every acknowledged entry is there, with its session and kind, and every entry that was there before the
  run is still there, unchanged (append-only); sequence numbers within each session have no gaps;
- the next run starts cleanly: a child that is not killed exits 0, without a traceback, having ended its
  session; once a child has logged its own session_started, every session left dangling by an earlier kill
  has exactly one session_ended "abandoned" entry (close_dangling);
- at the end of each journal, one last run goes unkilled and `voice-coach report --format json` shows every
  killed session as abandoned and every other one with the outcome its session_ended entry records.

(Which outcome an unkilled session reaches depends on the journal's history, as the coach proposes lighter
programs after reported symptoms; crash safety does not, so outcomes are read back, not scripted.)

A fresh journal is started every --runs-per-db kills; the first run on each is killed while it starts, so
that kills also land while a journal is created.

    .venv/bin/python scripts/bench_crash.py [--runs 500] [--seed S] [--json bench-results/crash.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import select
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CHILD_FLAG = "--child-ack-fd"

# ----- the child ---------------------------------------------------------------------------------------------


def child_main(ack_fd: int, argv: list[str]) -> int:
    """Run the real CLI; report "ready" once imported, then one line per entry as soon as append returns.

    os.write on a pipe is one system call, atomic for lines this short: a line is either whole or absent."""
    sys.path.insert(0, str(ROOT))
    from voice_coach.cli import main as cli
    from voice_coach.journal import journal
    from voice_coach.session import loop as session_loop  # noqa: F401

    original = journal.SqliteJournal.append

    def acknowledged_append(self: Any, session_id: str, kind: str, *args: Any, **kwargs: Any) -> int:
        entry_id = original(self, session_id, kind, *args, **kwargs)
        os.write(ack_fd, f"ack {entry_id} {session_id} {kind} {time.monotonic():.6f}\n".encode())
        return entry_id

    journal.SqliteJournal.append = acknowledged_append  # type: ignore[method-assign]
    os.write(ack_fd, f"ready {time.monotonic():.6f}\n".encode())
    code = cli.main(argv)
    os.write(ack_fd, f"done {time.monotonic():.6f}\n".encode())  # the journal is closed (checkpointed) by now
    return code


# ----- scenarios ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """One replayed session: the command and the replies, one per question."""

    name: str
    command: tuple[str, ...]
    """`session --program X` or `checkin`."""
    replies: tuple[str, ...]


SCENARIOS = (
    Scenario("resistance", ("session", "--program", "resistance"),
             tuple((ROOT / "scripts" / "demo_replies.txt").read_text().split("\n"))),
    Scenario("stretching", ("session", "--program", "stretching"),  # typed ratings are not read back
             ("two", "no", "ready", "three", "repeat", "ready", "two", "next", "skip", "ready", "two", "next",
              "ready", "one", "next", "ready", "two", "next", "ready", "three", "next", "ready", "two")),
    Scenario("resistance_cramp", ("session", "--program", "resistance"),
             ("three", "no", "ready", "I have a cramp")),
    Scenario("checkin", ("checkin",), ("four", "no", "no", "no")),
)


# ----- one run -----------------------------------------------------------------------------------------------


@dataclass
class Ack:
    entry_id: int
    session_id: str
    kind: str
    seconds: float
    """When append returned, in seconds after the child was ready."""


@dataclass
class ChildRun:
    """What one child did before it ended or was killed."""

    scenario: str
    killed: bool
    returncode: int
    acks: list[Ack]
    stderr: str
    done_seconds: float | None
    """When the command had returned (journal closed), after "ready"; None when killed before."""
    phase: str | None = None
    """The KillPlan phase, when the child was killed (or sent a signal)."""
    signalled: bool = False
    """The signal was sent while the child still ran (it may have handled it and ended by itself)."""


@dataclass(frozen=True)
class KillPlan:
    """When to send SIGKILL: once `after_acks` entries are acknowledged (0: at "ready"; -1: once the child's own
    session_ended is), plus `delay` seconds. Counting acknowledgements as they arrive keeps the kills inside the
    session however slow the machine or the journal gets; the random delay puts them anywhere between two
    entries, commits in flight included."""

    phase: str
    """startup (opening the journal, closing dangling sessions), writing, or exiting (closing, checkpoint)."""
    after_acks: int
    delay: float


def run_child(db: Path, scenario: Scenario, replies: Path, plan: KillPlan | None, timeout: float = 60.0,
              sig: int = signal.SIGKILL) -> ChildRun:
    """Start a child on `db` and send it `sig` as `plan` says (None: let it finish)."""
    read_fd, write_fd = os.pipe()
    argv = [*scenario.command, "--input", str(replies), "--output", "text", "--db", str(db)]
    proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), CHILD_FLAG, str(write_fd), "--", *argv],
                            pass_fds=(write_fd,), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, cwd=ROOT)
    os.close(write_fd)
    buf = b""
    deadline = time.monotonic() + timeout

    def read_more() -> bool:
        nonlocal buf
        ready, _, _ = select.select([read_fd], [], [], max(0.0, deadline - time.monotonic()))
        chunk = os.read(read_fd, 65536) if ready else b""
        buf += chunk
        return bool(chunk)

    def due(lines: list[str]) -> bool:
        if not lines or not lines[0].startswith("ready "):
            return False
        acks = [line.split() for line in lines[1:] if line.startswith("ack ")]
        if plan is None:
            return False
        if plan.after_acks >= 0:
            return len(acks) >= plan.after_acks
        started = [a[2] for a in acks if a[3] == "session_started"]
        return bool(started) and any(a[3] == "session_ended" and a[2] == started[0] for a in acks)

    killed = False
    try:
        while True:  # read acknowledgements as they come, until the kill is due or the child has ended
            lines = buf.decode().splitlines() if buf.endswith(b"\n") else buf.decode().splitlines()[:-1]
            if due(lines):
                break
            if not read_more():
                break
        if plan is not None and proc.poll() is None:
            time.sleep(plan.delay)
            if proc.poll() is None:
                proc.send_signal(sig)
                killed = True
        try:
            proc.wait(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        while read_more():
            pass
    finally:
        os.close(read_fd)
    stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    acks: list[Ack] = []
    ready_at, done_at = 0.0, None
    for line in buf.decode().splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "ready":
            ready_at = float(parts[1])
        elif len(parts) == 5 and parts[0] == "ack":
            acks.append(Ack(int(parts[1]), parts[2], parts[3], float(parts[4]) - ready_at))
        elif len(parts) == 2 and parts[0] == "done":
            done_at = float(parts[1]) - ready_at
    signalled = killed
    killed = killed and proc.returncode == -signal.SIGKILL
    phase = plan.phase if killed and plan else None
    return ChildRun(scenario.name, killed, proc.returncode, acks, stderr, done_at, phase, signalled)


# ----- checking a journal ------------------------------------------------------------------------------------


Row = tuple[str, int, str, str, str]
"""session_id, seq, kind, at, data."""


@dataclass
class Snapshot:
    """The journal as the next start finds it (read from a copy, so the real files stay as the kill left them)."""

    integrity: str
    rows: dict[int, Row]

    def sessions(self) -> dict[str, list[Row]]:
        out: dict[str, list[Row]] = {}
        for _, row in sorted(self.rows.items()):
            out.setdefault(row[0], []).append(row)
        return out

    def dangling(self) -> set[str]:
        return {sid for sid, rows in self.sessions().items()
                if any(r[2] == "session_started" for r in rows) and not any(r[2] == "session_ended" for r in rows)}


def snapshot(db: Path, scratch: Path) -> Snapshot:
    """Copy the database and its WAL (not the -shm: it is rebuilt) and open the copy: WAL recovery included."""
    if scratch.exists():
        shutil.rmtree(scratch)
    scratch.mkdir(parents=True)
    copy = scratch / db.name
    for suffix in ("", "-wal", "-journal"):
        src = Path(f"{db}{suffix}")
        if src.exists():
            shutil.copyfile(src, f"{copy}{suffix}")
    if not copy.exists():
        return Snapshot("ok", {})
    con = sqlite3.connect(copy, isolation_level=None)
    try:
        integrity = "; ".join(r[0] for r in con.execute("PRAGMA integrity_check").fetchall())
        has_table = con.execute("SELECT 1 FROM sqlite_master WHERE name = 'entries'").fetchone()
        rows = {} if not has_table else {
            r[0]: (r[1], r[2], r[3], r[4], r[5])
            for r in con.execute("SELECT id, session_id, seq, kind, at, data FROM entries")}
    finally:
        con.close()
    return Snapshot(integrity, rows)


@dataclass
class Tally:
    """The figures, summed over every run."""

    runs: int = 0
    kills: int = 0
    finished_before_kill: int = 0
    acknowledged_entries: int = 0
    entries_lost: int = 0
    committed_not_acknowledged: int = 0
    """Entries written by a child killed between the commit and its report: allowed (never acknowledged)."""
    integrity_failures: int = 0
    clean_starts_verified: int = 0
    """Children that got past close_dangling and logged their own session_started (the start after a kill)."""
    abandoned_at_next_start: int = 0
    """Sessions cut by a kill that the next start closed with one session_ended "abandoned" entry."""
    abandoned_in_report: int = 0
    """Sessions cut by a kill that `voice-coach report` shows as abandoned at the end of their journal."""
    journals: int = 0
    kill_points: Counter[str] = field(default_factory=Counter)
    """Where the kills landed: before the first entry, in each tenth of the session, after the last entry."""
    failures: list[str] = field(default_factory=list)

    def fail(self, where: str, what: str) -> None:
        if len(self.failures) < 50:
            self.failures.append(f"{where}: {what}")


def check_run(where: str, run: ChildRun, before: Snapshot, after: Snapshot, tally: Tally,
              expected_entries: int | None = None, *, kill_planned: bool = True) -> None:
    """Every invariant a kill must not break; counts what it checked into `tally`."""
    if after.integrity != "ok":
        tally.integrity_failures += 1
        tally.fail(where, f"integrity_check: {after.integrity}")
    tally.entries_lost += losses(where, run, before, after, tally.fail)
    tally.acknowledged_entries += len(run.acks)
    acked = {a.entry_id for a in run.acks}
    tally.committed_not_acknowledged += len(set(after.rows) - set(before.rows) - acked)
    for sid, rows in after.sessions().items():
        seqs = [r[1] for r in sorted(rows, key=lambda r: r[1])]
        if seqs != list(range(1, len(seqs) + 1)):
            tally.fail(where, f"session {sid[:8]}: sequence numbers {seqs[:5]}... have gaps")
        ended = [r for r in rows if r[2] == "session_ended"]
        if len(ended) > 1:
            tally.fail(where, f"session {sid[:8]}: {len(ended)} session_ended entries")
    own = [a for a in run.acks if a.kind == "session_started"]
    if own:  # this child passed close_dangling: what an earlier kill left dangling is now abandoned
        tally.clean_starts_verified += 1
        for sid in before.dangling():
            ended = [r for r in after.sessions().get(sid, []) if r[2] == "session_ended"]
            if len(ended) != 1 or json.loads(ended[0][4]).get("outcome") != "abandoned":
                tally.fail(where, f"session {sid[:8]} interrupted earlier is not closed as abandoned")
            else:
                tally.abandoned_at_next_start += 1
    if run.killed:
        tally.kills += 1
        tally.kill_points[kill_point(run, expected_entries)] += 1
    elif run.returncode != 0:
        tally.fail(where, f"child exited {run.returncode} by itself: {run.stderr.strip()[-300:]}")
    elif not own_acks(run) or own_acks(run)[-1].kind != "session_ended":
        tally.fail(where, "a child that was not killed did not end its session")
    elif kill_planned:
        tally.finished_before_kill += 1
    if "Traceback" in run.stderr:
        tally.fail(where, f"traceback on stderr: {run.stderr.strip()[-300:]}")


def losses(where: str, run: ChildRun, before: Snapshot, after: Snapshot, fail: Callable[[str, str], None]) -> int:
    """Entries lost by a run: one there before it that is changed or gone (the journal is append-only), or one
    the child acknowledged that is missing or changed; each is also told to `fail`."""
    lost = 0
    for entry_id, row in before.rows.items():
        if after.rows.get(entry_id) != row:
            lost += 1
            fail(where, f"entry {entry_id} present before the run is {'changed' if entry_id in after.rows else 'gone'}")
    for ack in run.acks:
        found = after.rows.get(ack.entry_id)
        if found is None or (found[0], found[2]) != (ack.session_id, ack.kind):
            lost += 1
            fail(where, f"acknowledged entry {ack.entry_id} ({ack.kind}) is {'changed' if found else 'missing'}")
    return lost


def own_acks(run: ChildRun) -> list[Ack]:
    """The child's acknowledged entries of its own session (not the abandoned marks it wrote for earlier ones)."""
    started = [a.session_id for a in run.acks if a.kind == "session_started"]
    return [a for a in run.acks if started and a.session_id == started[0]]


def kill_point(run: ChildRun, expected_entries: int | None) -> str:
    """Where a kill landed, from what the child had acknowledged."""
    own = own_acks(run)
    if not run.acks:
        return "0 before the first entry"
    if not own:
        return "1 while marking earlier sessions abandoned"
    if own[-1].kind == "session_ended":
        return "3 after the session's last entry"
    if not expected_entries:
        return "2 during the session"
    tenth = min(9, 10 * len(own) // expected_entries)
    return f"2 during the session, tenth {tenth + 1:>2}"


# ----- the benchmark -----------------------------------------------------------------------------------------


def fs_type(path: Path) -> str:
    """The file system the journals live on (fsync is a no-op on tmpfs; a kill -9 does not need it)."""
    best, kind = "", "unknown"
    try:
        for line in Path("/proc/mounts").read_text().splitlines():
            _, mount, fstype, *_ = line.split()
            if str(path.resolve()).startswith(mount) and len(mount) > len(best):
                best, kind = mount, fstype
    except OSError:
        pass
    return kind


@dataclass(frozen=True)
class Timing:
    """One scenario run to its end on a fresh journal, for choosing kill points."""

    first_entry_seconds: float
    """From "ready" to the first acknowledged entry (opening the journal, loading, close_dangling)."""
    gap_seconds: float
    """Between two acknowledged entries (one committed transaction, fsync included)."""
    exit_seconds: float
    """From the last entry until the command returns (closing the journal: its WAL checkpoint)."""
    entries: int


def plan_kill(rng: random.Random, timing: Timing, first_entry_seconds: float, starting: bool = False) -> KillPlan:
    """10 % of kills while the journal opens, 80 % between two entries of the session, 10 % while it closes;
    `starting` (a journal not written yet): while it is created."""
    where = 0.0 if starting else rng.random()
    if where < 0.10:
        return KillPlan("startup", 0, rng.uniform(0.0, first_entry_seconds))
    if where < 0.90:
        return KillPlan("writing", rng.randint(1, timing.entries), rng.uniform(0.0, timing.gap_seconds))
    return KillPlan("exiting", -1, rng.uniform(0.0, timing.exit_seconds))


def run_bench(runs: int = 500, *, seed: int | None = None, runs_per_db: int = 50, workdir: Path | None = None,
              progress: bool = False, signals: int = 100) -> dict[str, Any]:
    """Kill `runs` children at random points and check every invariant, then send SIGTERM/SIGHUP to `signals`
    more; return the figures."""
    seed = random.randrange(2**32) if seed is None else seed
    rng = random.Random(seed)
    owned = workdir is None
    work = Path(tempfile.mkdtemp(prefix="bench_crash_")) if workdir is None else workdir
    work.mkdir(parents=True, exist_ok=True)
    scripts = {}
    for s in SCENARIOS:
        scripts[s.name] = work / f"{s.name}.txt"
        scripts[s.name].write_text("\n".join(s.replies) + "\n")
    tally = Tally()
    t0 = time.monotonic()

    timings: dict[str, Timing] = {}
    for s in SCENARIOS:
        runs_done = [run_child(work / f"calibration-{s.name}.sqlite3", s, scripts[s.name], None)
                     for _ in range(2 if runs >= 100 else 1)]
        for r in runs_done:
            if r.returncode != 0 or not own_acks(r):
                raise SystemExit(f"bench_crash: the {s.name} scenario fails without any kill: {r.stderr.strip()}")
        gaps = [b.seconds - a.seconds for r in runs_done for a, b in zip(r.acks, r.acks[1:], strict=False)]
        timings[s.name] = Timing(statistics.median(r.acks[0].seconds for r in runs_done), statistics.median(gaps),
                                 statistics.median(max(0.0, (r.done_seconds or 0.0) - r.acks[-1].seconds)
                                                   for r in runs_done),
                                 len(own_acks(runs_done[-1])))
    plans: Counter[str] = Counter()

    db_index = 0
    db = work / "journal-0.sqlite3"
    expected: dict[str, str] = {}
    interrupted: set[str] = set()
    before = Snapshot("ok", {})
    db_runs = 0
    first_entries: list[float] = []
    """When the first entry came in this journal's recent runs: starting up slows as a journal grows."""
    while tally.kills < runs:
        if tally.runs > 4 * runs + 20:
            tally.fail("bench", "too many children finished before their kill; the kill points are off")
            break
        scenario = rng.choice(SCENARIOS)
        timing = timings[scenario.name]
        plan = plan_kill(rng, timing, statistics.median(first_entries[-9:] or [timing.first_entry_seconds]),
                         starting=db_runs == 0)
        db_runs += 1
        run = run_child(db, scenario, scripts[scenario.name], plan)
        tally.runs += 1
        if run.phase:
            plans[run.phase] += 1
        if run.acks:
            first_entries.append(run.acks[0].seconds)
        after = snapshot(db, work / "scratch")
        check_run(f"run {tally.runs} ({scenario.name}, {db.name}, {plan})", run, before, after, tally,
                  timing.entries)
        expected.update(outcomes(after, run))
        interrupted |= after.dangling()
        before = after
        if progress and tally.runs % 50 == 0:
            print(f"  {tally.runs} runs, {tally.kills} kills, {tally.acknowledged_entries} acknowledged, "
                  f"{tally.entries_lost} lost", file=sys.stderr)
        if tally.kills and (tally.kills % runs_per_db == 0 or tally.kills >= runs) and run.killed:
            finish_journal(db, scripts, expected, interrupted, before, tally, work)
            db_index += 1
            db = work / f"journal-{db_index}.sqlite3"
            expected, interrupted, before, first_entries, db_runs = {}, set(), Snapshot("ok", {}), [], 0
    duration = time.monotonic() - t0
    signalled = run_signal_bench(signals, rng, work, scripts, timings, runs_per_db=runs_per_db, progress=progress)
    if owned:
        shutil.rmtree(work, ignore_errors=True)
    return {
        "runs": tally.runs,
        "kills": tally.kills,
        "finished_before_kill": tally.finished_before_kill,
        "acknowledged_entries": tally.acknowledged_entries,
        "entries_lost": tally.entries_lost,
        "committed_not_acknowledged": tally.committed_not_acknowledged,
        "integrity_failures": tally.integrity_failures,
        "clean_starts_verified": tally.clean_starts_verified,
        "abandoned_at_next_start": tally.abandoned_at_next_start,
        "abandoned_in_report": tally.abandoned_in_report,
        "journals": tally.journals,
        "kill_points": dict(sorted(tally.kill_points.items())),
        "failures": tally.failures,
        "ok": not tally.failures and tally.entries_lost == 0 and tally.kills >= runs and signalled["ok"],
        "signals": signalled,
        "duration_seconds": round(duration, 2),
        "seed": seed,
        "kill_phases": dict(sorted(plans.items())),
        "timings_on_a_fresh_journal": {k: {"first_entry_ms": round(t.first_entry_seconds * 1000, 2),
                                           "between_entries_ms": round(t.gap_seconds * 1000, 3),
                                           "exit_ms": round(t.exit_seconds * 1000, 2), "entries": t.entries}
                                       for k, t in timings.items()},
        "filesystem": fs_type(work),
        "sqlite": sqlite3.sqlite_version,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


# ----- SIGTERM and SIGHUP ------------------------------------------------------------------------------------


ENDING_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
HANDLED_EXITS = (0, 130)
"""A child that handled the signal exits 0 (the session ended, interrupted) or 130 (the signal came before the
session started or after it ended: the command stopped where it was)."""


@dataclass
class SignalTally:
    """The figures of the SIGTERM/SIGHUP runs."""

    runs: int = 0
    signals_sent: int = 0
    """Signals that reached a running child."""
    by_signal: Counter[str] = field(default_factory=Counter)
    sessions_started: int = 0
    """Sessions the signalled children had started (their session_started is in the journal)."""
    ended_with_entry: int = 0
    """Of those, sessions that the same child closed with a session_ended entry."""
    outcomes: Counter[str] = field(default_factory=Counter)
    """How those sessions ended: interrupted (the signal came during the session), or as scripted (before it)."""
    interrupted_entries: int = 0
    """Sessions whose `interrupted` entry names the signal that was sent."""
    exits: Counter[str] = field(default_factory=Counter)
    phases: Counter[str] = field(default_factory=Counter)
    acknowledged_entries: int = 0
    entries_lost: int = 0
    failures: list[str] = field(default_factory=list)

    def fail(self, where: str, what: str) -> None:
        if len(self.failures) < 50:
            self.failures.append(f"{where}: {what}")


def check_signal_run(where: str, run: ChildRun, sig: signal.Signals, before: Snapshot, after: Snapshot,
                     tally: SignalTally) -> None:
    """A signalled child ends its session with an end entry, loses nothing, and leaves no traceback."""
    if after.integrity != "ok":
        tally.fail(where, f"integrity_check: {after.integrity}")
    tally.entries_lost += losses(where, run, before, after, tally.fail)
    tally.acknowledged_entries += len(run.acks)
    tally.exits[str(run.returncode)] += 1
    if run.returncode not in HANDLED_EXITS and run.returncode != -sig:
        tally.fail(where, f"child exited {run.returncode}: {run.stderr.strip()[-300:]}")
    if "Traceback" in run.stderr:
        tally.fail(where, f"traceback on stderr: {run.stderr.strip()[-300:]}")
    new = {k: v for k, v in after.rows.items() if k not in before.rows}
    started = [r[0] for _, r in sorted(new.items()) if r[2] == "session_started"]
    for sid in started:
        tally.sessions_started += 1
        rows = after.sessions()[sid]
        ended = [json.loads(r[4]) for r in rows if r[2] == "session_ended"]
        if len(ended) != 1:
            tally.fail(where, f"session {sid[:8]} has {len(ended)} session_ended entries")
            continue
        tally.ended_with_entry += 1
        tally.outcomes[str(ended[0].get("outcome"))] += 1
        if ended[0].get("outcome") == "interrupted":
            said = [json.loads(r[4]).get("signal") for r in rows if r[2] == "interrupted"]
            if said == [sig.name]:
                tally.interrupted_entries += 1
            else:
                tally.fail(where, f"session {sid[:8]} interrupted, but its interrupted entry says {said}")
        elif ended[0].get("outcome") in ("abandoned", "stopped_by_user"):
            tally.fail(where, f"session {sid[:8]} ended {ended[0].get('outcome')!r} after {sig.name}")
    if after.dangling():
        tally.fail(where, f"sessions left without an end: {sorted(s[:8] for s in after.dangling())}")


def run_signal_bench(runs: int, rng: random.Random, work: Path, scripts: dict[str, Path],
                     timings: dict[str, Timing], *, runs_per_db: int = 50, progress: bool = False) -> dict[str, Any]:
    """Send SIGTERM or SIGHUP to `runs` replayed sessions at random points; every one must end with an end entry."""
    tally = SignalTally()
    t0 = time.monotonic()
    db, before, db_runs = work / "signals-0.sqlite3", Snapshot("ok", {}), 0
    while tally.signals_sent < runs:
        if tally.runs > 4 * runs + 20:
            tally.fail("signals", "too many children finished before their signal; the signal points are off")
            break
        scenario = rng.choice(SCENARIOS)
        timing = timings[scenario.name]
        sig = ENDING_SIGNALS[tally.signals_sent % len(ENDING_SIGNALS)]  # in turn by signals sent, not runs:
        # a child that finished before its signal (a loaded machine) must not tip the balance
        plan = plan_kill(rng, timing, timing.first_entry_seconds)
        run = run_child(db, scenario, scripts[scenario.name], plan, sig=sig)
        tally.runs += 1
        db_runs += 1
        after = snapshot(db, work / "scratch")
        where = f"signal run {tally.runs} ({scenario.name}, {sig.name}, {plan})"
        if run.signalled:
            tally.signals_sent += 1
            tally.by_signal[sig.name] += 1
            tally.phases[plan.phase] += 1
            check_signal_run(where, run, sig, before, after, tally)
        elif run.returncode != 0:
            tally.fail(where, f"child exited {run.returncode} without a signal: {run.stderr.strip()[-300:]}")
        before = after
        if progress and tally.runs % 50 == 0:
            print(f"  {tally.runs} signal runs, {tally.signals_sent} signalled, {tally.ended_with_entry}/"
                  f"{tally.sessions_started} sessions ended with an entry", file=sys.stderr)
        if db_runs >= runs_per_db:
            db, before, db_runs = work / f"signals-{tally.runs}.sqlite3", Snapshot("ok", {}), 0
    return {
        "runs": tally.runs, "signals_sent": tally.signals_sent, "by_signal": dict(sorted(tally.by_signal.items())),
        "sessions_started": tally.sessions_started, "ended_with_entry": tally.ended_with_entry,
        "outcomes": dict(sorted(tally.outcomes.items())), "interrupted_entries_naming_the_signal":
            tally.interrupted_entries, "exit_codes": dict(sorted(tally.exits.items())),
        "signal_phases": dict(sorted(tally.phases.items())), "acknowledged_entries": tally.acknowledged_entries,
        "entries_lost": tally.entries_lost, "failures": tally.failures,
        "ok": not tally.failures and tally.signals_sent >= runs
              and tally.ended_with_entry == tally.sessions_started,
        "duration_seconds": round(time.monotonic() - t0, 2),
    }


def outcomes(after: Snapshot, run: ChildRun) -> dict[str, str]:
    """The outcome the child's own session recorded, if it got to record one."""
    found = {}
    for ack in own_acks(run)[:1]:
        for row in after.sessions().get(ack.session_id, []):
            if row[2] == "session_ended":
                found[ack.session_id] = json.loads(row[4]).get("outcome")
    return found


def finish_journal(db: Path, scripts: dict[str, Path], expected: dict[str, str], interrupted: set[str],
                   before: Snapshot, tally: Tally, work: Path) -> None:
    """One last unkilled run, then the report: killed sessions abandoned, the others as their scenario ends."""
    scenario = SCENARIOS[0]
    run = run_child(db, scenario, scripts[scenario.name], None)
    tally.runs += 1
    after = snapshot(db, work / "scratch")
    check_run(f"final run on {db.name}", run, before, after, tally, kill_planned=False)
    expected.update(outcomes(after, run))
    done = subprocess.run([sys.executable, "-m", "voice_coach.cli.main", "report", "--db", str(db), "--format", "json"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    if done.returncode != 0:
        tally.fail(f"report on {db.name}", done.stderr.strip())
        return
    tally.journals += 1
    for s in json.loads(done.stdout).get("sessions", []) + json.loads(done.stdout).get("checkins", []):
        sid = s.get("id")
        want = "abandoned" if sid in interrupted else expected.get(sid)
        if want is None:
            tally.fail(f"report on {db.name}", f"session {str(sid)[:8]} comes from nowhere")
        elif s.get("outcome") != want:
            tally.fail(f"report on {db.name}", f"session {str(sid)[:8]} shows {s.get('outcome')!r}, not {want!r}")
        elif want == "abandoned":
            tally.abandoned_in_report += 1


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == [CHILD_FLAG]:
        return child_main(int(argv[1]), argv[3:])
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--runs", type=int, default=500, help="kills to make (default 500)")
    ap.add_argument("--seed", type=int, help="random seed for scenarios and kill delays (printed)")
    ap.add_argument("--runs-per-db", type=int, default=50, help="kills per journal before a fresh one (default 50)")
    ap.add_argument("--signals", type=int, default=100, help="runs sent SIGTERM or SIGHUP (default 100)")
    ap.add_argument("--json", type=Path, default=ROOT / "bench-results" / "crash.json", help="where to write figures")
    ap.add_argument("--dir", type=Path, help="work folder (default: a new temporary folder, removed at the end)")
    args = ap.parse_args(argv)
    print(f"bench_crash: {args.runs} kills (SIGKILL at random points of replayed sessions), then {args.signals} "
          "runs sent SIGTERM or SIGHUP...", file=sys.stderr)
    figures = run_bench(args.runs, seed=args.seed, runs_per_db=args.runs_per_db, workdir=args.dir, progress=True,
                        signals=args.signals)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"runs                      {figures['runs']} ({figures['kills']} killed, "
          f"{figures['finished_before_kill']} finished before the kill)")
    print(f"acknowledged entries      {figures['acknowledged_entries']}")
    print(f"entries lost              {figures['entries_lost']}")
    print(f"integrity failures        {figures['integrity_failures']}")
    print(f"clean restarts checked    {figures['clean_starts_verified']}")
    print(f"abandoned sessions        {figures['abandoned_at_next_start']} closed at the next start, "
          f"{figures['abandoned_in_report']} shown in the report")
    print(f"journals                  {figures['journals']} (on {figures['filesystem']}, SQLite {figures['sqlite']})")
    print(f"kill phases               {figures['kill_phases']}")
    print(f"kill points               {figures['kill_points']}")
    print(f"time                      {figures['duration_seconds']} s (seed {figures['seed']})")
    sig = figures["signals"]
    print(f"signals (SIGTERM/SIGHUP)  {sig['signals_sent']} sent {sig['by_signal']} over {sig['runs']} runs; "
          f"{sig['ended_with_entry']} of {sig['sessions_started']} sessions started ended with an end entry")
    print(f"  their outcomes          {sig['outcomes']} ({sig['interrupted_entries_naming_the_signal']} interrupted "
          f"entries name the signal); exit codes {sig['exit_codes']}; {sig['entries_lost']} entries lost")
    for failure in figures["failures"] + sig["failures"]:
        print(f"FAIL {failure}")
    print(f"wrote {args.json}", file=sys.stderr)
    return 0 if figures["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
