"""Fakes for the ports: a scripted listener, a recording speaker, an in-memory journal. No mocks."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from voice_coach.coach.clocks import VirtualClock
from voice_coach.coach.intents import Certainty, Heard
from voice_coach.coach.ports import Clock, Expectation

FakeClock = VirtualClock


@dataclass
class Reply:
    """A scripted reply: said `after` seconds of listening, or only once the coach is waiting."""

    text: str
    after: float = 1.0
    confidence: float = 1.0
    when_asked: bool = True
    """Wait for a question (True), or come in whatever the coach is doing (a stop during a set)."""
    certainty: Certainty = Certainty.SURE
    """What the recognizer judged (speech.recognition.Decoded.certainty): UNSURE when only one judge heard it."""


class ScriptedListener:
    """Gives replies from a script; silence when the script says nothing before the coach's deadline."""

    def __init__(self, replies: list[Reply | str], source: str = "voice", transcript: list[str] | None = None) -> None:
        self.replies = [r if isinstance(r, Reply) else Reply(r) for r in replies]
        self.source = source
        self.transcript = transcript if transcript is not None else []
        """Shared with a RecordingSpeaker, so a golden file shows the conversation in order."""
        self.heard_states: list[str] = []
        self._waited = 0.0

    def listen(self, until: float | None, clock: Clock, expect: Expectation) -> Heard | None:
        assert isinstance(clock, VirtualClock)
        if self.replies and (expect.awaiting or not self.replies[0].when_asked):
            reply = self.replies[0]
            due = clock.now() + max(0.0, reply.after - self._waited)
            if until is None or due <= until:
                clock.sleep_until(due)
                self.replies.pop(0)
                self._waited = 0.0
                self.heard_states.append(expect.state)
                self.transcript.append(f"  you> {reply.text}" + (f"  (confidence {reply.confidence})"
                                                                   if reply.confidence < 1 else ""))
                return Heard(reply.text, reply.confidence, self.source, reply.certainty,
                             "" if reply.certainty is Certainty.SURE else "grammar_only")
            self._waited += until - clock.now()
        if until is None:
            raise AssertionError(f"script exhausted with nothing timed in state {expect.state}")
        clock.sleep_until(until)
        return None


class RecordingSpeaker:
    """Keeps every line said, with its prompt key."""

    def __init__(self, transcript: list[str] | None = None) -> None:
        self.lines: list[str] = []
        self.keys: list[str] = []
        self.transcript = transcript if transcript is not None else []

    def say(self, text: str, key: str) -> None:
        self.lines.append(text)
        self.keys.append(key)
        self.transcript.append(f"coach [{key}] {text}")


@dataclass
class MemoryJournal:
    """The journal port in memory (the SQLite adapter is tested on its own, for real)."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def new_session_id(self) -> str:
        return f"s{len({r['session_id'] for r in self.rows}) + 1}"

    def append(self, session_id: str, kind: str, at: datetime, data: dict[str, Any] | None = None, *,
               source: str = "coach", transcript: str | None = None, confidence: float | None = None) -> int:
        row_id = next(self._ids)
        self.rows.append({"id": row_id, "session_id": session_id, "at": at, "kind": kind, "data": data or {},
                          "source": source, "transcript": transcript, "confidence": confidence})
        return int(row_id)

    def close_dangling(self, at: datetime) -> list[str]:
        return []

    def kinds(self) -> list[str]:
        return [r["kind"] for r in self.rows]
