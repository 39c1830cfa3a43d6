"""Safety: a symptom from every state stops the session with its caution; stop ends in one step."""

from __future__ import annotations

import pytest

from tests.fakes import Reply
from tests.sessions import ROUTES_BEFORE_EXERCISE, run_session
from voice_coach.coach.intents import Certainty
from voice_coach.coach.table import LIVE, State

UNSURE = Certainty.UNSURE

LATE = {"when_asked": False}
READY = ["three", "no", "ready"]
ROUTES: dict[State, tuple[list[Reply | str], dict]] = {
    **ROUTES_BEFORE_EXERCISE,
    State.EXERCISING: ([*READY, Reply("@", 8, **LATE)], {}),
    State.ASKING_RATING: (READY, {}),
    State.CONFIRMING: ([*READY, "four"], {}),
    State.OFFERING_REST: ([*READY, "eight", "yes"], {}),
    State.RESTING: ([*READY, "four", "yes", Reply("@", 10, **LATE)], {}),
    State.WAITING_NEXT: ([*READY, "four", "yes"], {}),
    State.PAUSED: (["three", "pause"], {}),
}


def _route(state: State, last: str) -> tuple[list[Reply | str], dict]:
    replies, settings = ROUTES[state]
    replies = [Reply(last, r.after, r.confidence, r.when_asked) if isinstance(r, Reply) and r.text == "@" else r
               for r in replies]
    if not any(isinstance(r, Reply) and r.text == last for r in replies):
        replies = [*replies, last]
    return replies, settings


def test_every_live_state_has_a_route() -> None:
    assert set(ROUTES) == set(LIVE)


@pytest.mark.parametrize("state", list(ROUTES), ids=lambda s: s.value)
@pytest.mark.parametrize("said, kind, caution", [
    ("I've got a cramp", "cramp", "caution_cramp"),
    ("twitching", "fasciculation", "caution_fasciculation"),
    ("I feel dizzy", "dizziness", "caution_dizziness"),
    ("short of breath", "breathless", "caution_breathless"),
])
def test_symptom_from_every_state_stops_with_the_caution(state: State, said: str, kind: str, caution: str) -> None:
    replies, settings = _route(state, said)
    run = run_session("resistance", replies, **settings)
    assert run.listener.heard_states[-1] == state.value, "the symptom was heard in the state under test"
    assert run.result.outcome == "stopped_for_safety"
    keys = run.speaker.keys
    assert keys[keys.index("safety_stop"):] == ["safety_stop", caution, "summary", *(
        ["summary_ratings"] if "summary_ratings" in keys else []), "check_in_practitioner",
        "goodbye_stopped_for_safety"]
    symptoms = [r for r in run.journal.rows if r["kind"] == "symptom"]
    assert [s["data"]["kind"] for s in symptoms] == [kind] and symptoms[0]["transcript"] == said
    assert {"key": caution} in [r["data"] for r in run.journal.rows if r["kind"] == "caution_spoken"]
    assert kind in run.journal.rows[-1]["data"]["flags"]


@pytest.mark.parametrize("state", list(ROUTES), ids=lambda s: s.value)
def test_stop_from_every_state_ends_at_once(state: State) -> None:
    replies, settings = _route(state, "stop")
    run = run_session("resistance", replies, **settings)
    assert run.listener.heard_states[-1] == state.value
    assert run.result.outcome == "stopped_by_user"
    kinds = [k for k in run.journal.kinds() if k != "caution_spoken"]  # after a yes to new cramps: see your doctor
    assert kinds[-3:] == ["heard", "stop_requested", "session_ended"]


@pytest.mark.parametrize("state", [State.EXERCISING, State.ASKING_RATING, State.PAUSED], ids=lambda s: s.value)
def test_unsure_symptom_halts_and_never_resumes_exercise_by_itself(state: State) -> None:
    replies, settings = _route(state, "@")
    replies = [r for r in replies if r != "@" and not (isinstance(r, Reply) and r.text == "@")]
    replies.append(Reply("cramp", 8, 0.3, when_asked=state is not State.EXERCISING))
    replies.append("no")  # then silence: the coach must stay paused and finally close the session
    run = run_session("resistance", replies, **settings)
    keys = run.speaker.keys
    assert "confirm_symptom" in keys and "paused_after_denied" in keys
    after = keys[keys.index("paused_after_denied") + 1:]
    assert not any(k.startswith(("rep_", "set_", "hold_", "bout_", "intro_")) for k in after)
    assert run.result.outcome == "abandoned"


def test_hard_rating_ends_the_exercise_and_offers_rest() -> None:
    run = run_session("resistance", [*READY, "seven", "yes", "stop"])
    assert "offer_rest" in run.speaker.keys
    assert run.listener.heard_states[-1] == State.OFFERING_REST.value


def test_an_unsure_go_ahead_never_starts_exercise() -> None:
    """"ready" heard at confidence 0.5 (below the read-back threshold): the coach says it was not sure and asks
    again; exercise starts only on a sure "ready"."""
    run = run_session("resistance", [*READY[:2], Reply("ready", confidence=0.5), "ready", "stop"])
    keys = run.speaker.keys
    assert "unsure_begin" in keys
    assert "set_begin" not in keys[:keys.index("unsure_begin")] and "set_begin" in keys[keys.index("unsure_begin"):]
    assert [r["data"]["intent"] for r in run.journal.rows if r["kind"] == "unsure"] == ["next"]


def test_an_unsure_no_never_drops_a_symptom() -> None:
    """"Did you say cramp?" answered by a "no" heard at 0.5: the question is asked again; only a sure "no"
    pauses, and a "yes" then stops for safety."""
    run = run_session("resistance", [*READY[:2], Reply("cramp", confidence=0.4), Reply("no", confidence=0.5),
                                     "yes"])
    keys = run.speaker.keys
    assert keys.count("confirm_symptom") == 2 and "paused_after_denied" not in keys
    assert [r["data"]["intent"] for r in run.journal.rows if r["kind"] == "unsure"] == ["no"]
    assert run.result.outcome == "stopped_for_safety", keys


def test_a_lowered_read_back_threshold_still_asks_again_when_the_recognizer_was_unsure() -> None:
    """confirm_below lowered to 0.3 (fewer read-backs of ratings): a "ready" the recognizer marked unsure (only
    one judge heard it: Certainty.UNSURE, recorded at 0.59) still does not start exercise, and an unsure "no" still
    does not drop a symptom."""
    run = run_session("resistance", [*READY[:2], Reply("ready", confidence=0.59, certainty=UNSURE), "ready", "stop"],
                      confirm_below=0.3)
    assert "unsure_begin" in run.speaker.keys
    run = run_session("resistance", [*READY[:2], Reply("cramp", confidence=0.2),
                                     Reply("no", confidence=0.59, certainty=UNSURE), "yes"], confirm_below=0.3)
    assert run.speaker.keys.count("confirm_symptom") == 2 and run.result.outcome == "stopped_for_safety"


def test_an_unsure_resume_stays_paused() -> None:
    run = run_session("resistance", ["three", "pause", Reply("resume", confidence=0.4), "stop"])
    assert "unsure_resume" in run.speaker.keys and "resumed" not in run.speaker.keys
    assert run.result.outcome == "stopped_by_user"
