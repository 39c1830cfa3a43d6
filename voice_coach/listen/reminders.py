"""Reminders from the plan: which one is due now, from the settings, the time and the journal; pure."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from voice_coach.access.reminder_settings import ReminderSettings, quiet_now
from voice_coach.journal.journal import Entry
from voice_coach.listen.listener import Reminder

FATIGUE_CHECKIN_FIRST = 8
"""A fatigue of this or more (0-10) asks for a check-in instead of exercise until the person says they are ready."""
ANSWERED = ("reminder_snoozed", "reminder_unanswered")
"""After these the reminder comes back once the snooze is over (never beyond the day's maximum)."""


def checkin_first(entries: Iterable[Entry]) -> bool:
    """The latest session stopped for safety, or the latest fatigue answer was 8 or more, and no "I'm ready again"
    came after it: exercise waits for a check-in."""
    gate = False
    for e in entries:
        if e.kind == "session_ended" and e.data.get("outcome") == "stopped_for_safety":
            gate = True
        elif e.kind == "checkin_answer" and e.data.get("question") == "fatigue":
            value = e.data.get("value")
            if isinstance(value, int) and value >= FATIGUE_CHECKIN_FIRST:
                gate = True
        elif e.kind == "ready_again":
            gate = False
    return gate


def due(settings: ReminderSettings, now: datetime, entries: list[Entry], *, next_program: str | None,
        next_title: str | None) -> Reminder | None:
    """The reminder to say at `now` (local, timezone-aware), if any.

    A reminder time that has passed today is due once; "later" or no answer brings it back after the snooze;
    never in quiet hours, never more than the day's maximum, not after "no" today, not once a session (or, when a
    check-in comes first, a check-in) has started since the reminder time, and not when nothing is left to do."""
    if not settings.times or quiet_now(settings.quiet, now.time()):
        return None
    start_of_day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    today = [e for e in entries if e.at >= start_of_day and e.at <= now]
    given = [e for e in today if e.kind == "reminder"]
    if len(given) >= settings.max_per_day or any(e.kind == "reminder_declined" for e in today):
        return None
    gate = checkin_first(entries)
    if not gate and next_program is None:
        return None
    passed = [t for t in settings.times if t <= now.time()]
    if not passed:
        return None
    slot_at = datetime.combine(now.date(), passed[-1], tzinfo=now.tzinfo)
    started = [e for e in today if e.kind == "session_started" and e.at >= slot_at
               and (not gate or e.data.get("kind") == "checkin")]
    if started:
        return None
    last = given[-1] if given else None
    if last is None or last.at < slot_at:
        return Reminder(gate, None if gate else next_program, None if gate else next_title,
                        passed[-1].strftime("%H:%M"))
    answered = [e for e in today if e.kind in ANSWERED and e.at >= last.at]
    if answered and now >= answered[-1].at + timedelta(minutes=settings.snooze_minutes):
        return Reminder(gate, None if gate else next_program, None if gate else next_title, "snooze")
    return None
