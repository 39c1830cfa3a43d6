"""The coach's states and its transition table, as data: trigger, sources, destination, guards, actions."""

from __future__ import annotations

from enum import Enum
from typing import Any


class State(Enum):
    """Where the coach is in a session."""

    IDLE = "idle"
    RECALLING = "recalling"
    PROPOSING = "proposing"
    ASKING_FEELING = "asking_feeling"
    ASKING_SYMPTOMS = "asking_symptoms"
    ASKING_WHICH_SYMPTOM = "asking_which_symptom"
    ASKING_DAILY = "asking_daily"
    INTRODUCING = "introducing"
    EXERCISING = "exercising"
    ASKING_RATING = "asking_rating"
    CONFIRMING = "confirming"
    OFFERING_REST = "offering_rest"
    RESTING = "resting"
    WAITING_NEXT = "waiting_next"
    PAUSED = "paused"
    ENDED = "ended"


S = State
LIVE = [s for s in State if s not in (S.IDLE, S.ENDED)]
"""States of a running session: stop, help and symptoms work in all of them."""
WAITING = [S.RECALLING, S.PROPOSING, S.ASKING_FEELING, S.ASKING_SYMPTOMS, S.ASKING_WHICH_SYMPTOM, S.ASKING_DAILY,
           S.INTRODUCING, S.ASKING_RATING, S.CONFIRMING, S.OFFERING_REST, S.WAITING_NEXT]
"""States that wait for an answer: silence there is reprompted, then pauses."""
RESUMABLE = [s for s in LIVE if s is not S.PAUSED]
QUESTIONS = [S.ASKING_SYMPTOMS, S.ASKING_WHICH_SYMPTOM]
BETWEEN = [S.RESTING, S.WAITING_NEXT]
ASK_TODAY = [S.PROPOSING, S.ASKING_FEELING, S.PAUSED]
"""Where "what's today?" is answered: at the start of a session or check-in, and while paused."""


MOVES_ON: dict[str, tuple[State, ...]] = {
    "no": (S.PROPOSING, *QUESTIONS, S.ASKING_DAILY),
    "next": (S.EXERCISING, *BETWEEN),
    "yes": tuple(BETWEEN),
    "skip": (S.INTRODUCING, S.EXERCISING, *BETWEEN),
    "repeat": (S.PROPOSING, S.INTRODUCING, *BETWEEN),
    "rest": (S.INTRODUCING, S.WAITING_NEXT),
}
"""Where a reply would move the session on past something (a symptom question, a set, an exercise): there a reply
the recognizer is unsure of is asked again rather than acted on (the go-aheads that start exercise and a "no" to a
symptom's read-back have rows of their own). A "yes" to a symptom, to rest or to the daily question, and every
symptom and "stop", lead toward safety and are not held back (an unsure symptom is read back, an unsure "stop"
pauses and asks)."""


def needs_agreement(state: State, trigger: str) -> bool:
    """Whether `trigger` in `state` needs a sure reply to act at once (`MOVES_ON`)."""
    return state in MOVES_ON.get(trigger, ())


def _row(trigger: str, source: Any, dest: State | None, *, when: Any = (),
         unless: Any = (), then: Any = ()) -> dict[str, Any]:
    return {"trigger": trigger, "source": source, "dest": dest, "conditions": when, "unless": unless,
            "after": then}


TRANSITIONS: list[dict[str, Any]] = [
    _row("begin", S.IDLE, S.RECALLING, when="asks_checked", then="welcome"),
    _row("begin", S.IDLE, S.PROPOSING, when="has_offer", then="welcome"),
    # After a safety stop last time: "Have you checked with your practitioner?" yes goes on, no rests today.
    _row("yes", S.RECALLING, S.PROPOSING, when="has_offer", then="propose"),
    _row("yes", S.RECALLING, S.ASKING_FEELING, then="ask_feeling"),
    _row("no", S.RECALLING, S.ENDED, then="rest_today"),
    _row("begin", S.IDLE, S.ASKING_FEELING, then="welcome"),
    # Always available: stop, help, symptoms, pause. A "stop" the recognizer is unsure of (only the grammar heard
    # it) never ends a session on a guess: it pauses and asks; while paused, any "stop" ends.
    _row("stop", RESUMABLE, S.PAUSED, unless="sure_stop", then="pause_unsure_stop"),
    _row("stop", LIVE, S.ENDED, then="end_by_user"),
    _row("finish", LIVE, S.ENDED, then="end_finished_early"),
    _row("cut_off", LIVE, S.ENDED, then="end_cut_off"),  # the input ended, or a signal: not the person's stop
    *[_row(trigger, list(states), None, unless="certain", then="unsure_ask_again")
      for trigger, states in MOVES_ON.items()],
    _row("help", LIVE, None, then="say_help"),
    _row("where", [S.INTRODUCING, S.EXERCISING, *BETWEEN], None, then="say_where"),
    _row("more", [S.PROPOSING, S.ASKING_FEELING], None, then="tell_more"),
    _row("symptom", LIVE, S.CONFIRMING, unless="sure_symptom", then="confirm_symptom"),
    _row("symptom", LIVE, None, when="in_checkin", then="note_symptom_and_continue"),
    _row("symptom", LIVE, S.ENDED, then="safety_stop"),
    _row("pause", RESUMABLE, S.PAUSED, then="pause_here"),
    # Silence: ask again, then pause safely; a pause left alone ends the session.
    _row("timeout", WAITING, None, when="can_reprompt", then="reprompt"),
    _row("timeout", WAITING, S.PAUSED, then="pause_on_silence"),
    _row("give_up", S.PAUSED, S.ENDED, then="end_abandoned"),
    # An unsure "resume", "yes" or "next" never starts exercise: the coach says so and asks again.
    _row("resume", S.PAUSED, None, unless="certain", then="unsure_go_on"),
    *[_row("resume", S.PAUSED, s, when=f"paused_from_{s.value}", then="resume_here") for s in RESUMABLE],
    # The microphone vanished: pause and say so; when it is back, go on where the session was (only a pause
    # the device caused ends by itself: a pause the person asked for waits for "resume").
    _row("device_lost", RESUMABLE, S.PAUSED, then="pause_for_device"),
    _row("device_lost", S.PAUSED, None, then="note_device_lost"),
    *[_row("device_back", S.PAUSED, s, when=["paused_for_device", f"paused_from_{s.value}"],
           then=["say_device_back", "resume_here"]) for s in RESUMABLE],
    _row("device_back", S.PAUSED, None, then="say_device_back"),
    # Today's plan, on request.
    _row("today", ASK_TODAY, None, then="tell_today"),
    # A lighter program proposed from the journal: only a yes changes anything.
    _row("yes", S.PROPOSING, S.ASKING_FEELING, then=["accept_offer", "ask_feeling"]),
    _row("no", S.PROPOSING, S.ASKING_FEELING, then=["decline_offer", "ask_feeling"]),
    _row("repeat", S.PROPOSING, None, then="offer_lighter"),
    # Check-in: fatigue, new symptoms, daily activities.
    _row("number", S.ASKING_FEELING, S.CONFIRMING, unless="sure", then="confirm_feeling"),
    _row("number", S.ASKING_FEELING, None, then="accept_feeling"),
    _row("feeling_ok", [S.ASKING_FEELING, S.CONFIRMING], S.ENDED, when="too_tired", then="stop_too_tired"),
    _row("feeling_ok", [S.ASKING_FEELING, S.CONFIRMING], S.ASKING_SYMPTOMS, then="ask_symptoms"),
    _row("yes", S.ASKING_SYMPTOMS, None, when="asks_one_kind", then="note_yes_to_kind"),
    _row("yes", S.ASKING_SYMPTOMS, S.ASKING_WHICH_SYMPTOM, then=["note_yes_to_any", "ask_which"]),
    _row("no", S.ASKING_SYMPTOMS, None, then="note_no_symptom"),
    # "Yes" then "no" to "which one?": the yes stands (logged already); it is a reason to stop for today.
    _row("no", S.ASKING_WHICH_SYMPTOM, S.ENDED, then="stop_for_unnamed_symptom"),
    _row("question_done", QUESTIONS, S.ASKING_SYMPTOMS, when="more_questions", then="ask_symptoms"),
    _row("question_done", QUESTIONS, S.ASKING_DAILY, when="asks_daily", then="ask_daily"),
    _row("question_done", QUESTIONS, S.ENDED, when="in_checkin", then="end_completed"),
    _row("question_done", QUESTIONS, S.INTRODUCING, then="introduce"),
    _row("yes", S.ASKING_DAILY, S.ENDED, then="daily_yes"),
    _row("no", S.ASKING_DAILY, S.ENDED, when="in_checkin", then=["daily_no", "end_completed"]),
    _row("no", S.ASKING_DAILY, S.INTRODUCING, then=["daily_no", "introduce"]),
    # Each exercise: introduce, cue, rate.
    _row("yes", S.INTRODUCING, None, unless="certain", then="unsure_go_on"),
    _row("next", S.INTRODUCING, None, unless="certain", then="unsure_go_on"),
    _row("yes", S.INTRODUCING, S.EXERCISING, then="begin_exercise"),
    _row("next", S.INTRODUCING, S.EXERCISING, then="begin_exercise"),
    _row("repeat", S.INTRODUCING, None, then="introduce"),
    _row("skip", S.INTRODUCING, None, then="skip_current"),
    _row("rest", [S.INTRODUCING, S.WAITING_NEXT], S.RESTING, then="start_rest"),
    _row("cue", S.EXERCISING, None, then="say_cue"),
    _row("repeat", S.EXERCISING, None, then="say_where"),
    _row("set_done", S.EXERCISING, S.ASKING_RATING, then=["log_exercise", "ask_rating"]),
    _row("next", S.EXERCISING, S.ASKING_RATING, then=["end_set_early", "log_exercise", "ask_rating"]),
    _row("skip", S.EXERCISING, S.ASKING_RATING, then=["end_set_early", "log_exercise", "ask_rating"]),
    _row("number", S.ASKING_RATING, S.CONFIRMING, when="must_confirm_rating", then="confirm_rating"),
    _row("number", S.ASKING_RATING, None, then="accept_rating"),
    # Read-back of what matters.
    _row("yes", S.CONFIRMING, S.ENDED, when="pending_symptom", then="safety_stop_pending"),
    _row("yes", S.CONFIRMING, None, when="pending_feeling", then="accept_feeling"),
    _row("yes", S.CONFIRMING, None, when="pending_rating", then="accept_rating"),
    _row("no", S.CONFIRMING, None, when="pending_symptom", unless="certain", then="ask_symptom_again"),
    _row("no", S.CONFIRMING, S.PAUSED, when="pending_symptom", then="symptom_denied"),
    _row("no", S.CONFIRMING, S.ASKING_FEELING, when="pending_feeling", then="ask_feeling"),
    _row("no", S.CONFIRMING, S.ASKING_RATING, when="pending_rating", then="ask_rating"),
    _row("number", S.CONFIRMING, None, when="pending_number", then="confirm_corrected"),
    _row("rating_ok", [S.ASKING_RATING, S.CONFIRMING], S.OFFERING_REST, when="too_hard", then="offer_rest"),
    _row("rating_ok", [S.ASKING_RATING, S.CONFIRMING], S.ENDED, when="last_exercise", then="end_completed"),
    _row("rating_ok", [S.ASKING_RATING, S.CONFIRMING], S.RESTING, then="start_rest"),
    # Rest, then next / repeat / skip.
    _row("yes", S.OFFERING_REST, S.RESTING, then="start_rest"),
    _row("rest", S.OFFERING_REST, S.RESTING, then="start_rest"),
    _row("no", S.OFFERING_REST, S.WAITING_NEXT, then="decline_rest"),
    _row("rest_over", S.RESTING, S.WAITING_NEXT, then="ask_next"),
    _row("next", BETWEEN, None, then="advance_next"),
    _row("yes", BETWEEN, None, then="advance_next"),
    _row("repeat", BETWEEN, S.INTRODUCING, then="introduce"),
    _row("skip", BETWEEN, None, then="skip_next"),
    _row("advance", [S.INTRODUCING, *BETWEEN], S.INTRODUCING, when="has_current", then="introduce"),
    _row("advance", [S.INTRODUCING, *BETWEEN], S.ENDED, then="end_completed"),
]
"""Rows are tried in order for a trigger; the first whose guards pass fires. dest None = stay.
Action names must differ from trigger names: with model_override the machine binds triggers over them."""
