"""A made-up journal of many weeks (for tests, demos and the report benchmark), and the benchmark itself:
`python -m tests.report_bench --days 365` prints how long each report format takes."""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from voice_coach.journal.journal import CAREGIVER_SESSION_ID, SqliteJournal

EXERCISES = {
    "stretching": ["Neck side stretch", "Shoulder rolls and reach", "Wrist and finger stretch", "Hamstring stretch",
                   "Calf stretch"],
    "resistance": ["Seated shoulder press", "Biceps curl", "Seated knee extension", "Seated marching",
                   "Side arm raise", "Sit to stand"],
    "aerobic": ["Seated stepping or cycling, first bout", "Walking or seated stepping, second bout"],
}
WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]


class FakeJournal:
    """Writes plausible sessions through SqliteJournal.append, deterministic for a seed."""

    def __init__(self, journal: SqliteJournal, seed: int = 7) -> None:
        self.journal, self.rng = journal, random.Random(seed)
        self.count = 0
        self.at = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)

    def _add(self, sid: str, kind: str, data: dict[str, Any] | None = None, *, said: str | None = None,
             source: str = "voice", seconds: float = 20.0) -> None:
        self.at += timedelta(seconds=seconds)
        self.count += 1
        if said is None:
            self.journal.append(sid, kind, self.at, data or {})
        else:
            confidence = round(self.rng.uniform(0.55, 0.99), 2) if source == "voice" else 1.0
            self.journal.append(sid, kind, self.at, data or {}, source=source, transcript=said, confidence=confidence)

    def reply(self, sid: str, state: str, intent: str | None, said: str, *, garble: float = 0.0) -> None:
        """A reply; with probability `garble` it is first misheard once (unrecognised, asked again)."""
        if self.rng.random() < garble:
            self._add(sid, "heard", {"state": state, "intent": None}, said="mm " + said[:3])
            self._add(sid, "unrecognised", {"state": state}, said="mm " + said[:3])
        if self.rng.random() < garble / 2:
            self._add(sid, "reprompt", {"state": state, "count": 1}, seconds=20)
        self._add(sid, "heard", {"state": state, "intent": intent}, said=said)

    def session(self, start: datetime, program: str, *, hard: bool = False, symptom: str | None = None,
                garble: float = 0.05, odd: str | None = None) -> None:
        """One session; `symptom` stops it for safety partway, `hard` makes one rating 7 or more, `odd` is
        a first reply the coach did not understand."""
        self.at = start
        sid = self.journal.new_session_id()
        self._add(sid, "session_started", {"program": program, "kind": program,
                                           "exercises": len(EXERCISES[program])}, seconds=0)
        self._add(sid, "caution_spoken", {"key": "caution_general"})
        if odd is not None:
            self._add(sid, "heard", {"state": "asking_feeling", "intent": None}, said=odd)
            self._add(sid, "unrecognised", {"state": "asking_feeling"}, said=odd)
        fatigue = self.rng.randint(1, 5)
        self.reply(sid, "asking_feeling", "number", WORDS[fatigue], garble=garble)
        self._add(sid, "checkin_answer", {"question": "fatigue", "value": fatigue}, said=WORDS[fatigue])
        self.reply(sid, "asking_symptoms", "no", "no", garble=garble)
        self._add(sid, "checkin_answer", {"question": "new_cramps_or_twitching", "answer": "no"}, said="no")
        names = EXERCISES[program]
        stop_at = self.rng.randrange(len(names)) if symptom else None
        hard_at = self.rng.randrange(len(names)) if hard else None
        flags: list[str] = []
        done = 0
        for i, name in enumerate(names):
            self.reply(sid, "introducing", "yes", "ready", garble=garble)
            if i == stop_at:
                assert symptom is not None
                said = {"fasciculation": "twitching", "dizziness": "dizzy"}.get(symptom, symptom)
                self._add(sid, "heard", {"state": "exercising", "intent": "symptom"}, said=said, seconds=40)
                self._add(sid, "symptom", {"kind": symptom}, said=said)
                self._add(sid, "caution_spoken", {"key": f"caution_{symptom}"})
                self._add(sid, "caution_spoken", {"key": "check_in_practitioner"})
                self._add(sid, "session_ended", {"outcome": "stopped_for_safety", "flags": [symptom],
                                                 "exercises_done": done})
                return
            reps = 10 if program == "resistance" else 2
            self._add(sid, "exercise_done", {"name": name, "index": i, "reps_target": reps, "reps_done": reps},
                      seconds=90 if program != "aerobic" else 600)
            done += 1
            value = self.rng.choice([7, 8]) if i == hard_at else self.rng.randint(2, 5)
            self.reply(sid, "asking_rating", "number", WORDS[value], garble=garble)
            self._add(sid, "read_back", {"what": "rating", "value": value}, said=WORDS[value])
            self.reply(sid, "confirming", "yes", "yes", garble=garble)
            self._add(sid, "rating", {"value": value, "scale": "CR10", "exercise": name, "index": i},
                      said=WORDS[value])
            if value >= 7:
                flags.append("hard_effort")
            if i < len(names) - 1:
                self.reply(sid, "waiting_next", "next", "next", garble=garble)
        self._add(sid, "session_ended", {"outcome": "completed", "flags": sorted(set(flags)), "exercises_done": done})

    def checkin(self, start: datetime, *, daily_yes: bool = False, cramp: bool = False) -> None:
        self.at = start
        sid = self.journal.new_session_id()
        self._add(sid, "session_started", {"program": "checkin", "kind": "checkin"}, seconds=0)
        fatigue = self.rng.randint(2, 6)
        self.reply(sid, "asking_feeling", "number", WORDS[fatigue])
        self._add(sid, "checkin_answer", {"question": "fatigue", "value": fatigue}, said=WORDS[fatigue])
        flags = []
        for question, kind, yes in (("new_cramps", "cramp", cramp), ("new_twitching", "fasciculation", False)):
            self.reply(sid, "asking_symptoms", "yes" if yes else "no", "yes" if yes else "no")
            self._add(sid, "checkin_answer", {"question": question, "answer": "yes" if yes else "no"},
                      said="yes" if yes else "no")
            if yes:
                self._add(sid, "symptom", {"kind": kind}, said="yes")
                flags.append(kind)
        self.reply(sid, "asking_daily", "yes" if daily_yes else "no", "yes" if daily_yes else "no")
        self._add(sid, "checkin_answer", {"question": "daily_activities", "answer": "yes" if daily_yes else "no"},
                  said="yes" if daily_yes else "no")
        if daily_yes:
            flags.append("daily_activities")
            self._add(sid, "caution_spoken", {"key": "caution_daily_activities"})
        self._add(sid, "session_ended", {"outcome": "completed", "flags": flags, "exercises_done": 0})

    def caregiver(self, at: datetime, kind: str, data: dict[str, Any]) -> None:
        self.count += 1
        self.journal.append(CAREGIVER_SESSION_ID, kind, at, data, source="caregiver")

    def weeks(self, first_day: datetime, days: int) -> None:
        """A routine over `days` days: stretching most mornings, aerobic Mon/Wed/Fri, resistance Tue/Thu/Sat,
        a check-in on Mondays, a few hard efforts and symptoms, speech slowly harder to recognise."""
        for n in range(days):
            day = first_day + timedelta(days=n)
            garble = 0.03 + 0.25 * n / max(days, 1)
            if day.weekday() == 0:
                self.checkin(day.replace(hour=7, minute=30), daily_yes=self.rng.random() < 0.04,
                             cramp=self.rng.random() < 0.08)
            if self.rng.random() > 0.1:
                self.session(day.replace(hour=8), "stretching", garble=garble)
            if self.rng.random() < 0.3:
                self.session(day.replace(hour=18), "stretching", garble=garble)
            kind = {0: "aerobic", 2: "aerobic", 4: "aerobic", 1: "resistance", 3: "resistance", 5: "resistance"}.get(
                day.weekday())
            if kind and self.rng.random() > 0.15:
                symptom = self.rng.choice(["cramp", "fasciculation", "dizziness", "pain"]) \
                    if self.rng.random() < 0.04 else None
                self.session(day.replace(hour=11), kind, hard=self.rng.random() < 0.1, symptom=symptom, garble=garble)
            if day.weekday() == 6:
                self.caregiver(day.replace(hour=19), "note", {"text": "Good week; used the wrist splint."})
            if self.rng.random() < 0.03:
                self.caregiver(day.replace(hour=20), "symptom", {"kind": "cramp"})


def make_journal(path: Path, *, days: int, first_day: datetime | None = None, seed: int = 7) -> int:
    """Write a made-up journal of `days` days at `path`; returns the number of entries."""
    journal = SqliteJournal(path)
    journal.db.execute("PRAGMA synchronous=OFF")  # made-up data: durability does not matter, speed does
    fake = FakeJournal(journal, seed)
    fake.weeks(first_day or datetime(2026, 1, 5, tzinfo=UTC), days)
    journal.close()
    return fake.count


DEMO_FIRST_DAY = datetime(2026, 1, 5, tzinfo=UTC)
"""The demo journal runs from Monday 5 January 2026 to Wednesday 4 February 2026 (report with --until 2026-02-05)."""
DEMO_ODD_REPLY = '=HYPERLINK("http://example.invalid","x") <script>alert(1)</script>'
"""A reply no spreadsheet or browser may run: the demo's check that reports escape what was said."""


def make_demo_journal(path: Path) -> int:
    """Four weeks of routine, then a week with everything a caregiver must see: a "yes" to the
    daily-activities question, a hard effort, a safety stop for a cramp, a missed day, and caregiver entries."""
    from voice_coach.journal.caregiver import add_note, add_rating, add_symptom

    journal = SqliteJournal(path)
    journal.db.execute("PRAGMA synchronous=OFF")
    fake = FakeJournal(journal, seed=11)
    fake.weeks(DEMO_FIRST_DAY, 26)  # to Friday 30 January
    sat, sun, mon, tue, wed = (DEMO_FIRST_DAY + timedelta(days=n) for n in range(26, 31))
    fake.session(sat.replace(hour=8), "stretching")  # Sunday 1 February: nothing at all (a missed day)
    fake.checkin(mon.replace(hour=7, minute=30), daily_yes=True)
    fake.session(mon.replace(hour=8), "stretching")
    fake.session(mon.replace(hour=11), "aerobic", hard=True)
    fake.session(tue.replace(hour=8), "stretching", odd=DEMO_ODD_REPLY)
    fake.session(tue.replace(hour=11), "resistance", symptom="cramp")
    add_note(journal, "=1+1 <b>slept badly</b>, new splint on the left hand", at=tue.replace(hour=20),
             now=tue.replace(hour=20))
    fake.session(wed.replace(hour=8), "stretching")
    add_rating(journal, 7, at=wed.replace(hour=9), now=wed.replace(hour=12))
    add_symptom(journal, "twitching", at=wed.replace(hour=10), now=wed.replace(hour=12))
    journal.close()
    return fake.count + 3


def main() -> None:
    from rich.console import Console

    from voice_coach.cli.report import LazyProgress, produce, read_entries

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=365, help="days of made-up sessions (default 365)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "journal.sqlite3"
        t0 = time.perf_counter()
        count = make_journal(path, days=args.days)
        print(f"journal: {args.days} days, {count} entries, written in {time.perf_counter() - t0:.1f} s")
        now = datetime(2026, 1, 5, tzinfo=UTC) + timedelta(days=args.days)
        quiet = LazyProgress(Console(stderr=True), stages=3, enabled=False)
        for fmt in ("json", "text", "csv", "fhir", "html"):
            t0 = time.perf_counter()
            entries, _ = read_entries(path, None, None, quiet)
            text = produce(fmt, entries, path=path, program=None, since=None, until=None, now=now, progress=quiet)
            print(f"{fmt:<5} {time.perf_counter() - t0:6.2f} s  {len(text) / 1e6:6.2f} MB  (in process)")
        out = Path(tmp) / "report.html"
        command = ("from voice_coach.cli.main import app, main; from voice_coach.cli.report import register; "
                   f"register(app); raise SystemExit(main(['report', '--db', {str(path)!r}, '-o', {str(out)!r}]))")
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", command], check=True, capture_output=True)
        print(f"html  {time.perf_counter() - t0:6.2f} s  (voice-coach report -o report.html, a new process, "
              "end to end)")


if __name__ == "__main__":
    main()
