"""The phrases a state takes and what a phrase means, as the speech tests check them."""

from __future__ import annotations

from functools import cache

from voice_coach.cli.speech import state_intents
from voice_coach.coach.intents import Heard, load_phrasebook

BOOK = load_phrasebook()


@cache
def phrases(state: str) -> tuple[str, ...]:
    return tuple(BOOK.phrases_for(state_intents(state)))


def meaning(text: str) -> tuple[object, ...] | None:
    u = BOOK.parse(Heard(text))
    return (u.intent, u.value, u.symptom) if u else None
