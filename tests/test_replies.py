"""Real-sounding replies, per state (tests/data/replies.yaml): taken where they should be, refused elsewhere;
and no two phrases valid in one state sound too alike unless the pair is listed as harmless."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from voice_coach.access.confusability import REFUSE_BELOW, distance, load_dictionary
from voice_coach.access.words import intents_by_state
from voice_coach.coach.intents import Heard, Intent, load_phrasebook
from voice_coach.coach.table import State

TABLE = yaml.safe_load((Path(__file__).parent / "data" / "replies.yaml").read_text())
TOLERATED = {frozenset(pair) for pair in TABLE.pop("tolerated")}
BOOK = load_phrasebook()
TAKE = [(state, said, str(meant)) for state, t in TABLE.items() for said, meant in t["take"].items()]
REJECT = [(state, said) for state, t in TABLE.items() for said in t["reject"]]


def understood(state: str, said: str) -> tuple[Intent, int | None] | None:
    """What the coach acts on in `state`: the phrase's meaning there, if the state takes that intent."""
    u = BOOK.parse(Heard(str(said)), state=state)
    if u is None or u.intent not in intents_by_state()[State(state)]:
        return None
    return u.intent, u.value


@pytest.mark.parametrize("state, said, meant", TAKE, ids=[f"{s}:{w}" for s, w, _ in TAKE])
def test_a_natural_reply_is_taken(state: str, said: str, meant: str) -> None:
    got = understood(state, said)
    if meant.startswith("number "):
        assert got == (Intent.NUMBER, int(meant.split()[1]))
    else:
        assert got is not None and got[0] is Intent(meant)


@pytest.mark.parametrize("state, said", REJECT, ids=[f"{s}:{w}" for s, w in REJECT])
def test_a_reply_that_means_nothing_here_is_refused(state: str, said: str) -> None:
    assert understood(state, said) is None


def test_every_state_named_in_the_phrase_file_exists() -> None:
    assert set(BOOK.in_state) <= {s.value for s in State}


def test_no_two_phrases_of_a_state_sound_too_alike_unless_harmless() -> None:
    """The confusability check over every state's grammar (what the recognizer is given)."""
    d = load_dictionary()
    too_close = []
    for state, intents in intents_by_state().items():
        phrases = BOOK.phrases_for(intents, None, state.value)
        meaning = {p: BOOK.parse(Heard(p), state=state.value) for p in phrases}
        for i, a in enumerate(phrases):
            for b in phrases[i + 1:]:
                ma, mb = meaning[a], meaning[b]
                assert ma is not None and mb is not None
                if (ma.intent, ma.value, ma.symptom) == (mb.intent, mb.value, mb.symptom):
                    continue
                if ma.intent is Intent.NUMBER and mb.intent is Intent.NUMBER:
                    continue
                gap = distance(a, b, d)
                if gap is not None and gap < REFUSE_BELOW and frozenset((a, b)) not in TOLERATED:
                    too_close.append((state.value, a, b, round(gap, 3)))
    assert not too_close


def test_phrases_kept_out_of_the_grammar_are_still_understood_typed() -> None:
    grammar = set(BOOK.phrases_for(list(Intent)))
    for phrase in BOOK.unspoken:
        assert phrase not in grammar and BOOK.parse(Heard(phrase)) is not None
