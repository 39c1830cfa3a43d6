"""What the coach asks the outside world to do: say a line, write a journal entry."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Say:
    """Speak the prompt `key` with its slot values."""

    key: str
    """Prompt key in prompts/en.yaml."""
    slots: dict[str, Any] = field(default_factory=dict)
    """Values for the prompt's {placeholders}."""


@dataclass(frozen=True)
class LogEntry:
    """Append one entry to the journal."""

    kind: str
    """session_started, checkin_answer, rating, symptom, caution_spoken, exercise_done, ..."""
    data: dict[str, Any] = field(default_factory=dict)
    """Kind-specific fields."""
    transcript: str | None = None
    """What was heard, when the entry comes from a reply."""
    confidence: float | None = None
    """Recognizer confidence of that reply."""
    source: str = "coach"
    """voice, keyboard, caregiver, or coach for entries the coach makes itself."""


Action = Say | LogEntry
