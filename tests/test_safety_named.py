"""What a line of the coach's own names of "stop" and the symptoms, and which heard words are then urgent."""

from __future__ import annotations

import pytest

from voice_coach.coach.intents import Heard, load_phrasebook

BOOK = load_phrasebook()


@pytest.mark.parametrize(("line", "named"), [
    ("How hard was that, from zero, nothing at all, to ten, the hardest you can imagine?", set()),
    ("How tired do you feel right now, from zero, not tired at all, to ten, exhausted?", {"extreme_fatigue"}),
    ("Say stop, or name a symptom like cramp or dizzy, at any time, and I will stop at once.",
     {"stop", "cramp", "dizziness"}),
    ("Have you had new or more muscle cramps since last time? Yes or no.", {"cramp"}),
    ("Halfway. Keep breathing.", set()),  # "breathing" is not "out of breath": whole words only
    ("Stopwatch ready.", set()),
    ("Helper, move slowly and stop if it hurts.", {"stop", "pain"}),
])
def test_a_line_names_the_safety_words_it_says_as_whole_words(line: str, named: set[str]) -> None:
    assert BOOK.safety_named(line) == named


@pytest.mark.parametrize(("heard", "own", "urgent"), [
    ("stop", frozenset(), True),
    ("stop", frozenset({"stop"}), False),  # the coach's own "say stop", heard back
    ("cramp", frozenset({"stop"}), True),
    ("i've got a cramp", frozenset({"cramp"}), False),
    ("exhausted", frozenset({"extreme_fatigue"}), False),
    ("stop now", frozenset({"extreme_fatigue"}), True),
    ("my leg has a cramp", frozenset(), True),  # a symptom inside a sentence
    ("next", frozenset(), False),
    ("pause", frozenset(), False),  # a pause waits for the line's end, as any reply
])
def test_only_a_stop_or_a_symptom_the_line_did_not_say_is_urgent(heard: str, own: frozenset[str],
                                                                  urgent: bool) -> None:
    assert BOOK.urgent(Heard(heard, 0.9, "voice"), None, own) is urgent
