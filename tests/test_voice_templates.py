"""The person's own takes (voice_coach/voice_templates.py): the time-warped matching, the file, the rule that weighs
a take beside Whisper's verdict; and, with the real Whisper model on committed audio, slowed and band-limited speech
that Whisper alone misses, understood after a voice check of the same voice, while speech not meant for the coach
still is not acted on."""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from tests.fakes import RecordingSpeaker
from voice_coach.access.voice_check import PhraseResult, VoiceCheckResult, check_live
from voice_coach.cli.access import register
from voice_coach.cli.main import app, main
from voice_coach.cli.speech import state_intents
from voice_coach.coach.clocks import VirtualClock
from voice_coach.coach.intents import Heard, load_phrasebook
from voice_coach.errors import ConfigError
from voice_coach.speech.audio_io import PcmSource, read_wav
from voice_coach.speech.listener import StreamListener
from voice_coach.speech.opinion_rules import (
    VOICE_CONFIDENCE,
    VOICE_FAR,
    VOICE_GAP,
    VOICE_NEAR,
    VOICE_SURE,
    Verdict,
    verified,
    voice_rule,
)
from voice_coach.speech.recognition import UNSURE_CONFIDENCE, Decoded
from voice_coach.speech.recognizers import known_phrases, load_whisper_check
from voice_coach.speech.second_opinion import SecondOpinion
from voice_coach.speech.sphinx import SphinxRecognizer
from voice_coach.speech.voice_templates import (
    LENGTH_RATIO,
    MAX_TAKE_FRAMES,
    MAX_TAKES,
    MIN_PHRASES,
    NOISY_COPY_SNR_DB,
    Match,
    TakeRecorder,
    VoiceTemplates,
    learn,
    load_templates,
    speech_span,
    templates_path,
    warped_distances,
    with_pink_noise,
)
from voice_coach.speech.whisper_check import WhisperCheck

from .mixing import placed

register(app)
AUDIO = Path(__file__).parent / "audio"
TAKES = AUDIO / "takes" / "slowbl" / "en-us_175"
BOOK = load_phrasebook()


FEW = ("next", "skip", "stop", "pause", "yes", "no")


@pytest.fixture
def few_takes(tmp_path: Path) -> Path:
    """Two tries each of six commands (a quicker voice check than all 28 words)."""
    folder = tmp_path / "few"
    folder.mkdir()
    for word in FEW:
        for n in (1, 2):
            shutil.copy(TAKES / f"{word}_{n}.wav", folder)
    return folder


def unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def frames(seed: int, n: int = 30) -> np.ndarray:
    return unit(np.random.default_rng(seed).normal(size=(n, 16)).astype(np.float32))


# ----- matching ---------------------------------------------------------------------------------------------------
def test_the_same_frames_are_at_distance_zero_and_a_slower_take_stays_near() -> None:
    word = frames(1)
    slower = np.repeat(word, 2, axis=0)  # the same word said at half the speed
    other = frames(2)
    d = warped_distances(word, [word, slower, other])
    assert d[0] == pytest.approx(0.0, abs=1e-6)
    assert d[1] == pytest.approx(0.0, abs=1e-6)
    assert d[2] > 0.3
    assert np.isinf(warped_distances(word[:0], [word])).all()


def plain_dtw(a: np.ndarray, b: np.ndarray) -> float:
    """The textbook recurrence, cell by cell."""
    cost = 1 - a @ b.T
    total = np.full((len(a) + 1, len(b) + 1), np.inf)
    total[0, 0] = 0
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            total[i, j] = cost[i - 1, j - 1] + min(total[i - 1, j], total[i, j - 1], total[i - 1, j - 1])
    return float(total[len(a), len(b)] / (len(a) + len(b)))


def test_the_warping_is_the_textbook_recurrence() -> None:
    rng = np.random.default_rng(5)
    for _ in range(10):
        query = frames(int(rng.integers(1000)), int(rng.integers(1, 30)))
        takes = [frames(int(rng.integers(1000)), int(rng.integers(1, 30))) for _ in range(5)]
        assert warped_distances(query, takes) == pytest.approx([plain_dtw(query, t) for t in takes], abs=1e-6)


def test_matching_sees_takes_added_or_replaced_after_an_earlier_match() -> None:
    t = VoiceTemplates({"next": [frames(1)], "stop": [frames(2)]})
    heard = frames(3)
    before = t.match(heard, ["next", "stop", "skip"])
    assert before is not None and before.phrase != "skip"
    t.add("skip", heard)
    after = t.match(heard, ["next", "stop", "skip"])
    assert after is not None and after.phrase == "skip" and after.distance == pytest.approx(0.0, abs=1e-3)
    t.put("skip", [frames(4)])
    again = t.match(heard, ["next", "stop", "skip"])
    assert again is not None and again.distance > 0.3


def test_only_takes_of_a_comparable_length_are_compared() -> None:
    t = VoiceTemplates({"next": [frames(1, 10)], "stop": [frames(2, 30)], "skip": [frames(3, 91)]})
    match = t.match(frames(2, 30), ["next", "stop", "skip"])  # 10 and 90 are within 3x of 30; 91 is not
    assert match is not None and match.phrase == "stop" and match.runner_up < np.inf
    assert t.match(frames(3, 91)[:20], ["skip"]) is None  # 91 frames is more than 3x 20
    assert t.match(frames(4, 8), ["next", "stop", "skip"]) is not None  # 10 is within 3x of 8


def test_the_nearest_phrase_wins_among_the_states_phrases_only() -> None:
    t = VoiceTemplates({"next": [frames(1)], "stop": [frames(2)], "five": [frames(3)]})
    heard = frames(2)
    match = t.match(heard, ["next", "stop", "cramp"])
    assert match is not None and match.phrase == "stop" and match.distance == pytest.approx(0.0, abs=1e-4)
    assert match.runner_up > 0.3 and match.gap == match.runner_up - match.distance
    assert match.typical == np.inf and match.ratio == np.inf  # too few phrases to say what is typical: no decision
    assert voice_rule(whisper(None, reason="not_for_coach"), match).phrase is None
    more = VoiceTemplates({**t.takes, **{f"word {k}": [frames(10 + k)] for k in range(MIN_PHRASES)}})
    typical = more.match(heard, ["next", "stop"])
    assert typical is not None and 0.3 < typical.typical < 1.0 and typical.ratio < 0.01
    elsewhere = t.match(heard, ["next", "five"])  # nearest to "stop", which this state does not take
    assert elsewhere is not None and elsewhere.phrase != "stop" and elsewhere.gap < 0
    assert t.match(heard, ["cramp"]) is None
    only = t.match(heard, ["stop"])
    assert only is not None and only.runner_up > 0.3  # the runner-up is any other phrase learned
    alone = VoiceTemplates({"stop": [frames(2)]}).match(heard, ["stop"])
    assert alone is not None and alone.runner_up == np.inf


def test_takes_of_a_length_no_command_has_are_left_out() -> None:
    t = VoiceTemplates({"next": [frames(1, 20)], "long": [frames(2, MAX_TAKE_FRAMES + 1)]})
    assert t.phrases() == ["next"]
    assert t.match(frames(3, 20 * int(LENGTH_RATIO) + 5), ["next"]) is None  # 3x longer than any take
    assert t.match(frames(3, 25), ["next"]) is not None


def test_takes_are_saved_and_read_back(tmp_path: Path) -> None:
    t = VoiceTemplates()
    for k in range(MAX_TAKES + 2):
        t.add("short of breath", frames(k))
    t.add("next", frames(40, 12))
    t.save(tmp_path / "v.npz")
    back = VoiceTemplates.load(tmp_path / "v.npz")
    assert back.phrases() == ["next", "short of breath"] and len(back) == MAX_TAKES + 1
    kept = back.takes["short of breath"]
    assert np.allclose(kept[0], frames(2), atol=2e-3) and np.allclose(kept[-1], frames(MAX_TAKES + 1), atol=2e-3)


def test_an_unreadable_takes_file_is_one_line_and_recognition_goes_on(tmp_path: Path,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    bad = tmp_path / "voice_templates.npz"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ConfigError) as err:
        VoiceTemplates.load(bad)
    assert str(bad) in err.value.message and "voice-check" in err.value.message and "\n" not in err.value.message
    with caplog.at_level(logging.WARNING):
        assert load_templates(bad) is None
    assert "voice-check --forget" in caplog.text
    assert load_templates(tmp_path / "none.npz") is None
    for name, content in (("npy", np.zeros((3, 384))), ("flat", {"0_phrase": np.array("next"), "0_0": np.zeros(384)}),
                          ("nan", {"0_phrase": np.array("next"), "0_0": np.full((4, 384), np.nan)}),
                          ("widths", {"0_phrase": np.array("a"), "0_0": np.ones((4, 384)), "1_phrase": np.array("b"),
                                      "1_0": np.ones((4, 512))})):
        path = tmp_path / f"{name}.npz"
        with open(path, "wb") as f:
            if isinstance(content, dict):
                np.savez(f, **content)
            else:
                np.save(f, content)
        with pytest.raises(ConfigError, match="cannot read your voice-check takes"):
            VoiceTemplates.load(path)


def test_learning_keeps_takes_with_speech_and_replaces_a_phrases_old_takes() -> None:
    word = read_wav(TAKES / "next_1.wav")
    silent = bytes(32000)
    old = VoiceTemplates({"next": [frames(1)], "stop": [frames(2)]})
    lengths: list[int] = []

    def frames_of(pcm: bytes) -> np.ndarray:
        lengths.append(len(pcm))
        return frames(3)

    new, kept = learn({"next": [word, silent], "pause": [silent]}, frames_of, old)
    assert kept == 1 and lengths == [len(word), len(word)]  # the try as said, and with noise added
    assert new.phrases() == ["next", "stop"] and len(new.takes["next"]) == 2
    assert len(old.takes["next"]) == 1 and np.allclose(old.takes["next"][0], frames(1), atol=2e-3)  # untouched
    start, end = speech_span(word)
    assert 0 < start < end < len(word) // 160


# ----- the rule -----------------------------------------------------------------------------------------------------
def whisper(phrase: str | None, confidence: float = 0.9, reason: str = "ok") -> Verdict:
    return Verdict(phrase, confidence if phrase else 0.0, reason, "heard", 0.0 if phrase else -4.0, phrase)


def take(phrase: str, ratio: float, gap: float = 0.1, typical: float = 0.4) -> Match:
    """A take at `ratio` of the utterance's typical distance to words, the next phrase `gap` farther."""
    return Match(phrase, ratio * typical, ratio * typical + gap, typical)


SURE, NEAR, FAR = VOICE_SURE - 0.01, (VOICE_SURE + VOICE_NEAR) / 2, VOICE_NEAR + 0.01


@pytest.mark.parametrize(("verdict", "match", "phrase", "confidence"), [
    (whisper(None, reason="not_for_coach"), take("next", FAR), None, 0.0),  # a far take changes nothing
    (whisper(None, reason="not_for_coach"), take("next", SURE, VOICE_GAP / 2), None, 0.0),  # two phrases alike
    (whisper(None, reason="not_for_coach"), take("next", SURE, typical=VOICE_FAR / SURE + 0.1), None, 0.0),
    (whisper(None, reason="not_for_coach"), take("next", SURE), "next", VOICE_CONFIDENCE),
    (whisper(None, reason="no_speech"), take("stop", NEAR), "stop", UNSURE_CONFIDENCE),
    (whisper(None, reason="other_phrase"), take("next", NEAR), None, 0.0),  # "ten" said clearly, near "next"
    (whisper(None, reason="other_phrase"), take("next", SURE), "next", UNSURE_CONFIDENCE),
    (whisper("five", 0.7), take("five", SURE), "five", VOICE_CONFIDENCE),
    (whisper("five", 0.95), take("five", NEAR), "five", 0.95),
    (whisper("okay", UNSURE_CONFIDENCE), take("skip", SURE), "skip", UNSURE_CONFIDENCE),  # a garbled guess
    (whisper("five", 0.9), take("nine", SURE), "five", UNSURE_CONFIDENCE),  # they disagree: read back
    (whisper("five", 0.9), take("nine", NEAR), "five", UNSURE_CONFIDENCE),
    (whisper("stop", UNSURE_CONFIDENCE), take("yes", SURE), "stop", UNSURE_CONFIDENCE),  # "Yes. Stop.": stop stays
    (whisper("cramp", UNSURE_CONFIDENCE), take("dizzy", SURE), "dizzy", UNSURE_CONFIDENCE),
    (whisper(None, reason="not_for_coach"), take("next", float("nan")), None, 0.0),
])
def test_a_take_weighs_beside_whispers_verdict(verdict: Verdict, match: Match, phrase: str | None,
                                               confidence: float) -> None:
    out = voice_rule(verdict, match, frozenset({"stop", "cramp", "dizzy"}))
    assert (out.phrase, out.confidence) == (phrase, confidence)
    assert out.match == match
    assert (out.reason == "ok") == (phrase is not None)


def test_what_the_takes_left_unsure_stays_unsure_when_the_grammar_agrees() -> None:
    """The grammar forces speech onto its nearest phrase, as the takes do: their agreement lifts nothing."""
    ready = Decoded("ready", 0.9, True, "ok", -20.0, 0)
    near = verified(ready, voice_rule(whisper(None, reason="not_for_coach"), take("ready", NEAR)))
    assert (near.text, near.confidence) == ("ready", UNSURE_CONFIDENCE)
    ten = verified(replace(ready, text="next"), voice_rule(whisper(None, reason="other_phrase"), take("next", SURE)))
    assert (ten.text, ten.confidence) == ("next", UNSURE_CONFIDENCE)
    sure = verified(ready, voice_rule(whisper(None, reason="not_for_coach"), take("ready", SURE)))
    assert (sure.text, sure.confidence) == ("ready", 0.9)


def test_a_take_of_another_symptom_outweighs_the_grammars_symptom_only() -> None:
    """The slowed "dizzy" the grammar forced onto "too tired": the person's take says "dizzy" (read back); a take
    of a rating never outweighs the grammar's symptom."""
    grammar = Decoded("too tired", 0.9, True, "ok", -20.0, 0)
    urgent = frozenset({"too tired", "dizzy", "stop"})
    took = voice_rule(whisper(None, reason="not_for_coach"), take("dizzy", SURE))
    out = verified(grammar, replace(took, scores=(("too tired", -2.0),)), urgent)
    assert (out.text, out.confidence) == ("dizzy", UNSURE_CONFIDENCE)
    rating = voice_rule(whisper(None, reason="not_for_coach"), take("five", SURE))
    out = verified(grammar, replace(rating, scores=(("too tired", -2.0),)), urgent)
    assert out.text == "too tired" and out.accepted
    stop = voice_rule(whisper(None, reason="not_for_coach"), take("stop", SURE))  # never displaces a symptom
    assert verified(grammar, replace(stop, scores=(("too tired", -2.0),)), urgent).text == "too tired"
    alike = voice_rule(whisper(None, reason="not_for_coach"), take("dizzy", SURE, VOICE_GAP / 2))  # not decided
    assert verified(grammar, replace(alike, scores=(("too tired", -2.0),)), urgent).text == "too tired"


# ----- the recorder -----------------------------------------------------------------------------------------------
class Inner:
    name = "inner"
    last = Decoded("next", 0.9, True, "ok")
    verify_seconds = 0.25
    phrases = frozenset({"next"})

    def __init__(self) -> None:
        self.fed = 0
        self.prepared = 0

    def prepare(self) -> bool:
        self.prepared += 1
        return True

    def begin(self, phrases: tuple[str, ...]) -> None:
        self.fed = 0

    def feed(self, pcm: bytes) -> str | None:
        self.fed += len(pcm)
        return None

    def end(self) -> Heard | None:
        return Heard("next", 0.9, "voice")


def test_the_recorder_keeps_each_utterances_audio_and_passes_everything_on() -> None:
    rec = TakeRecorder(Inner())
    rec.begin(("next",))
    rec.feed(b"\x01\x00" * 10)
    rec.feed(b"\x02\x00" * 5)
    assert rec.end() == Heard("next", 0.9, "voice")
    assert rec.take == b"\x01\x00" * 10 + b"\x02\x00" * 5 and rec.inner.fed == 30 and rec.name == "inner"
    assert rec.prepare() and rec.inner.prepared == 1 and rec.last == Inner.last and rec.verify_seconds == 0.25
    assert rec.phrases == {"next"}
    rec.begin(("next",))
    assert rec.take == b"\x01\x00" * 10 + b"\x02\x00" * 5  # kept until the next utterance ends


# ----- with the real model -------------------------------------------------------------------------------------------
@pytest.fixture
def check(whisper_on: None) -> object:
    made = load_whisper_check()
    assert made is not None
    yield made
    made.templates = None


def slowed(state_of: dict[str, str]) -> list[tuple[str, str]]:
    return [(p.stem.replace("_", " "), state_of.get(p.stem, "asking_rating"))
            for p in sorted((AUDIO / "slowbl" / "en-us_175").glob("*.wav"))]


def understood(rec: SphinxRecognizer, clips: list[tuple[str, str]]) -> list[str]:
    out = []
    for word, state in clips:
        pcm = read_wav(AUDIO / "slowbl" / "en-us_175" / f"{word.replace(' ', '_')}.wav")
        rec.begin(tuple(BOOK.phrases_for(state_intents(state))))
        for i in range(0, len(pcm), 960):
            rec.feed(pcm[i:i + 960])
        rec.feed(bytes(32000))
        heard = rec.end()
        unit, said = BOOK.parse(heard) if heard is not None else None, BOOK.parse(Heard(word))
        if unit is not None and said is not None and unit.intent in state_intents(state) and (
                unit.intent, unit.value, unit.symptom) == (said.intent, said.value, said.symptom):
            out.append(word)
    return out


STATE_OF = {"yes": "asking_symptoms", "no": "asking_symptoms", "next": "waiting_next", "repeat": "waiting_next",
            "skip": "waiting_next", "pause": "waiting_next", "resume": "paused", "rest": "waiting_next",
            "ready": "waiting_next", "stop": "waiting_next", "help": "waiting_next"}


def test_a_voice_check_of_slowed_speech_teaches_the_coach_that_voice(check: WhisperCheck,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """The slowed, band-limited en-us voice (0.7x tempo, 2.5 kHz): Whisper with the grammar understands 7 of its
    ten clips (5 before the number probe found "six" and "nine"); after a voice check of two other takes of each
    word (other speed and pitch), at least nine, measured ten. Speech not meant for the coach, matched against
    those takes, is still never acted on."""
    rec = SecondOpinion(SphinxRecognizer(known_phrases()), check)
    clips = slowed(STATE_OF)
    before = understood(rec, clips)
    assert main(["voice-check", "--input", str(TAKES), "--backend", "pocketsphinx", "--learn"]) == 0
    out = capsys.readouterr().out
    assert "learned how you say 28 phrases from 56 tries" in out
    check.templates = load_templates()
    assert check.templates is not None and len(check.templates) == 112 and templates_path().is_file()
    after = understood(rec, clips)
    assert len(before) <= 7 and len(after) >= 9 and set(before) <= set(after)
    acted = []
    for path in sorted((AUDIO / "oog" / "en-us_175").glob("*.wav")) + sorted((AUDIO / "bad").glob("*.wav")):
        pcm = read_wav(path)
        for state in ("asking_rating", "waiting_next", "asking_symptoms"):
            rec.begin(tuple(BOOK.phrases_for(state_intents(state))))
            rec.feed(pcm + bytes(32000))
            heard = rec.end()
            unit = BOOK.parse(heard) if heard is not None else None
            if unit is not None and unit.intent in state_intents(state):
                acted.append(f"{path.name}@{state}->{heard.text}")  # type: ignore[union-attr]
    assert acted == []


def test_forget_removes_the_takes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["voice-check", "--forget"]) == 0
    assert "nothing to forget" in capsys.readouterr().out
    VoiceTemplates({"next": [frames(1)]}).save(templates_path())
    assert main(["voice-check", "--forget"]) == 0
    assert "forgot how you say the commands" in capsys.readouterr().out and not templates_path().exists()


def test_takes_that_cannot_be_saved_are_one_line(check: WhisperCheck, few_takes: Path,
                                                 read_only_dir: tuple[Path, object],
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    folder, make_read_only = read_only_dir
    monkeypatch.setattr("voice_coach.speech.voice_templates.templates_path", lambda: folder / "voice_templates.npz")
    make_read_only()  # type: ignore[operator]
    code = main(["voice-check", "--input", str(few_takes), "--backend", "pocketsphinx", "--learn"])
    err = capsys.readouterr().err
    assert code != 0 and "cannot save how you say the commands" in err and "Traceback" not in err
    assert "saved in the journal" in err  # the check's result itself is kept


def test_a_live_voice_check_keeps_each_tries_audio(check: WhisperCheck) -> None:
    """Three tries of "next" through a real listener: each try's audio is kept for learning."""
    take = read_wav(TAKES / "next_1.wav")
    stream = placed(14.0, [(take, 1.0), (take, 5.0), (take, 9.0)])
    listener = StreamListener(PcmSource(stream), SecondOpinion(SphinxRecognizer(known_phrases()), check))
    result = check_live(["next"], listener, RecordingSpeaker(), VirtualClock(), answer_seconds=4.0, backend="x")
    assert [len(t) for t in result.takes["next"]] and len(result.takes["next"]) == 3
    assert all(len(t) >= len(take) * 0.8 for t in result.takes["next"])
    assert isinstance(listener.recognizer, TakeRecorder)


def test_recognize_uses_the_latest_voice_check(check: WhisperCheck, few_takes: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """`voice-coach recognize` on a slowed "skip": rejected before a voice check; after one, taken as skip, and the
    JSON names the nearest take."""
    clip = str(AUDIO / "slowbl" / "en-us_175" / "skip.wav")
    args = ["recognize", "--state", "waiting_next", "--backend", "pocketsphinx", "--json", clip]
    assert main(args) == 0
    before = json.loads(capsys.readouterr().out)["files"][0]["utterances"][0]
    assert before.get("intent") != "skip" and "nearest_take" not in before
    assert main(["voice-check", "--input", str(few_takes), "--backend", "pocketsphinx", "--learn"]) == 0
    capsys.readouterr()
    assert main(args) == 0
    after = json.loads(capsys.readouterr().out)["files"][0]["utterances"][0]
    assert after["intent"] == "skip" and after["nearest_take"].startswith("skip ")


def test_a_folder_check_learns_only_when_asked_and_scores_without_the_takes(
        check: WhisperCheck, few_takes: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A caregiver checking recordings does not replace the person's takes unless asked (--learn); the check's own
    score is the recognizer's without the takes (tries would match themselves), so it does not change after."""
    args = ["voice-check", "--input", str(few_takes), "--backend", "pocketsphinx"]
    assert main(args) == 0
    first = capsys.readouterr().out
    assert "learned" not in first and not templates_path().exists()
    assert main([*args, "--learn"]) == 0
    assert "learned how you say 6 phrases from 12 tries" in capsys.readouterr().out
    assert main(args) == 0
    again = capsys.readouterr().out
    score = [line for line in first.splitlines() if line.startswith("recognised")]
    assert score and score == [line for line in again.splitlines() if line.startswith("recognised")]


def test_an_unreadable_takes_file_is_set_aside_not_overwritten(check: WhisperCheck, few_takes: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    path = templates_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not takes")
    assert main(["voice-check", "--input", str(few_takes), "--backend", "pocketsphinx", "--learn"]) == 0
    out = capsys.readouterr().out
    assert "set aside as" in out and path.with_name(path.name + ".bad").read_bytes() == b"not takes"
    assert VoiceTemplates.load(path).phrases()


def test_only_tries_with_something_in_them_are_offered_for_learning() -> None:
    result = VoiceCheckResult([PhraseResult("next", "next", ["next", "stop", None, None], 1)], "mic", "x",
                              {"next": [b"a", b"b", b"c", b""], "pause": [b""]})
    assert result.tries_to_learn() == {"next": [b"a", b"b", b"c"]}


def test_the_noisy_copy_has_pink_noise_ten_db_under_the_speech() -> None:
    word = read_wav(TAKES / "next_1.wav")
    noisy = with_pink_noise(word, NOISY_COPY_SNR_DB, 0)
    x = np.frombuffer(word, dtype="<i2").astype(float)
    noise = np.frombuffer(noisy, dtype="<i2").astype(float) - x
    speech = x[np.abs(x) > 0.02 * np.abs(x).max()]
    assert 10 * np.log10(np.mean(speech ** 2) / np.mean(noise ** 2)) == pytest.approx(NOISY_COPY_SNR_DB, abs=0.2)
    spectrum = np.abs(np.fft.rfft(noise)) ** 2
    low, high = spectrum[50:500].mean(), spectrum[5000:20000].mean()  # ~30-300 Hz against 3-12 kHz
    assert low > 10 * high  # pink: far more power low down
    assert noisy == with_pink_noise(word, NOISY_COPY_SNR_DB, 0) and with_pink_noise(bytes(64), 10.0, 0) == bytes(64)


def test_a_try_unlike_its_phrases_other_tries_is_not_learned(monkeypatch: pytest.MonkeyPatch) -> None:
    """A cough or the television in one of the three tries of "next": nearer to another phrase's takes than to
    the other two tries of "next", so left out; the two good tries are kept."""
    clips = {name: read_wav(TAKES / f"{name}_1.wav") for name in ("next", "stop", "pause", "skip")}
    by_pcm = {pcm: frames(k, 20 + k) for k, pcm in enumerate(clips.values())}
    good = frames(0, 20)
    by_pcm[b"next-2" + clips["next"]] = good + 0.01
    by_pcm[b"tv" + clips["next"]] = frames(1, 21)  # just like "stop"

    def frames_of(pcm: bytes) -> np.ndarray:
        return unit(by_pcm[pcm].astype(np.float32))

    tries = {"next": [clips["next"], b"next-2" + clips["next"], b"tv" + clips["next"]],
             **{p: [clips[p]] for p in ("stop", "pause", "skip")}}
    monkeypatch.setattr("voice_coach.speech.voice_templates.with_pink_noise", lambda pcm, snr, seed: pcm)
    t, kept = learn(tries, frames_of)
    assert len(t.takes["next"]) == 4 and kept == 5  # two tries, each with its noisy copy


def test_an_exact_tie_goes_to_the_first_phrase_in_order_and_mixed_widths_give_no_match() -> None:
    same, longer = frames(1), frames(2, 45)
    t = VoiceTemplates({"b": [same, longer], "a": [same]})
    match = t.match(same, ["a", "b"])
    assert match is not None and match.phrase == "a" and match.distance == match.runner_up
    mixed = VoiceTemplates({"a": [frames(1)], "b": [np.ones((30, 8), dtype=np.float32)]})
    assert mixed.match(frames(1), ["a", "b"]) is None  # takes made by two different models
