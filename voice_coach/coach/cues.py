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


def hold_around(cues: list[Cue], cue_index: int) -> tuple[Cue, Cue] | None:
    """The hold in progress when `cues[cue_index]` is the next cue due: its start (or resumed start) and release."""
    if cue_index >= len(cues) or cues[cue_index].key not in ("hold_half", "hold_release"):
        return None
    start = next(c for c in reversed(cues[:cue_index]) if c.key in ("hold_start", "hold_left"))
    release = next(c for c in cues[cue_index:] if c.key == "hold_release")
    return start, release


def resume_from(cues: list[Cue], cue_index: int, offset: float) -> tuple[int, float]:
    """Where an exercise paused `offset` seconds in goes on: (next cue, offset it restarts from). A hold in
    progress gets the rest of its time (a "hold_left" cue is put in to say it); a rep in progress starts again;
    a bout goes on where it was; otherwise the next cue comes after the lead-in."""
    hold = hold_around(cues, cue_index)
    if hold is not None:
        start, release = hold
        left = max(1, round(release.at_seconds - offset))
        cues.insert(cue_index, Cue(offset, "hold_left", {"side": start.slots["side"], "seconds": left}))
        return cue_index, offset
    following = cues[cue_index]
    if following.key == "rep_down":
        return cue_index - 1, cues[cue_index - 1].at_seconds
    if following.key in (None, "bout_progress", "bout_end"):
        return cue_index, offset
    return cue_index, following.at_seconds


def where_in(exercise: Exercise, cues: list[Cue], cue_index: int, offset: float) -> tuple[str, dict[str, object]]:
    """The prompt (key, slots) saying where the person is in the exercise, `offset` seconds in."""
    hold = hold_around(cues, cue_index)
    if hold is not None:
        start, release = hold
        return "hold_left", {"side": start.slots["side"], "seconds": max(1, round(release.at_seconds - offset))}
    done = sum(1 for c in cues[:cue_index] if c.rep_done)
    total = sum(1 for c in cues if c.rep_done)
    if exercise.tempo is not None:
        return "reps_left", {"done": done, "left": exercise.reps - done}
    if exercise.hold_seconds:
        return "holds_left", {"done": done, "total": total}
    return "bout_left", {"minutes": max(1, -int(-(exercise.minutes * 60 - offset) // 60))}


def stopped_early(exercise: Exercise, cues: list[Cue], cue_index: int, offset: float) -> tuple[str, dict[str, object]]:
    """The prompt saying what was done when an exercise is left `offset` seconds in ("You held the right side for
    8 of 20 seconds.", "You did 3 of 10 repetitions.")."""
    hold = hold_around(cues, cue_index)
    if hold is not None:
        start, release = hold
        seconds = round(exercise.hold_seconds)
        held = max(0, min(seconds, round(seconds - (release.at_seconds - offset))))
        return "stopped_in_hold", {"side_name": start.slots["side"], "held": held, "seconds": seconds}
    done = sum(1 for c in cues[:cue_index] if c.rep_done)
    total = sum(1 for c in cues if c.rep_done)
    if exercise.tempo is not None:
        return "stopped_reps", {"done": done, "total": total}
    if exercise.hold_seconds:
        return "stopped_holds", {"done": done, "total": total}
    return "stopped_bout", {"minutes": max(0, int(offset // 60))}
