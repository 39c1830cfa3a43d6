"""When the person wants reminders: times of day, quiet hours, how many a day; parsed and checked for the profile."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from voice_coach.errors import ConfigError


@dataclass(frozen=True)
class ReminderSettings:
    """When reminders may be said (from the profile)."""

    times: tuple[time, ...] = ()
    """Local times a planned session is due; none: no reminders."""
    quiet: tuple[time, time] | None = None
    """Quiet hours (start, end; may wrap past midnight): nothing is said then."""
    max_per_day: int = 3
    """Never more reminders than this in a day, snoozes included."""
    snooze_minutes: int = 30
    """After "later" (or no answer), the reminder comes back this much later."""


def parse_clock(text: str) -> time:
    """"9:30" or "09:30" → a time; ConfigError otherwise."""
    try:
        hours, minutes = text.strip().split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise ConfigError(f"{text!r}: use a time like 09:30") from None


def parse_times(text: str) -> tuple[time, ...]:
    """"09:30, 16:00" → sorted times; "" or "none" → none."""
    if text.strip().lower() in ("", "none", "off"):
        return ()
    return tuple(sorted({parse_clock(t) for t in text.split(",") if t.strip()}))


def parse_quiet(text: str) -> tuple[time, time] | None:
    """"21:00-08:00" → (start, end); "" or "none" → None."""
    if text.strip().lower() in ("", "none", "off"):
        return None
    start, sep, end = text.partition("-")
    if not sep:
        raise ConfigError(f"{text!r}: use a range like 21:00-08:00")
    return parse_clock(start), parse_clock(end)


def quiet_now(quiet: tuple[time, time] | None, t: time) -> bool:
    if quiet is None:
        return False
    start, end = quiet
    return start <= t < end if start <= end else (t >= start or t < end)
