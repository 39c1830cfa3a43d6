"""The ports the session loop talks through; adapters (text, pocketsphinx, vosk, pyttsx3, SQLite) fill them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from voice_coach.coach.intents import Heard


class Clock(Protocol):
    """Time, for the loop only: the coach is given seconds and never reads a clock."""

    def now(self) -> float:
        """Monotonic seconds."""
        ...

    def wall(self) -> datetime:
        """Timezone-aware wall-clock time, for journal entries."""
        ...

    def sleep_until(self, t: float) -> None:
        """Wait until now() >= t (a virtual clock just jumps)."""
        ...


@dataclass(frozen=True)
class Expectation:
    """What the coach can take right now: the listener builds its grammar from it."""

    phrases: tuple[str, ...]
    """Every phrase valid in this state."""
    awaiting: bool
    """True when a question is open; False while the coach is counting (replies still allowed)."""
    state: str
    """The coach's state, for logs and per-state recognizer searches."""


class Listener(Protocol):
    """Microphone + endpointing + recognizer, or a keyboard, or a replayed script."""

    def listen(self, until: float | None, clock: Clock, expect: Expectation) -> Heard | None:
        """The next reply heard before `until` (clock seconds), or None on silence until then."""
        ...


class EndOfInput(Exception):
    """The input has no more replies (stdin closed, replay finished): the loop ends the session."""


class Speaker(Protocol):
    """Says a line (text, speech, or a WAV file)."""

    def say(self, text: str, key: str) -> None:
        ...


class Journal(Protocol):
    """Append-only store of entries."""

    def new_session_id(self) -> str:
        ...

    def append(self, session_id: str, kind: str, at: datetime, data: dict[str, Any] | None = None, *,
               source: str = "coach", transcript: str | None = None, confidence: float | None = None) -> int:
        ...

    def close_dangling(self, at: datetime) -> list[str]:
        ...


class AudioSource(Protocol):
    """Audio in: 16 kHz mono signed 16-bit little-endian PCM, in short chunks (a microphone or a WAV)."""

    sample_rate: int
    """Always 16000 after conversion."""

    def read(self, timeout_seconds: float) -> bytes | None:
        """The next chunk (about 20-30 ms), b"" when no audio arrived within the timeout, None at the end."""
        ...

    def close(self) -> None:
        ...
