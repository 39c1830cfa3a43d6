"""Speech out with the real engines: pyttsx3/espeak-ng synthesis to WAV, text echo, fallback, and barge-in
through a PulseAudio null sink (the only sound output a machine without a sound card has)."""

from __future__ import annotations

import io
import json
import os
import sys
import threading
import time
import wave
from pathlib import Path

import pytest

from tests.pulse import run_child
from voice_coach.errors import ConfigError, DeviceError
from voice_coach.speech.speech_out import (
    FallbackSpeaker,
    Pyttsx3Synth,
    TeeSpeaker,
    WavSpeaker,
    speech_speaker,
    stop_speech,
)
from voice_coach.speech.text_io import TextSpeaker

LONG_LINE = ("Lift your right arm slowly to shoulder height, hold it there while you breathe in and out, "
             "and lower it again, gently, without rushing. ") * 3


def _wav(path: Path) -> tuple[int, int, float]:
    with wave.open(str(path), "rb") as w:
        return w.getframerate(), w.getnchannels(), w.getnframes() / w.getframerate()


# --- synthesis and WAV files --------------------------------------------------------------------------------

def test_a_line_becomes_real_speech_whose_length_follows_the_rate(capfd: pytest.CaptureFixture[str]) -> None:
    text = "Lift your right arm slowly, and hold it for ten seconds."  # 11 words
    started = time.monotonic()
    slow, fast = Pyttsx3Synth(rate=100).synthesize(text), Pyttsx3Synth(rate=250).synthesize(text)
    per_line = (time.monotonic() - started) / 2
    assert slow.sample_rate == fast.sample_rate == 22050
    assert slow.samples.std() > 500 and fast.samples.std() > 500  # speech, not silence
    assert 0.5 * 11 / 100 * 60 < slow.duration_seconds < 2 * 11 / 100 * 60
    assert 0.5 * 11 / 250 * 60 < fast.duration_seconds < 2 * 11 / 250 * 60
    assert slow.duration_seconds > 1.8 * fast.duration_seconds
    assert per_line < 2.0
    assert "Audio saved" not in capfd.readouterr().out  # pyttsx3 prints that for every file; we drop it


def test_many_lines_in_a_row_do_not_hang_the_engine() -> None:
    synth = Pyttsx3Synth()
    durations = [synth.synthesize(f"Repetition {n}.").duration_seconds for n in range(1, 31)]
    assert all(0.3 < d < 3 for d in durations)


def test_the_wav_speaker_numbers_files_and_keeps_a_transcript(tmp_path: Path) -> None:
    speaker = WavSpeaker(tmp_path / "wavs", rate=175)
    speaker.say("Welcome to your session.", "session.welcome")
    speaker.say("Rest\tnow,\nthen say next.", "rest/intro")
    speaker.say("", "empty")
    names = [p.name for p in speaker.paths]
    assert names == ["0001_session.welcome.wav", "0002_rest-intro.wav", "0003_empty.wav"]
    rate, channels, seconds = _wav(speaker.paths[0])
    assert (rate, channels) == (22050, 1) and 1.0 < seconds < 3.5
    assert _wav(speaker.paths[2])[2] == 0
    again = WavSpeaker(tmp_path / "wavs")  # a second run goes on numbering in the same folder
    again.say("Goodbye.", "bye")
    assert again.paths[0].name == "0004_bye.wav"
    rows = (tmp_path / "wavs" / "transcript.tsv").read_text(encoding="utf-8").splitlines()
    assert rows == ["number\tkey\ttext", "1\tsession.welcome\tWelcome to your session.",
                    "2\trest/intro\tRest now, then say next.", "3\tempty\t", "4\tbye\tGoodbye."]
    assert not list((tmp_path / "wavs").glob(".*"))  # no partial or probe files left behind


def test_output_to_a_folder_prints_every_line_as_well(tmp_path: Path) -> None:
    shown = io.StringIO()
    speaker = speech_speaker(str(tmp_path / "out"), rate=160, volume=0.8, text_stream=shown)
    speaker.say("Breathe in.", "breathe")
    assert shown.getvalue() == "coach: Breathe in.\n"
    assert [p.name for p in (tmp_path / "out").glob("*.wav")] == ["0001_breathe.wav"]


def test_an_unwritable_folder_is_one_clear_error(read_only_dir: tuple[Path, object]) -> None:
    folder, make_read_only = read_only_dir
    make_read_only()  # type: ignore[operator]
    with pytest.raises(DeviceError) as caught:
        speech_speaker(str(folder / "wavs"))
    assert str(caught.value).startswith(f"--output {folder / 'wavs'}: cannot write there")


@pytest.mark.parametrize("kwargs, words", [({"voice": "no-such-voice"}, "voice"), ({"rate": 5}, "rate"),
                                           ({"volume": 1.5}, "volume")])
def test_wrong_voice_settings_are_config_errors(tmp_path: Path, kwargs: dict[str, object], words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        speech_speaker(str(tmp_path / "wavs"), **kwargs)  # type: ignore[arg-type]


def test_a_voice_can_be_named_by_language_or_name(tmp_path: Path) -> None:
    for voice in ("en-us", "English (America)"):
        WavSpeaker(tmp_path / voice, voice=voice).say("Hello.", "hello")


def test_the_plain_pyttsx3_engine_path_works_too() -> None:
    report = _floats(run_child(dict(os.environ), __name__, "pyttsx3"))
    assert report["backend_is_pyttsx3"] == 1 and report["voices"] > 0 and report["rate"] == 22050
    assert 0.4 < report["seconds_1"] < 3 and 0.6 < report["seconds_2"] < 4


def _floats(report: dict[str, object]) -> dict[str, float]:
    return {key: float(value) for key, value in report.items()}  # type: ignore[arg-type]


# --- degrading to text ------------------------------------------------------------------------------------------

class BrokenSpeaker:
    """A speech engine that dies: every line raises, as a dead engine or a pulled speaker would."""

    def __init__(self) -> None:
        self.calls = 0

    def say(self, text: str, key: str) -> None:
        self.calls += 1
        raise RuntimeError("espeak died")


def test_a_failing_speaker_warns_once_and_the_lines_go_on_as_text() -> None:
    shown, warnings = io.StringIO(), io.StringIO()
    broken = BrokenSpeaker()
    speaker = FallbackSpeaker(broken, TextSpeaker(shown), warnings=warnings)
    for line in ("One.", "Two.", "Three."):
        speaker.say(line, "count")
    assert shown.getvalue() == "coach: One.\ncoach: Two.\ncoach: Three.\n"
    assert warnings.getvalue() == "voice-coach: speech output failed (espeak died); continuing with text\n"
    assert broken.calls == 1
    stop_speech(speaker)  # nothing to cut: no error


def test_with_text_echo_a_failing_voice_does_not_print_lines_twice() -> None:
    shown, warnings = io.StringIO(), io.StringIO()
    speaker = TeeSpeaker(TextSpeaker(shown), FallbackSpeaker(BrokenSpeaker(), TextSpeaker(io.StringIO()),
                                                             warnings=warnings))
    speaker.say("One.", "count")
    speaker.say("Two.", "count")
    assert shown.getvalue() == "coach: One.\ncoach: Two.\n"
    assert warnings.getvalue().count("\n") == 1


def test_no_sound_output_device_means_text_with_one_notice() -> None:
    shown, warnings = io.StringIO(), io.StringIO()
    speaker = speech_speaker("speaker", device="no such speaker 7f3a", text_stream=shown, warnings=warnings)
    speaker.say("Let's begin.", "begin")
    assert shown.getvalue() == "coach: Let's begin.\n"
    assert warnings.getvalue().startswith("voice-coach: cannot speak aloud (no sound output device")
    assert warnings.getvalue().endswith("showing the coach's lines as text\n")
    assert warnings.getvalue().count("\n") == 1


# --- playing through a (virtual) sound device -----------------------------------------------------------------

@pytest.mark.audio
def test_speech_plays_to_the_end_and_stops_at_once_on_barge_in(vmic: dict[str, str]) -> None:
    report = _floats(run_child(vmic, __name__, "speak"))
    # `say` returns when the line has been played: not before its audio, and not long after.
    assert report["short_say_seconds"] >= 0.95 * report["short_clip_seconds"]
    assert report["short_say_seconds"] < report["short_clip_seconds"] + 0.5
    # Barge-in: stop_playback() makes `say` return at once, long before the line would have ended...
    assert report["stop_latency_seconds"] < 0.2
    assert report["long_clip_seconds"] > 20 and report["played_seconds"] < 3
    assert report["cut_lines"] == 1
    # ...and the sound really stops: the sink's monitor hears the voice, then silence.
    assert report["rms_while_speaking"] > 300
    assert report["rms_from_0.2s_after_stop"] < 5
    # The next line plays normally after a cut: it is not cut itself, and `say` waits while it plays, to its end
    # (the null sink pulls a newly opened stream in bursts and reports no DAC time: `say` still waits for the
    # line's length from its first samples, or the listener would open while the last words are in the sink).
    assert report["after_cut_say_seconds"] >= 0.95 * report["short_clip_seconds"]


def _child_speak() -> dict[str, float]:
    import numpy as np

    from voice_coach.speech.microphone import MicrophoneSource
    from voice_coach.speech.speech_out import Pyttsx3Speaker

    speaker = Pyttsx3Speaker(rate=175)
    mic = MicrophoneSource(None)  # the null sink's monitor: what the "speaker" plays
    heard: list[tuple[float, bytes]] = []
    listening = threading.Event()
    listening.set()

    def listen() -> None:
        while listening.is_set():
            chunk = mic.read(0.2)
            if chunk:
                heard.append((time.monotonic(), chunk))

    threading.Thread(target=listen, daemon=True).start()
    speaker.say("Ready.", "warm-up")  # the first line wakes the idle null sink, which can take a second or two
    short = "Well done."
    short_clip = speaker.synth.synthesize(short).duration_seconds
    started = time.monotonic()
    speaker.say(short, "short")
    short_say = time.monotonic() - started
    long_clip = speaker.synth.synthesize(LONG_LINE).duration_seconds
    talking = threading.Thread(target=speaker.say, args=(LONG_LINE, "long"))
    started = time.monotonic()
    talking.start()
    time.sleep(1.2)
    stopped = time.monotonic()
    speaker.stop_playback()
    talking.join()
    returned = time.monotonic()
    time.sleep(0.8)
    started_after = time.monotonic()
    speaker.say(short, "after-cut")
    after_cut_say = time.monotonic() - started_after
    cut_lines_after_next = speaker.cut_lines
    listening.clear()
    time.sleep(0.3)
    mic.close()
    speaker.close()

    def rms(start: float, end: float) -> float:
        pcm = b"".join(chunk for at, chunk in heard if start <= at < end)
        samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
        return float(np.sqrt(np.mean(samples ** 2))) if len(samples) else -1.0

    return {"short_clip_seconds": short_clip, "short_say_seconds": short_say, "long_clip_seconds": long_clip,
            "played_seconds": stopped - started, "stop_latency_seconds": returned - stopped,
            "cut_lines": speaker.cut_lines, "rms_while_speaking": rms(started + 0.5, stopped),
            "rms_from_0.2s_after_stop": rms(stopped + 0.2, stopped + 0.8), "after_cut_say_seconds": after_cut_say,
            "cut_lines_after_next": cut_lines_after_next,
            "silent_after_stop_seconds": next((at - stopped for at, chunk in heard if at > stopped
                                               and not np.frombuffer(chunk, dtype="<i2").any()), -1.0)}


def _child_pyttsx3_backend() -> dict[str, float]:
    from voice_coach.speech.speech_out import Voice, _EngineThread

    engine = _EngineThread("pyttsx3")  # what macOS and Windows use; its own process: one engine per process
    assert engine.broken is None, engine.broken
    clips = [engine.synthesize(text, Voice(), None) for text in ("Breathe in.", "Breathe out, slowly.")]
    return {"backend_is_pyttsx3": float(engine.backend == "pyttsx3"), "voices": float(len(engine.voices)),
            "rate": float(clips[0].sample_rate), "seconds_1": clips[0].duration_seconds,
            "seconds_2": clips[1].duration_seconds}


if __name__ == "__main__":
    print(json.dumps(_child_speak() if sys.argv[1] == "speak" else _child_pyttsx3_backend()))
