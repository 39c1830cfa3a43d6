"""Endpointing (pure, frame by frame) and the audio listeners, on a virtual clock: no sleeping, real engines."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from tests.fakes import MemoryJournal, RecordingSpeaker
from voice_coach.coach.clocks import SystemClock, VirtualClock
from voice_coach.coach.coach import Coach
from voice_coach.coach.intents import Heard, load_phrasebook
from voice_coach.coach.ports import EndOfInput, Expectation, Journal, Listener
from voice_coach.coach.programs import load_program
from voice_coach.coach.prompts import load_prompts
from voice_coach.coach.settings import CoachSettings
from voice_coach.errors import AudioError, CoachError, ConfigError
from voice_coach.journal.journal import SqliteJournal
from voice_coach.session.loop import SessionLoop
from voice_coach.speech.audio_io import PcmSource, read_wav, write_wav
from voice_coach.speech.endpointing import END_SILENCE_SECONDS, FRAME_BYTES, Endpointer, EndpointSettings, Step
from voice_coach.speech.listener import AudioReplayListener, StreamListener
from voice_coach.speech.recognizers import make_recognizer
from voice_coach.speech.replay import TextReplayListener
from voice_coach.speech.signal import frame_dbfs
from voice_coach.speech.sphinx import SphinxRecognizer
from voice_coach.speech.wiring import audio_replay_listener

from .mixing import babble_like, placed, with_babble

AUDIO = Path(__file__).parent / "audio"
BOOK = load_phrasebook()
LOUD = (np.sin(np.arange(480) * 2 * np.pi * 200 / 16000) * 10000).astype("<i2").tobytes()
QUIET = bytes(FRAME_BYTES)


def loud_is_voice(frame: bytes) -> bool:
    """A stand-in voice detector for the pure endpointer tests: loud enough is voice."""
    return frame_dbfs(frame) > -40


def run(ep: Endpointer, pattern: str) -> list[Step]:
    """One frame per character: L loud, q quiet."""
    return [ep.push(LOUD if c == "L" else QUIET) for c in pattern]


def expect(state: str = "asking_rating") -> Expectation:
    from voice_coach.cli.speech import state_intents
    return Expectation(tuple(BOOK.phrases_for(state_intents(state))), True, state)


@pytest.fixture
def rec() -> SphinxRecognizer:
    """Fresh per test: the decoder's channel estimate follows what it heard (20 s of noise drags it far)."""
    return make_recognizer("pocketsphinx")  # type: ignore[return-value]


# ----- endpointing ---------------------------------------------------------------------------------------------
def test_an_utterance_starts_after_enough_voice_with_its_pre_roll() -> None:
    ep = Endpointer(EndpointSettings(), voice_test=loud_is_voice)
    steps = run(ep, "q" * 20 + "LL" + "q" + "LLL")
    assert not any(s.started for s in steps[:-1]), "two voiced frames (a click) do not start an utterance"
    start = steps[-1]
    assert start.started and len(start.feed) == 13  # 0.3 s pre-roll (10 frames) + the 3 voiced frames
    assert start.feed[-3:] == (LOUD,) * 3 and ep.in_utterance


def test_it_ends_after_the_end_silence_and_holds_back_silence_beyond_the_hangover() -> None:
    ep = Endpointer(EndpointSettings(end_silence_seconds=0.6, hangover_seconds=0.15), voice_test=loud_is_voice)
    steps = run(ep, "LLLLL" + "q" * 20)
    fed = [f for s in steps for f in s.feed]
    assert steps[-1].ended == "silence" and not any(s.ended for s in steps[:-1])
    assert fed == [LOUD] * 5 + [QUIET] * 5, "0.15 s of the silence reaches the recognizer, not the 0.6 s"
    assert not ep.in_utterance and ep.last_voiced_frame == 4


def test_a_pause_shorter_than_the_end_silence_keeps_one_utterance_with_the_pause_fed() -> None:
    ep = Endpointer(EndpointSettings(end_silence_seconds=0.6, hangover_seconds=0.15), voice_test=loud_is_voice)
    steps = run(ep, "LLL" + "q" * 15 + "LL" + "q" * 20)
    fed = [f for s in steps for f in s.feed]
    assert [s.ended for s in steps if s.ended] == ["silence"] and sum(s.started for s in steps) == 1
    assert fed == [LOUD] * 3 + [QUIET] * 15 + [LOUD] * 2 + [QUIET] * 5


def test_slow_speech_settings_wait_longer() -> None:
    for seconds in (0.3, 1.0, 4.0, 10.0):
        ep = Endpointer(EndpointSettings(end_silence_seconds=seconds, max_utterance_seconds=5.0),
                        voice_test=loud_is_voice)
        steps = run(ep, "LLL" + "q" * 400)
        ended = next(i for i, s in enumerate(steps) if s.ended)
        assert ended - 2 == round(seconds / 0.03)


def test_endless_sound_is_cut_and_needs_quiet_before_the_next_utterance() -> None:
    """Sound loud 0.12 s in every 0.3 s (its median stays quiet, so it never becomes background) is cut at the
    longest utterance and no new one starts while it goes on."""
    ep = Endpointer(EndpointSettings(max_utterance_seconds=3.0, end_silence_seconds=0.6), voice_test=loud_is_voice)
    steps = run(ep, "LLLLqqqqqq" * 30)
    cuts = [i for i, s in enumerate(steps) if s.ended]
    assert [steps[i].ended for i in cuts] == ["max_length"] and cuts[0] <= 160
    assert sum(s.started for s in steps) == 1, "still loud: no new utterance"
    steps = run(ep, "q" * 20 + "LLL")
    assert steps[-1].started


def test_a_steady_background_sound_becomes_background() -> None:
    """Even when the voice detector is fooled (here: always), a hum that goes on is background within 30 s."""
    hum = (np.sin(np.arange(480) * 2 * np.pi * 120 / 16000) * 1000).astype("<i2").tobytes()  # -33 dBFS
    ep = Endpointer(EndpointSettings(), voice_test=lambda f: True)
    run(ep, "q" * 10)
    voiced = [ep.push(hum).voiced for _ in range(1000)]
    assert voiced[0] and not any(voiced[-100:])
    assert ep.push(LOUD).voiced


def test_sound_that_never_pauses_becomes_background_within_seconds() -> None:
    """A loud steady sound the voice detector takes for voice: once its level has been the median of the last
    seconds it is background (the tracked floor alone would take a minute to rise 40 dB); quiet brings the
    background back down, and a word is heard again."""
    ep = Endpointer(EndpointSettings(), voice_test=lambda f: frame_dbfs(f) > -60)
    run(ep, "q" * 70)
    voiced = [ep.push(LOUD).voiced for _ in range(300)]
    assert voiced[0] and not any(voiced[150:])
    run(ep, "q" * 200)
    assert ep.push(LOUD).voiced


def test_a_television_does_not_make_the_listener_deaf(rec: SphinxRecognizer) -> None:
    """Other people talking without a pause for 30 s (the bench's babble), three words said 10 dB above them:
    once the endpointer has heard 6 s of the talk, each word gets an utterance of its own that ends on its end
    silence (before, one 10 s utterance was cut and no other could start while the talk went on). Whether the
    words are then understood in babble is the recognizer's part (poor for now: see the README's table)."""
    track = placed(30.0, [(read_wav(AUDIO / path), at) for path, at in (
        ("clean/en-us_175/next.wav", 8), ("clean/en-us-f3_175/stop.wav", 16), ("heldout/en-us-nyc_150/seven.wav", 24))])
    mixed = with_babble(track, 10.0, 3)
    listener = StreamListener(PcmSource(mixed), rec)
    with pytest.raises(EndOfInput):
        while True:
            listener.listen(None, VirtualClock(), expect("waiting_next"))
    reports = [r for r in listener.reports if r.start_seconds >= 6.0]
    assert [r.reason for r in reports] == ["silence"] * 3, listener.reports
    for report, at in zip(reports, (8, 16, 24), strict=True):
        assert at <= report.start_seconds + 0.3 and report.speech_end_seconds <= at + 1.2, report


def test_a_reply_a_second_after_loud_talk_stops_is_heard(rec: SphinxRecognizer) -> None:
    """Other people talking as loud as the person for 8 s, then a second of quiet (the television muted so that
    the person can answer), then "stop": the talk's level no longer counts as the background."""
    word = read_wav(AUDIO / "clean/en-us-f3_175/stop.wav")
    quiet = np.random.default_rng(1).normal(0, 10, 12000).astype("<i2").tobytes()  # 0.75 s of room noise
    pcm = babble_like(word, 8.0, 0.0, 3) + quiet + word + bytes(64000)  # the word starts after 0.3 s of quiet
    listener = StreamListener(PcmSource(pcm), rec)
    heard = []
    with pytest.raises(EndOfInput):
        while True:
            heard.append(listener.listen(None, VirtualClock(), expect("waiting_next")))
    assert [h.text for h in heard if h is not None] == ["stop"], listener.reports


def test_the_end_of_the_audio_closes_an_utterance() -> None:
    ep = Endpointer(EndpointSettings(), voice_test=loud_is_voice)
    run(ep, "LLLL")
    assert ep.finish().ended == "end_of_input" and ep.finish().ended is None


@pytest.mark.parametrize("bad", [{"end_silence_seconds": 0.2}, {"end_silence_seconds": 10.5},
                                 {"vad_aggressiveness": 4}, {"max_utterance_seconds": 0.5},
                                 {"hangover_seconds": 2.0}])
def test_settings_out_of_range_are_a_config_error(bad: dict[str, float]) -> None:
    with pytest.raises(ConfigError, match=next(iter(bad))):
        EndpointSettings(**bad)  # type: ignore[arg-type]


def test_real_webrtcvad_finds_the_word_in_a_clip() -> None:
    pcm = read_wav(AUDIO / "clean" / "en-us_175" / "stop.wav")
    ep = Endpointer(EndpointSettings())
    steps = [ep.push(pcm[i:i + FRAME_BYTES]) for i in range(0, len(pcm), FRAME_BYTES)]
    start = next(i for i, s in enumerate(steps) if s.started)
    assert 8 <= start <= 14  # the word starts after 0.3 s of padding (frame 10)


# ----- the stream listener ---------------------------------------------------------------------------------------
def test_silence_is_none_at_the_deadline_and_the_clock_follows_the_audio(rec: SphinxRecognizer) -> None:
    listener = StreamListener(PcmSource(read_wav(AUDIO / "silence" / "silence_3s.wav")), rec)
    clock = VirtualClock()
    assert listener.listen(1.0, clock, expect()) is None
    assert 1.0 <= clock.now() < 1.05
    with pytest.raises(EndOfInput):
        listener.listen(None, clock, expect())
    assert clock.now() == pytest.approx(3.0, abs=0.03) and not listener.reports


def test_two_seconds_of_loud_noise_give_no_intent(rec: SphinxRecognizer) -> None:
    listener = StreamListener(PcmSource(read_wav(AUDIO / "noise" / "white_noise_2s.wav")), rec)
    heard: list[Heard | None] = []
    with pytest.raises(EndOfInput):
        while True:
            heard.append(listener.listen(None, VirtualClock(), expect()))
    assert all(h is None for h in heard)


def test_twenty_seconds_of_loud_noise_are_cut_off_without_an_intent(rec: SphinxRecognizer) -> None:
    noise = np.random.default_rng(5).normal(0, 10000, 16000 * 20).clip(-32768, 32767).astype("<i2").tobytes()
    listener = StreamListener(PcmSource(noise), rec, EndpointSettings(vad_aggressiveness=0))
    clock = VirtualClock()
    with pytest.raises(EndOfInput):
        while True:
            assert listener.listen(None, clock, expect()) is None
    # steady noise is background within seconds (the median level); were it not, the 10 s cut would end it
    assert listener.reports and listener.reports[0].reason in ("silence", "max_length"), listener.reports
    assert all(r.heard is None for r in listener.reports) and len(listener.reports) == 1
    assert listener.reports[0].end_seconds <= 10.5 and clock.now() == pytest.approx(20.0, abs=0.05)


def test_a_word_is_heard_at_the_end_of_its_utterance(rec: SphinxRecognizer) -> None:
    pcm = read_wav(AUDIO / "clean" / "en-us_175" / "yes.wav") + bytes(32000 * 2)
    listener = StreamListener(PcmSource(pcm), rec)
    clock = VirtualClock()
    assert listener.listen(20.0, clock, expect("asking_symptoms")) == Heard("yes", rec.last.confidence, "voice")  # type: ignore[union-attr]
    (report,) = listener.reports
    assert report.reason == "silence" and clock.now() == pytest.approx(report.end_seconds, abs=0.001)
    assert report.end_seconds - report.speech_end_seconds == pytest.approx(END_SILENCE_SECONDS, abs=0.05)


def test_a_stable_stop_is_acted_on_before_the_utterance_ends(rec: SphinxRecognizer) -> None:
    pcm = read_wav(AUDIO / "clean" / "en-us_175" / "stop.wav") + bytes(32000 * 2)
    listener = StreamListener(PcmSource(pcm), rec)
    clock = VirtualClock()
    heard = listener.listen(None, clock, expect("exercising"))
    assert heard is not None and heard.text == "stop"
    assert listener.reports[-1].reason == "stop" and clock.now() < 1.1, "no waiting for the end silence"


@pytest.mark.parametrize("clip", ["clean/en-us_175/five.wav", "clean/en-us-m3_110/five.wav",
                                  "oog/en-us_175/turn_the_lights_off.wav"])
def test_speech_that_flashes_a_stop_partial_does_not_stop(rec: SphinxRecognizer, clip: str) -> None:
    pcm = read_wav(AUDIO / clip) + bytes(32000 * 2)
    listener = StreamListener(PcmSource(pcm), rec)
    heard = listener.listen(None, VirtualClock(), expect("asking_rating"))
    assert heard is None or heard.text != "stop"


def test_a_rejected_utterance_returns_none_and_is_counted(rec: SphinxRecognizer) -> None:
    rejected: list[int] = []
    pcm = read_wav(AUDIO / "oog" / "en-us_175" / "turn_the_lights_off.wav") + bytes(32000 * 2)
    listener = StreamListener(PcmSource(pcm), rec, on_rejected=lambda: rejected.append(1))
    assert listener.listen(30.0, VirtualClock(), expect("waiting_next")) is None
    assert rejected == [1] and listener.reports[0].heard is None


def test_an_utterance_in_progress_is_finished_past_the_deadline(rec: SphinxRecognizer) -> None:
    pcm = read_wav(AUDIO / "clean" / "en-us_175" / "yes.wav") + bytes(32000 * 2)
    clock = VirtualClock()
    heard = StreamListener(PcmSource(pcm), rec).listen(0.45, clock, expect("asking_symptoms"))
    assert heard is not None and heard.text == "yes" and clock.now() > 1.0


# ----- replays -------------------------------------------------------------------------------------------------
def run_session(listener: Listener, program: str | None, journal: Journal,
                settings: CoachSettings | None = None) -> str:
    loop = SessionLoop(Coach(load_program(program) if program else None, settings), listener=listener,
                       speaker=RecordingSpeaker(), journal=journal, clock=VirtualClock(), prompts=load_prompts(),
                       phrasebook=load_phrasebook())
    return loop.run().outcome


def test_a_spoken_checkin_gives_the_same_journal_as_its_typed_script() -> None:
    folder = AUDIO / "sessions" / "checkin"
    spoken, typed = MemoryJournal(), MemoryJournal()
    assert run_session(audio_replay_listener(folder, "pocketsphinx"), None, spoken) == "completed"
    assert run_session(TextReplayListener(folder / "script.txt"), None, typed) == "completed"
    assert [(r["kind"], r["data"], r["transcript"]) for r in spoken.rows] == \
        [(r["kind"], r["data"], r["transcript"]) for r in typed.rows]
    heard = [r for r in spoken.rows if r["kind"] == "heard"]
    assert heard and all(r["source"] == "voice" and 0 < r["confidence"] <= 1 for r in heard)


def test_a_spoken_resistance_session_reaches_the_right_journal_entries(tmp_path: Path, whisper_on: None) -> None:
    """tests/audio/sessions/resistance_short, slow voice (110 wpm): "yes" (not an answer to "how do you feel?"),
    three, no, next, four, yes, stop. pocketsphinx alone missed this voice's "next"; with the Whisper check it is
    heard, the set runs, "four" comes as the rating (read back: this person chose confirm "always"), "yes"
    confirms it and "stop" ends the session. The first "yes" answers nothing and is rejected."""
    journal = SqliteJournal(tmp_path / "journal.sqlite3")
    outcome = run_session(audio_replay_listener(AUDIO / "sessions" / "resistance_short", "pocketsphinx"),
                          "resistance", journal, CoachSettings(always_confirm_rating=True))
    entries = list(journal.entries())
    journal.close()
    assert outcome == "stopped_by_user"
    heard = [(e.data["state"], e.transcript) for e in entries if e.kind == "heard"]
    assert heard == [("asking_feeling", "three"), ("asking_symptoms", "no"), ("introducing", "next"),
                     ("asking_rating", "four"), ("confirming", "yes"), ("waiting_next", "stop")]
    answers = [e.data for e in entries if e.kind == "checkin_answer"]
    assert answers == [{"question": "fatigue", "value": 3}, {"question": "new_cramps_or_twitching", "answer": "no"}]
    assert [e.data.get("value") for e in entries if e.kind == "rating"] == [4]
    assert not [e for e in entries if e.kind == "symptom"]
    assert all(e.source == "voice" and e.confidence is not None for e in entries if e.kind == "heard")
    assert [e.kind for e in entries][-1] == "session_ended"


def test_each_file_is_one_reply_and_a_rejected_one_is_used_up(tmp_path: Path) -> None:
    clean = AUDIO / "clean" / "en-us_175"
    for i, name in enumerate(["yes", "five", "four"]):
        (tmp_path / f"{i:02d}.wav").write_bytes((clean / f"{name}.wav").read_bytes())
    listener = AudioReplayListener(tmp_path, make_recognizer("pocketsphinx"), after_seconds=2.0)
    clock = VirtualClock()
    assert listener.listen(None, clock, expect("asking_rating")) is None  # "yes" is no number: rejected
    assert 2.0 < clock.now() < 4.0
    heard = listener.listen(None, clock, expect("asking_rating"))
    assert heard is not None and BOOK.parse(heard).value == 5  # type: ignore[union-attr]
    assert listener.listen(10.0 + clock.now(), clock, Expectation(("stop",), False, "exercising")) is None
    assert listener.listen(None, clock, expect("asking_rating")) is not None
    with pytest.raises(EndOfInput):
        listener.listen(None, clock, expect("asking_rating"))


def test_replays_refuse_what_they_cannot_do(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match="no .wav files"):
        AudioReplayListener(tmp_path, make_recognizer("pocketsphinx"))
    with pytest.raises(AudioError, match="no such WAV file or folder"):
        audio_replay_listener(tmp_path / "missing.wav", "pocketsphinx")
    write_wav(tmp_path / "01.wav", read_wav(AUDIO / "clean" / "en-us_175" / "yes.wav"))
    listener = AudioReplayListener(tmp_path, make_recognizer("pocketsphinx"))
    with pytest.raises(CoachError, match="virtual clock"):
        listener.listen(None, SystemClock(), expect())
    (tmp_path / "01.wav").write_bytes(b"RIFF")
    with pytest.raises(AudioError, match="01.wav"):
        listener.listen(None, VirtualClock(), expect())


def test_a_single_wav_streams_like_a_microphone(tmp_path: Path) -> None:
    clean = AUDIO / "clean" / "en-us_175"
    gap = bytes(32000 * 2)
    write_wav(tmp_path / "talk.wav", gap + read_wav(clean / "yes.wav") + gap + read_wav(clean / "stop.wav") + gap)
    listener = audio_replay_listener(tmp_path / "talk.wav", "pocketsphinx")
    clock = VirtualClock()
    said = []
    with pytest.raises(EndOfInput):
        while True:
            if (h := listener.listen(None, clock, expect("asking_symptoms"))) is not None:
                said.append((h.text, round(clock.now(), 1)))
    assert [text for text, _ in said] == ["yes", "stop"]
    assert said[0][1] < said[1][1] <= 8.0


class QueueSource:
    """A live source stand-in: audio already recorded, and audio that arrives once the listener waits for it
    (b"" when nothing is there, as a microphone)."""

    sample_rate = 16000

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.later: list[bytes] = []

    def push(self, pcm: bytes, *, later: bool = False) -> None:
        (self.later if later else self.chunks).extend(pcm[i:i + FRAME_BYTES] for i in range(0, len(pcm), FRAME_BYTES))

    def read(self, timeout_seconds: float) -> bytes | None:
        if self.chunks:
            return self.chunks.pop(0)
        self.chunks, self.later = self.later, []
        return b""

    def close(self) -> None:
        self.chunks = []


def test_a_microphone_listener_drops_what_was_recorded_while_the_coach_spoke(rec: SphinxRecognizer) -> None:
    clean, gap = AUDIO / "clean" / "en-us_175", bytes(32000 * 2)
    source = QueueSource()
    listener = StreamListener(source, rec, drain_on_listen=True)
    clock = VirtualClock()
    source.push(read_wav(clean / "ten.wav") + gap)  # the coach's "... zero to ten?", picked up by the microphone
    assert listener.listen(clock.now() + 3.0, clock, expect("asking_rating")) is None and not listener.reports
    source.push(read_wav(clean / "yes.wav") + gap, later=True)  # the person answers
    heard = listener.listen(clock.now() + 10.0, clock, expect("asking_symptoms"))
    assert heard is not None and heard.text == "yes"


def test_a_missing_voice_detector_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """Installed without the speech extra (a bare wheel): listening says what to install, not a traceback."""
    from voice_coach.errors import ModelError

    monkeypatch.setitem(sys.modules, "webrtcvad", None)  # the import fails as when the package is not installed
    with pytest.raises(ModelError, match=r"voice-coach\[speech\]"):
        Endpointer()
