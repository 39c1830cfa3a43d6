"""Reminders from the plan as a table: the settings, the time and the day's journal → the reminder due (or none)."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from voice_coach.access.reminder_settings import ReminderSettings, parse_quiet, parse_times, quiet_now
from voice_coach.errors import ConfigError
from voice_coach.journal.journal import Entry
from voice_coach.listen.reminders import checkin_first, due

DAY = datetime(2026, 1, 5, tzinfo=UTC)
S = ReminderSettings(times=(time(10, 0), time(16, 0)), quiet=(time(21, 0), time(8, 0)), max_per_day=3,
                     snooze_minutes=30)


def at(hhmm: str, day: int = 0) -> datetime:
    h, m = hhmm.split(":")
    return DAY.replace(day=DAY.day + day, hour=int(h), minute=int(m))


def e(hhmm: str, what: str, day: int = 0, **data: object) -> Entry:
    return Entry(0, "s", 0, at(hhmm, day), what, "coach", None, None, dict(data))


CASES = [
    ("before the first time", S, "09:59", [], "stretching", None),
    ("the first time", S, "10:00", [], "stretching", "10:00"),
    ("said once", S, "10:05", [e("10:00", "reminder")], "stretching", None),
    ("later: back after the snooze", S, "10:31", [e("10:00", "reminder"), e("10:01", "reminder_snoozed")],
     "stretching", "snooze"),
    ("later: not before", S, "10:20", [e("10:00", "reminder"), e("10:01", "reminder_snoozed")], "stretching", None),
    ("no answer counts as later", S, "10:35", [e("10:00", "reminder"), e("10:01", "reminder_unanswered")],
     "stretching", "snooze"),
    ("no: not again today", S, "16:00", [e("10:00", "reminder"), e("10:01", "reminder_declined")], "stretching",
     None),
    ("the next time", S, "16:00", [e("10:00", "reminder")], "stretching", "16:00"),
    ("never beyond the day's maximum", S, "16:40",
     [e("10:00", "reminder"), e("10:01", "reminder_snoozed"), e("10:31", "reminder"), e("10:32", "reminder_snoozed"),
      e("16:00", "reminder"), e("16:01", "reminder_snoozed")], "stretching", None),
    ("yesterday's reminders do not count", S, "10:00",
     [e("10:00", "reminder", -1), e("16:00", "reminder", -1), e("16:30", "reminder", -1)], "stretching", "10:00"),
    ("nothing left to do", S, "10:00", [], None, None),
    ("a session started since the time", S, "10:40", [e("10:20", "session_started", kind="stretching")],
     "stretching", None),
    ("quiet hours", ReminderSettings(times=(time(22, 0),), quiet=(time(21, 0), time(8, 0))), "22:00", [],
     "stretching", None),
    ("no reminder times", ReminderSettings(), "10:00", [], "stretching", None),
    ("after a safety stop: a check-in", S, "10:00",
     [e("09:00", "session_ended", -1, outcome="stopped_for_safety")], "stretching", "checkin"),
    ("after great tiredness: a check-in", S, "10:00",
     [e("09:00", "checkin_answer", -1, question="fatigue", value=8)], "stretching", "checkin"),
    ("until ready again", S, "10:00",
     [e("09:00", "session_ended", -1, outcome="stopped_for_safety"), e("09:30", "ready_again")], "stretching",
     "10:00"),
    ("a check-in since the time: quiet", S, "10:30",
     [e("09:00", "session_ended", -1, outcome="stopped_for_safety"), e("10:10", "session_started", kind="checkin")],
     None, None),
]


@pytest.mark.parametrize("settings, now, entries, nxt, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_reminder_table(settings: ReminderSettings, now: str, entries: list[Entry], nxt: str | None,
                        expected: str | None) -> None:
    r = due(settings, at(now), entries, next_program=nxt, next_title="daily stretching" if nxt else None)
    if expected is None:
        assert r is None
    elif expected == "checkin":
        assert r is not None and r.checkin and r.program is None
    else:
        assert r is not None and not r.checkin and r.slot == expected and r.program == "stretching"


def test_settings_parse_and_refuse() -> None:
    assert parse_times("16:00, 9:30") == (time(9, 30), time(16, 0))
    assert parse_times("none") == ()
    assert parse_quiet("21:00-08:00") == (time(21), time(8))
    assert quiet_now((time(21), time(8)), time(7, 59)) and not quiet_now((time(21), time(8)), time(8))
    assert quiet_now((time(13), time(14)), time(13, 30)) and not quiet_now(None, time(3))
    for bad in ("25:00", "nine", "9"):
        with pytest.raises(ConfigError, match="use a time like 09:30"):
            parse_times(bad)
    with pytest.raises(ConfigError, match="use a range like 21:00-08:00"):
        parse_quiet("21:00")


def test_fatigue_below_eight_does_not_gate() -> None:
    assert not checkin_first([e("09:00", "checkin_answer", question="fatigue", value=7)])
    assert checkin_first([e("09:00", "checkin_answer", question="fatigue", value=9)])
