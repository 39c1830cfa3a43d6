"""Entries a caregiver types: notes, effort ratings and symptoms, journaled with source `caregiver`."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from voice_coach.coach.intents import SYMPTOM_KINDS, Heard, Intent, load_phrasebook
from voice_coach.day_bounds import check_day
from voice_coach.errors import CoachError
from voice_coach.journal.journal import CAREGIVER_SESSION_ID, SqliteJournal
from voice_coach.terminal_text import shown

FUTURE_SLACK = timedelta(minutes=5)
"""Clocks disagree a little; an --at further ahead than this is a typing mistake."""


def parse_at(text: str | None, now: datetime) -> datetime:
    """--at: `HH:MM` (the last such time: today, or yesterday if that is still to come), `YYYY-MM-DD HH:MM`,
    `YYYY-MM-DD` (noon) or ISO; local time unless an offset is given; never in the future."""
    if text is None:
        return now
    raw = text.strip()
    try:
        if len(raw) <= 5 and ":" in raw:
            local = now.astimezone()
            value = datetime.combine(local.date(), time.fromisoformat(raw.zfill(5))).astimezone()
            if value > now + FUTURE_SLACK:
                value = datetime.combine(local.date() - timedelta(days=1), value.time()).astimezone()
        elif len(raw) == 10:
            day = datetime.fromisoformat(raw).date()
            check_day("--at", text, day)
            value = datetime.combine(day, time(12, 0)).astimezone()
            if day == now.astimezone().date():
                value = min(value, now)  # "today" typed in the morning means earlier today
        else:
            value = datetime.fromisoformat(raw)
            check_day("--at", text, value)
    except ValueError:
        raise CoachError(f"--at {shown(text)}: use a time like 14:30 or 2026-11-25 14:30", code="usage") from None
    value = value if value.tzinfo else value.astimezone()  # naive: this machine's local time
    if value > now + FUTURE_SLACK:
        raise CoachError(f"--at {shown(text)} is in the future; give the time it happened", code="usage")
    return value


def parse_symptom(text: str) -> str:
    """A symptom kind from its name or any phrase the coach understands ("twitching", "dizzy")."""
    key = text.strip().lower().replace(" ", "_").replace("-", "_")
    if key in SYMPTOM_KINDS:
        return key
    u = load_phrasebook().parse(Heard(text, 1.0, "caregiver"))
    if u is not None and u.intent is Intent.SYMPTOM and u.symptom is not None:
        return u.symptom
    raise CoachError(f"--symptom {shown(text)}: not a symptom the coach knows; use one of "
                     "cramp, twitching, dizzy, pain, exhausted, short of breath", code="usage")


def _append(journal: SqliteJournal, kind: str, data: dict[str, Any], at: datetime, now: datetime) -> int:
    if at != now:
        data["logged_at"] = now.isoformat(timespec="seconds")  # when typed; `at` is when it happened
    return journal.append(CAREGIVER_SESSION_ID, kind, at, data, source="caregiver")


def add_note(journal: SqliteJournal, text: str, *, at: datetime, now: datetime) -> int:
    """A free-text note ("slept badly", "new splint on the left hand")."""
    text = text.strip()
    if not text:
        raise CoachError("note: the note is empty; write it in quotes: voice-coach note \"slept badly\"",
                         code="usage")
    return _append(journal, "note", {"text": text}, at, now)


def add_rating(journal: SqliteJournal, value: int, *, at: datetime, now: datetime) -> int:
    """An effort rating (Borg CR10, 0–10) the caregiver observed or was told."""
    if not 0 <= value <= 10:
        raise CoachError(f"--rating {value}: use a number from 0 to 10 (Borg CR10)", code="usage")
    return _append(journal, "rating", {"value": value, "scale": "CR10", "exercise": None, "index": None}, at, now)


def add_symptom(journal: SqliteJournal, kind: str, *, at: datetime, now: datetime) -> int:
    """A symptom the caregiver saw or was told about."""
    return _append(journal, "symptom", {"kind": parse_symptom(kind)}, at, now)
