"""The resident listener in the caregiver's report: how often it woke, how often for nothing, and the reminders."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from voice_coach.journal.journal import Entry

LISTEN_KINDS = frozenset({"listen_started", "listen_ended", "wake", "wake_cancelled", "wake_near_miss", "reminder",
                          "reminder_snoozed", "reminder_declined", "reminder_unanswered", "listen_starts",
                          "listen_paused", "ready_again", "input_lost", "input_back", "listen_resumed",
                          "switch_lost", "switch_back"})
"""Journal kinds the listener writes (resident.py, listener.py)."""


def listening(entries: Iterable[Entry]) -> dict[str, Any]:
    """Counts over the period: wakes (how many by the switch), wakes that came to nothing (cancelled, unanswered),
    near misses, sessions and check-ins the listener started, reminders and their answers, microphone losses."""
    count: dict[str, int] = {}
    started = {"session": 0, "checkin": 0}
    by_switch = 0
    for e in entries:
        count[e.kind] = count.get(e.kind, 0) + 1
        by_switch += e.kind == "wake" and e.data.get("how") == "switch"
        if e.kind == "listen_starts":
            started["checkin" if e.data.get("checkin") else "session"] += 1
    return {"wakes": count.get("wake", 0), "wakes_by_switch": by_switch,
            "wakes_for_nothing": count.get("wake_cancelled", 0),
            "near_misses": count.get("wake_near_miss", 0), "started": started,
            "reminders": count.get("reminder", 0), "reminders_later": count.get("reminder_snoozed", 0),
            "reminders_declined": count.get("reminder_declined", 0),
            "reminders_unanswered": count.get("reminder_unanswered", 0), "microphone_lost": count.get("input_lost", 0)}


def listening_line(summary: dict[str, Any] | None) -> str | None:
    """One line for the text report; None when the listener never ran in the period."""
    if not summary or not (summary["wakes"] or summary["reminders"] or summary["near_misses"]):
        return None
    s = summary
    switch = f"{s['wakes_by_switch']} by the switch, " if s.get("wakes_by_switch") else ""
    line = (f"Listening: woke {s['wakes']} time{'s' if s['wakes'] != 1 else ''} ({switch}{s['wakes_for_nothing']} for "
            f"nothing), {s['near_misses']} near miss{'es' if s['near_misses'] != 1 else ''}; started "
            f"{s['started']['session']} session{'s' if s['started']['session'] != 1 else ''} and "
            f"{s['started']['checkin']} check-in{'s' if s['started']['checkin'] != 1 else ''}")
    if s["reminders"]:
        line += (f"; {s['reminders']} reminder{'s' if s['reminders'] != 1 else ''} ({s['reminders_later']} later, "
                 f"{s['reminders_declined']} not today, {s['reminders_unanswered']} unanswered)")
    if s["microphone_lost"]:
        line += f"; microphone lost {s['microphone_lost']} time{'s' if s['microphone_lost'] != 1 else ''}"
    return line
