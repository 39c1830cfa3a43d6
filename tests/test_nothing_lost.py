"""Item 6 of issue 20: nothing said is lost. Every answer is in the journal before the coach asks the next question,
and a "yes" to "any new cramps?" stays in the journal whatever follows (a "no", or silence until the end)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from tests.fakes import FakeClock, MemoryJournal, RecordingSpeaker, ScriptedListener
from voice_coach.coach.coach import Coach
from voice_coach.coach.intents import load_phrasebook
from voice_coach.coach.programs import load_program
from voice_coach.coach.prompts import load_prompts
from voice_coach.coach.settings import CoachSettings
from voice_coach.session.loop import SessionLoop

QUESTIONS = {"ask_feeling", "new_cramps_or_twitching", "new_cramps", "new_twitching", "ask_which_symptom", "ask_daily",
             "ask_rating", "confirm_number", "confirm_symptom", "offer_rest", "ask_ready", "ask_next", "ask_next_last"}
"""Prompt keys that ask something."""
ANSWERS = {"checkin_answer", "rating", "confirmation", "symptom", "read_back", "rest_offer", "proposal_accepted",
           "proposal_declined"}
"""Entries that record what an answer was."""
ANSWER_INTENTS = {"yes", "no", "number", "symptom"}
"""Replies that answer a question (commands such as "ready" or "skip" are in the journal as heard)."""


class EventJournal(MemoryJournal):
    """The in-memory journal, each entry also noted in the shared list of events (in order with what was said)."""

    def __init__(self, events: list[str]) -> None:
        super().__init__()
        self.events = events

    def append(self, session_id: str, kind: str, at: datetime, data: dict[str, Any] | None = None, **kw: Any) -> int:
        self.events.append(f"log {kind} {data.get('intent') if kind == 'heard' and data else ''}".strip())
        return super().append(session_id, kind, at, data, **kw)


class EventSpeaker(RecordingSpeaker):
    def __init__(self, events: list[str]) -> None:
        super().__init__()
        self.events = events

    def say(self, text: str, key: str) -> None:
        self.events.append(f"say {key}")
        super().say(text, key)


def run(program: str | None, replies: list[str], **settings: Any) -> tuple[list[str], EventJournal, str]:
    events: list[str] = []
    journal = EventJournal(events)
    coach = Coach(load_program(program) if program else None, CoachSettings(**settings))
    loop = SessionLoop(coach, listener=ScriptedListener(list(replies)), speaker=EventSpeaker(events),
                       journal=journal, clock=FakeClock(), prompts=load_prompts(), phrasebook=load_phrasebook())
    return events, journal, loop.run().outcome


SCRIPTS = {
    "session": ("resistance", ["two", "yes", "cramp"], {}),
    "session, yes then no": ("resistance", ["two", "yes", "no"], {}),
    "session, yes then silence": ("resistance", ["two", "yes"], {}),
    "session with ratings": ("resistance", ["three", "no", "ready", "four", "next", "ready", "eight", "no", "next",
                                            "skip", "stop"], {}),
    "check-in": (None, ["five", "yes", "no"], {}),
    "check-in, daily question": (None, ["five", "no", "yes", "no"], {"ask_daily": True}),
}


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_every_answer_is_logged_before_the_next_question(name: str) -> None:
    program, replies, settings = SCRIPTS[name]
    events, _, _ = run(program, replies, **settings)
    waiting = False  # an understood reply whose answer is not yet in the journal
    for event in events:
        if event.startswith("log heard") and event.split()[-1] in ANSWER_INTENTS:
            waiting = True
        elif event.startswith("log ") and event.split()[1] in ANSWERS:
            waiting = False
        elif event.startswith("say ") and event.split()[1] in QUESTIONS:
            assert not waiting, f"{event} asked before the last answer was logged: {events}"


@pytest.mark.parametrize("then", [["no"], []], ids=["no to which one", "silence to which one"])
def test_a_yes_to_new_cramps_stays_whatever_follows(then: list[str]) -> None:
    _, journal, outcome = run("resistance", ["two", "yes", *then])
    answers = [(r["data"]["question"], r["data"]["answer"]) for r in journal.rows if r["kind"] == "checkin_answer"
               and "answer" in r["data"]]
    assert ("new_cramps_or_twitching", "yes") in answers
    (ended,) = [r for r in journal.rows if r["kind"] == "session_ended"]
    assert "new_cramps_or_twitching" in ended["data"]["flags"]
    assert outcome == ("stopped_for_safety" if then else "abandoned")  # silence: never heard from again
