"""Journals for tests: written on fake dates into a real SQLite file, read back, and reported on through the CLI."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest

from voice_coach.cli.main import app, main
from voice_coach.cli.report import register
from voice_coach.journal.journal import Entry, SqliteJournal

MONDAY = date(2026, 3, 2)
"""The first day of the fake weeks (a Monday)."""


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    """A local, timezone-aware time on `day` (the plan counts days in local time)."""
    return datetime.combine(day, time(hour, minute)).astimezone()


class FakeDays:
    """A real SQLite journal filled with sessions and check-ins on chosen days."""

    def __init__(self, path: Path) -> None:
        self.journal = SqliteJournal(path)
        self.path = path
        self._n = 0

    def _sid(self) -> str:
        self._n += 1
        return f"fake{self._n:04d}"

    def session(self, day: date, program: str, kind: str | None = None, *, done: int = 1,
                ratings: tuple[int, ...] = (), symptoms: tuple[str, ...] = (), hour: int = 10) -> list[int]:
        """A session of `program` with `done` exercises done and these ratings and symptoms; the entry ids."""
        sid, t = self._sid(), at(day, hour)
        ids = [self.journal.append(sid, "session_started", t, {"program": program, "kind": kind or program})]
        for i in range(done):
            ids.append(self.journal.append(sid, "exercise_done", t, {"name": f"ex{i}", "index": i}))
        for value in ratings:
            ids.append(self.journal.append(sid, "rating", t, {"value": value, "scale": "CR10", "exercise": "ex0"},
                                           source="voice", transcript=str(value), confidence=1.0))
        for kind_ in symptoms:
            ids.append(self.journal.append(sid, "symptom", t, {"kind": kind_}, source="voice"))
        ids.append(self.journal.append(sid, "session_ended", t, {"outcome": "completed"}))
        return ids

    def checkin(self, day: date, *, daily: str | None = None, symptoms: tuple[str, ...] = (),
                hour: int = 9) -> list[int]:
        """A check-in; `daily` is the answer to the next-day question ("yes"/"no"), if it was asked."""
        sid, t = self._sid(), at(day, hour)
        ids = [self.journal.append(sid, "session_started", t, {"program": "checkin", "kind": "checkin"})]
        for kind_ in symptoms:
            ids.append(self.journal.append(sid, "symptom", t, {"kind": kind_}, source="voice"))
        if daily is not None:
            ids.append(self.journal.append(sid, "checkin_answer", t, {"question": "daily_activities",
                                                                      "answer": daily}, source="voice"))
        ids.append(self.journal.append(sid, "session_ended", t, {"outcome": "completed"}))
        return ids

    def add(self, day: date, kind: str, data: dict, *, session: str = "caregiver", source: str = "caregiver") -> int:
        return self.journal.append(session, kind, at(day, 12), data, source=source)

    def entries(self) -> list[Entry]:
        return list(self.journal.entries())

    def close(self) -> None:
        self.journal.close()


def days(start: date, n: int) -> list[date]:
    return [start + timedelta(days=i) for i in range(n)]


def read_entries(path: Path) -> list[Entry]:
    """Every entry of the journal at `path`, opened read-only as the reports open it."""
    journal = SqliteJournal(path, readonly=True)
    try:
        return list(journal.entries())
    finally:
        journal.close()


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """The real `voice-coach` entry point, with the caregiver commands registered (as the lead wires them):
    exit code, stdout, stderr."""
    register(app)
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err
