"""Utterance → intent, from the table in tests/data/utterances.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from voice_coach.coach.intents import Heard, Intent, load_phrasebook
from voice_coach.errors import PromptError

CASES = yaml.safe_load((Path(__file__).parent / "data" / "utterances.yaml").read_text())


@pytest.mark.parametrize("case", CASES, ids=[c["say"] or "<empty>" for c in CASES])
def test_utterance_table(case: dict) -> None:
    got = load_phrasebook().parse(Heard(case["say"]))
    if case["intent"] is None:
        assert got is None
        return
    assert got is not None and got.intent is Intent(case["intent"])
    assert got.value == case.get("value")
    assert got.symptom == case.get("symptom")


def test_grammar_of_a_state_lists_exact_phrases_with_aliases() -> None:
    book = load_phrasebook()
    phrases = book.phrases_for([Intent.YES, Intent.STOP], aliases={"go go": "yes"})
    assert "yes" in phrases and "stop" in phrases and "go go" in phrases
    assert "next" not in phrases and "five" not in phrases
    assert book.parse(Heard("go go"), aliases={"go go": "yes"}).intent is Intent.YES  # type: ignore[union-attr]


def test_phrase_meaning_two_things_fails_at_load(tmp_path: Path) -> None:
    bad = tmp_path / "phrases.yaml"
    bad.write_text('intents:\n  "yes": [go]\n  next: [go]\n')
    with pytest.raises(PromptError, match=r"phrases.yaml: intents.next: phrase 'go' already means yes"):
        load_phrasebook(bad)


def test_unknown_intent_fails_at_load(tmp_path: Path) -> None:
    bad = tmp_path / "phrases.yaml"
    bad.write_text("intents:\n  jump: [jump]\n")
    with pytest.raises(PromptError, match="intents.jump: unknown intent"):
        load_phrasebook(bad)
