"""Read-back where it helps: a spoken rating is read back when unsure (or always, if chosen); typed is certain."""

from __future__ import annotations

import pytest

from voice_coach.coach.coach import Coach
from voice_coach.coach.intents import Heard, Intent, Utterance
from voice_coach.coach.messages import Say
from voice_coach.coach.programs import load_program
from voice_coach.coach.settings import CoachSettings
from voice_coach.coach.table import State


def rating_state(always: bool) -> Coach:
    coach = Coach(load_program("resistance"), CoachSettings(always_confirm_rating=always))
    coach.start(0.0)
    coach.hear(Utterance(Intent.NUMBER, Heard("two"), 2), 1.0)
    coach.hear(Utterance(Intent.NO, Heard("no")), 2.0)
    coach.hear(Utterance(Intent.NEXT, Heard("ready")), 3.0)
    coach.tick(1000.0)
    assert coach.state is State.ASKING_RATING
    coach.outbox.clear()
    return coach


@pytest.mark.parametrize("source, confidence, always, read_back", [
    ("keyboard", 1.0, False, False),
    ("keyboard", 1.0, True, False),     # typed is certain even when every rating is read back
    ("caregiver", 1.0, True, False),
    ("voice", 0.9, False, False),       # heard for sure
    ("voice", 0.5, False, True),        # the recognizer was unsure
    ("voice", 0.9, True, True),         # the person chose confirm: always
])
def test_which_ratings_are_read_back(source: str, confidence: float, always: bool, read_back: bool) -> None:
    coach = rating_state(always)
    coach.hear(Utterance(Intent.NUMBER, Heard("four", confidence, source), 4), 1001.0)
    keys = [a.key for a in coach.outbox if isinstance(a, Say)]
    assert ("confirm_number" in keys) == read_back
    assert (coach.state is State.CONFIRMING) == read_back
    assert (coach.ratings == [4]) != read_back
