"""What the coach remembers from last time: a safety stop, a fatigue of 8 or more, a session cut off."""

from __future__ import annotations

from voice_coach.coach.messages import Say
from voice_coach.journal.journal import Entry

HIGH_FATIGUE = 8
"""A fatigue at or above this at the last check-in is said at the start."""
CUT_OFF = ("abandoned", "input_ended", "interrupted")
"""Outcomes of a session that ended without the person choosing to (never heard from again, the input ended,
Ctrl-C or the program closed)."""


def recall(entries: list[Entry]) -> tuple[tuple[Say, ...], bool]:
    """The lines said at the start about last time, and whether to ask if the person has checked with their
    health care practitioner (after a safety stop)."""
    sessions: dict[str, list[Entry]] = {}
    for e in entries:
        if e.session_id != "caregiver":
            sessions.setdefault(e.session_id, []).append(e)
    started = [s for s in sessions.values() if any(e.kind == "session_started" for e in s)]
    if not started:
        return (), False
    last = max(started, key=lambda s: s[0].id)
    lines: list[Say] = []
    ended = next((e for e in last if e.kind == "session_ended"), None)
    outcome = ended.data.get("outcome") if ended else None
    asks = False
    if outcome == "stopped_for_safety":
        kinds = [e.data.get("kind") for e in last if e.kind == "symptom"]
        if kinds:
            lines.append(Say("recall_symptom", {"symptom": kinds[-1]}))
        else:
            lines.append(Say("recall_safety"))
        asks = True
    elif ended is None or outcome in CUT_OFF:
        begin = next(e for e in last if e.kind == "session_started")
        if begin.data.get("kind") != "checkin":
            done = sum(1 for e in last if e.kind == "exercise_done")
            lines.append(Say("recall_cut_off", {"done": done, "total": begin.data.get("exercises", 0)}))
    checkins = {sid for sid, s in sessions.items()
                if any(e.kind == "session_started" and e.data.get("kind") == "checkin" for e in s)}
    fatigue = [e for e in entries if e.kind == "checkin_answer" and e.data.get("question") == "fatigue"
               and e.session_id in checkins]
    if fatigue and isinstance(fatigue[-1].data.get("value"), int) and fatigue[-1].data["value"] >= HIGH_FATIGUE:
        lines.append(Say("recall_fatigue", {"value": fatigue[-1].data["value"]}))
    return tuple(lines), asks
