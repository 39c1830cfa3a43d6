"""The timed lines of one exercise: counting reps, holding stretches, announcing time left in a bout."""

from __future__ import annotations

from dataclasses import dataclass, field

from voice_coach.coach.programs import Exercise, Program

LEAD_IN_SECONDS = 3.0
"""Time between "begin" and the first count, to get into position."""


@dataclass(frozen=True)
class Cue:
    """One line spoken at a fixed offset from the start of the exercise."""

    at_seconds: float
    """Offset from the start of the exercise."""
    key: str | None
    """Prompt key; None for a silent mark (a minute of a bout passing between announcements)."""
    slots: dict[str, object] = field(default_factory=dict)
    """Values for the prompt's placeholders."""
    rep_done: bool = False
    """True when reaching this cue means one more rep, hold or minute is done."""


def cues_for(program: Program, exercise: Exercise) -> list[Cue]:
    """Every cue of the exercise in time order; the last one ends the set."""
    if exercise.tempo is not None:
        return _resistance(exercise)
    if exercise.hold_seconds:
        return _stretch(program, exercise)
    return _bout(program, exercise)


def _resistance(ex: Exercise) -> list[Cue]:
    assert ex.tempo is not None
    rep_seconds = ex.tempo.up_seconds + ex.tempo.down_seconds
    cues = [Cue(0.0, "set_begin", {"reps": ex.reps})]
    for n in range(1, ex.reps + 1):
        start = LEAD_IN_SECONDS + (n - 1) * rep_seconds
        cues.append(Cue(start, "rep_up", {"count": n, "cue": ex.tempo.up_cue}))
        cues.append(Cue(start + ex.tempo.up_seconds, "rep_down", {"cue": ex.tempo.down_cue}, rep_done=True))
    cues.append(Cue(LEAD_IN_SECONDS + ex.reps * rep_seconds, "set_end", {"reps": ex.reps}))
    return cues


def _stretch(program: Program, ex: Exercise) -> list[Cue]:
    cues: list[Cue] = []
    t = 0.0
    for side in ex.sides:
        for n in range(1, ex.reps_per_side + 1):
            cues.append(Cue(t, "hold_start", {"side": side, "count": n, "seconds": round(ex.hold_seconds)}))
            if ex.hold_seconds >= 20:
                cues.append(Cue(t + ex.hold_seconds / 2, "hold_half", {}))
            t += ex.hold_seconds
            cues.append(Cue(t, "hold_release", {}, rep_done=True))
            t += program.relax_seconds
    cues.append(Cue(t, "set_end_stretch", {}))
    return cues


def _bout(program: Program, ex: Exercise) -> list[Cue]:
    cues = [Cue(0.0, "bout_begin", {"minutes": round(ex.minutes)})]
    step = program.progress_every_minutes
    minute = 1.0
    while minute < ex.minutes:
        left = round(ex.minutes - minute)
        key = "bout_progress" if minute % step == 0 else None
        cues.append(Cue(minute * 60, key, {"minutes_left": left}, rep_done=True))
        minute += 1
    cues.append(Cue(ex.minutes * 60, "bout_end", {}, rep_done=True))
    return cues
