"""Dates typed on the command line are kept to days a journal can hold (year 1 or 9999 overflow on arithmetic)."""

from __future__ import annotations

from datetime import date, datetime

from voice_coach.errors import CoachError
from voice_coach.terminal_text import shown

EARLIEST = date(1970, 1, 2)
"""No entry is older than the computers it runs on; a day before this is a typing mistake."""
LATEST = date(2199, 12, 31)
"""Far enough ahead for any plan; far enough from date.max that a week or a time zone added cannot overflow."""


def check_day(option: str, text: str, value: date | datetime) -> None:
    """A CoachError (usage) naming `option` when `value` lies outside EARLIEST..LATEST."""
    day = value.date() if isinstance(value, datetime) else value
    if not EARLIEST <= day <= LATEST:
        raise CoachError(f"{option} {shown(text)}: use a date between {EARLIEST} and {LATEST}", code="usage")
