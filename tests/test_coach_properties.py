"""Properties of the coach under any sequence of replies and elapsed time (hypothesis)."""

from __future__ import annotations

import inspect

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.sessions import hard_week_offer, plan_day
from voice_coach.coach.coach import Coach
from voice_coach.coach.intents import SYMPTOM_KINDS, Heard, Intent, Utterance
from voice_coach.coach.messages import LogEntry, Say
from voice_coach.coach.programs import load_program
from voice_coach.coach.prompt_contract import OUTCOMES, PROMPT_SLOTS
from voice_coach.coach.table import TRANSITIONS, State

PROGRAMS = {name: load_program(name) for name in ("stretching", "resistance", "aerobic")}
OPENINGS = [None, plan_day(), hard_week_offer(), hard_week_offer(first_time=False)]
"""Plain; with today's plan ("what's today?"); with a lighter program proposed (PROPOSING)."""


@st.composite
def utterances(draw: st.DrawFn) -> Utterance:
    intent = draw(st.sampled_from(list(Intent)))
    conf = draw(st.sampled_from([1.0, 0.9, 0.5, 0.2]))
    value = draw(st.integers(0, 10)) if intent is Intent.NUMBER else None
    symptom = draw(st.sampled_from(SYMPTOM_KINDS)) if intent is Intent.SYMPTOM else None
    return Utterance(intent, Heard(intent.value, conf, "voice"), value, symptom)


DEVICE_EVENTS = ("microphone lost", "microphone back")
events = st.lists(st.one_of(utterances(), st.none(), st.floats(0.1, 900), st.sampled_from(DEVICE_EVENTS)),
                  max_size=60)
"""Replies (or unknown words), time passing, and the microphone failing and coming back, in any order."""


def _step(coach: Coach, step: object, t: float) -> float:
    """Apply one event; returns the time after it."""
    if isinstance(step, float):
        t += step
        coach.tick(t)
    elif step == "microphone lost":
        coach.input_lost(t, "PortAudio error")
    elif step == "microphone back":
        coach.input_back(t)
    else:
        coach.hear(step, t)  # type: ignore[arg-type]
    return t


def _drive(coach: Coach, steps: list, t: float = 0.0) -> float:
    coach.start(t)
    for step in steps:
        if coach.ended:
            break
        t = _step(coach, step, t)
    return t


@settings(max_examples=300, deadline=None)
@given(program=st.sampled_from([None, *PROGRAMS]), steps=events, opening=st.sampled_from(OPENINGS))
def test_any_sequence_keeps_a_valid_state_and_known_lines(program: str | None, steps: list, opening) -> None:
    coach = Coach(PROGRAMS.get(program) if program else None, opening=opening)
    _drive(coach, steps)
    assert isinstance(coach.state, State)
    for action in coach.outbox:
        if isinstance(action, Say):
            assert action.key in PROMPT_SLOTS
            assert set(action.slots) <= PROMPT_SLOTS[action.key]
    ended = [a for a in coach.outbox if isinstance(a, LogEntry) and a.kind == "session_ended"]
    assert len(ended) == (1 if coach.ended else 0)
    if coach.ended:
        assert coach.outcome in OUTCOMES
    else:
        assert coach.wake_at() is not None, "a live session always has a next timed event (never hangs)"


@settings(max_examples=300, deadline=None)
@given(program=st.sampled_from([None, *PROGRAMS]), steps=events, opening=st.sampled_from(OPENINGS))
def test_stop_ends_the_session_in_one_step(program: str | None, steps: list, opening) -> None:
    coach = Coach(PROGRAMS.get(program) if program else None, opening=opening)
    t = _drive(coach, steps)
    if coach.ended:
        return
    coach.outbox.clear()
    coach.hear(Utterance(Intent.STOP, Heard("stop", 0.1, "voice")), t)  # even when barely heard
    assert coach.ended and coach.outcome == "stopped_by_user"


@settings(max_examples=300, deadline=None)
@given(program=st.sampled_from(list(PROGRAMS)), steps=events, kind=st.sampled_from(SYMPTOM_KINDS),
       opening=st.sampled_from(OPENINGS))
def test_a_sure_symptom_always_ends_a_session_for_safety(program: str, steps: list, kind: str, opening) -> None:
    coach = Coach(PROGRAMS[program], opening=opening)
    t = _drive(coach, steps)
    if coach.ended:
        return
    coach.hear(Utterance(Intent.SYMPTOM, Heard(kind, 1.0, "voice"), symptom=kind), t)
    assert coach.ended and coach.outcome == "stopped_for_safety"
    assert "check_in_practitioner" in [a.key for a in coach.outbox if isinstance(a, Say)]


@settings(max_examples=200, deadline=None)
@given(program=st.sampled_from(list(PROGRAMS)), steps=events)
def test_silence_never_starts_an_exercise(program: str, steps: list) -> None:
    """Only a reply moves into EXERCISING: time alone never starts a set."""
    coach = Coach(PROGRAMS[program])
    t = _drive(coach, steps)
    while not coach.ended and coach.state is not State.EXERCISING:
        before = coach.state
        due = coach.wake_at()
        assert due is not None
        t = max(t, due)
        coach.tick(t)
        assert coach.state is not State.EXERCISING or before is State.EXERCISING
        if coach.state is before and coach.state is State.PAUSED:
            break


def test_no_action_is_shadowed_by_a_trigger() -> None:
    """With model_override the machine binds triggers over same-named methods: keep the names apart."""
    triggers = {row["trigger"] for row in TRANSITIONS}
    methods = {name for name, _ in inspect.getmembers(Coach, inspect.isfunction)}
    assert not triggers & methods


@settings(max_examples=300, deadline=None)
@given(steps=events)
def test_only_a_yes_to_the_proposal_makes_the_program_lighter(steps: list) -> None:
    """Whatever happens, the program in use changes only right after a yes heard while PROPOSING."""
    opening = OPENINGS[2]
    coach = Coach(PROGRAMS["resistance"], opening=opening)
    t = 0.0
    coach.start(t)
    for step in steps:
        if coach.ended:
            break
        before_state, before_program = coach.state, coach.program
        t = _step(coach, step, t)
        if coach.program is not before_program:
            assert before_state is State.PROPOSING and isinstance(step, Utterance) and step.intent is Intent.YES
            assert coach.program is opening.offer.program
    accepted = [a for a in coach.outbox if isinstance(a, LogEntry) and a.kind == "proposal_accepted"]
    assert len(accepted) == (1 if coach.program is not PROGRAMS["resistance"] else 0)
