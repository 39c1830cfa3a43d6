#!/usr/bin/env python3
"""Wake benchmark for `voice-coach listen`: false wakes per hour over room audio not meant for the coach, wakes
detected for the wake phrase said by voices not used in tuning, CPU per hour of audio, peak memory, delay to the
answer; a table, and bench-results/wake.json.

Room audio (`--room-minutes`, seeded): television-like talk made of sentences that hold the coach's own words
("stop the car", "I'm ready", "check in at the hotel", numbers, "the coach", "hey coach", "okay, go on") in many
espeak-ng voices, speeds and pitches, with pauses, under a noise bed at times, and music from sox (plucked chords)
alone and under talk, and real human recordings not meant for the coach (the real-speech set's dev and test
not-for-coach clips, from `scripts/real_speech_set.py` in ~/.cache/voice-coach-bench/set: game voices, other
languages; used here as room talk only, never to tune the wake). The exact wake phrase is never in it. It is made
in 5-minute segments, each with its own seed, and streamed through the listener's real pipeline (the endpointer as
the voice-activity gate, the wake grammar, the early decision at a short pause, the Whisper check on candidates, the
second chance after a near miss) on a virtual clock without ever holding more than one segment: many hours fit.
Every wake counts as false (an early one is the answer tone the person would hear). The 95 % upper bound of the
rate is Poisson's (zero wakes in T hours: 3.0 / T).

Wakes: the wake phrase alone and with a request ("okay coach", "... start", "... check in", "... what's today") by
voices never used to choose thresholds (en-us-nyc, en-gb-scotland, en-029, en-us+f2, en-gb-x-gbclan), at two
speeds, each in its own stream: quiet, white noise at 10 dB SNR, babble at 10 dB (tests/audio/noise/babble.wav)
starting 1 s before the phrase (people who just began talking) or 8 s before it (babble10on: a television that was
already on, which the endpointer has learnt as the room's background), slowed (0.7 tempo) and band-limited (2.5 kHz).
Detected = a wake on the first try; "two tries" = the person says
it again 2 s later when the first was missed (the second chance applies). Delay = the end of the speech said to
the answer: the answer tone when the wake was decided at the first short pause (the pause waited, 0.18 s, plus the
wall time of the checks at pauses), else the end of the utterance (the whole end silence) plus the decoders' work.
For the bare wake phrase that is the delay after the wake phrase; with a request said in one breath it is after the
request (the tone cannot come while the person still speaks).

Near phrases (`--parts near`): everyday phrases that sound like the wake phrase ("okay cool", "okay, good",
"okay Cole", "hey coach", ...) said alone by the room voices, each in its own quiet stream: the share that wakes the
listener, in minutes rather than the hours of room audio that meet them a few times.

CPU is process time over audio time, per condition (room talk; a quiet room: a -60 dBFS noise floor). Each part
runs in its own process so that its peak memory (RSS) is its own.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import resource
import subprocess
import sys
import time
import wave
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.mixing import babble, speech_rms, to_pcm  # noqa: E402
from tests.room import Track, speak  # noqa: E402

RATE = 16000
DEBUG = False
EARLY = os.environ.get("BENCH_WAKE_EARLY", "on") != "off"
"""BENCH_WAKE_EARLY=off: the listener as before the early decision (for before/after figures)."""
SENSITIVITY = os.environ.get("BENCH_WAKE_SENSITIVITY", "high")
"""BENCH_WAKE_SENSITIVITY=normal|highest: the listener as `profile set wake-sensitivity ...` makes it (the
profile's default, high, otherwise)."""
WAKE = "okay coach"
REQUESTS = ["", " start", " check in", " what's today", ", check in"]
"""", check in": the request after a comma's pause, in the same breath (the tone comes in the pause, the request
must still be heard)."""
HELD_VOICES = [("en-us-nyc", 150), ("en-gb-scotland", 160), ("en-029", 160), ("en-us+f2", 165),
               ("en-gb-x-gbclan", 160)]
"""Never used to choose the wake phrase or the thresholds (those were en-us, en-us+f3, en-gb, en-us+m3,
en-gb-x-rp+f4)."""
TUNING_VOICES = [("en-us", 170), ("en-us+f3", 165), ("en-gb", 160), ("en-us+m3", 165), ("en-gb-x-rp+f4", 160)]
"""BENCH_WAKE_VOICES=tuning: the voices a change may be chosen on (the figures reported are the held-out ones)."""
if os.environ.get("BENCH_WAKE_VOICES") == "tuning":
    HELD_VOICES = TUNING_VOICES
elif os.environ.get("BENCH_WAKE_VOICES") == "one":  # the smoke test's short run (tests/test_benches.py)
    HELD_VOICES = HELD_VOICES[:1]
ROOM_VOICES = ["en-gb", "en-us", "en-gb-x-rp", "en-us+f3", "en-us+f4", "en-us+m7", "en-gb+f2", "en-us+m3",
               "en-gb-scotland+f5", "en-029+m2", "en-us-nyc+f1", "en-gb-x-gbcwmd"]
PARTS = ["stop the car at the corner", "I'm ready when you are", "we can check in at the hotel at five",
         "it was three nil at half time", "the coach said they played really well", "she's the new football coach",
         "hey coach, can I play on saturday", "okay, go on then", "okay so let's start the film",
         "help me with the shopping bags", "repeat after me", "skip the adverts please", "pause it a minute",
         "what's on today", "the coach leaves at seven", "okay cool", "okay, coats on everyone",
         "I need a rest after that walk", "yes I think so", "no not really", "two four six eight ten",
         "he's exhausted after the match", "my back is in pain again", "next week we go to the seaside",
         "ready, steady, go", "stop it you two", "check the oven", "the coach trip was lovely",
         "okay, call me tomorrow", "what's the plan for today", "start listening to me", "never mind that",
         "how did we do this week", "that's a cramp in my foot", "a coach and horses", "local coach services",
         "okay, good", "the stretches on the television", "nine out of ten cats", "the weather is fine today",
         "and now the news at ten", "coming up after the break", "I'll check in on grandma later"]
"""Room talk: the coach's words inside ordinary sentences, and near misses of the wake phrase."""


def log(*args: Any) -> None:
    print(*args, file=sys.stderr, flush=True)


# ----- audio --------------------------------------------------------------------------------------------------
SEGMENT_MINUTES = 5.0
"""Room audio is made and streamed this much at a time."""
REAL_SHARE = 0.25
"""Of the talk turns, this share are real human clips (when the real-speech set is there)."""
REAL_SET = Path.home() / ".cache" / "voice-coach-bench" / "set"


def real_clips(folder: Path = REAL_SET) -> list[Path]:
    """The real-speech set's not-for-coach clips, dev and test parts (room talk here, never wake tuning data)."""
    manifest = folder / "manifest.csv"
    if not manifest.exists():
        return []
    with manifest.open(newline="", encoding="utf-8") as f:
        return [folder / r["path"] for r in csv.DictReader(f)
                if r["kind"] == "oog" and not r["intent_text"] and r["part"] in ("dev", "test")]


def real_clip(path: Path) -> np.ndarray:
    """A real clip's samples, peak-normalised as the espeak talk is."""
    with wave.open(str(path), "rb") as w:
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64)
    return x * (0.5 * 32767 / max(1.0, float(np.abs(x).max())))


def room_segments(minutes: float, seed: int, made: dict[str, float], real: list[Path],
                  before_each: Any = None) -> Any:
    """`minutes` of room audio as 16 kHz pcm segments of SEGMENT_MINUTES, each from its own seed; `made` counts
    the minutes of each kind as they are made (and the CPU seconds spent making them); `before_each(minutes done)`
    is called before each segment is made (the ones before it have been heard)."""
    done, index = 0.0, 0
    while done < minutes:
        if before_each is not None:
            before_each(done)
        cpu = time.process_time()
        length = min(SEGMENT_MINUTES, minutes - done)
        pcm, kinds = room_track(length, seed * 100_003 + index, real)
        for kind, value in kinds.items():
            made[kind] = made.get(kind, 0.0) + value
        made["cpu_seconds"] = made.get("cpu_seconds", 0.0) + time.process_time() - cpu
        made["all"] = made.get("all", 0.0) + len(pcm) / 32000 / 60
        done, index = done + length, index + 1
        yield pcm


def room_track(minutes: float, seed: int, real: list[Path] | None = None) -> tuple[bytes, dict[str, float]]:
    """`minutes` of room audio; the minutes of talk, real talk, music and silence in it."""
    rng = np.random.default_rng(seed)
    t = Track(seed)
    kinds = {"talk": 0.0, "real_talk": 0.0, "music": 0.0, "silence": 0.0}
    while t.seconds < minutes * 60:
        roll = rng.random()
        if real and roll > 1 - REAL_SHARE:  # a real person (or two, one after the other)
            clips = [real_clip(real[int(i)]) for i in rng.choice(len(real), int(rng.integers(1, 3)))]
            for x in clips:
                x = x * 10 ** (float(rng.uniform(-12, 0)) / 20)
                t.add(x, after=float(rng.uniform(0.1, 1.5)))
                kinds["real_talk"] += len(x) / RATE
            continue
        if roll < 0.08:  # music alone
            x = music(rng, float(rng.uniform(5, 20)))
            t.add(x, after=float(rng.uniform(0.2, 2)))
            kinds["music"] += len(x) / RATE
            continue
        if roll < 0.12:
            gap = float(rng.uniform(5, 30))
            t.gap(gap)
            kinds["silence"] += gap
            continue
        n = int(rng.integers(1, 4))
        text = ", ".join(PARTS[int(i)] for i in rng.choice(len(PARTS), n, replace=False))
        voice = ROOM_VOICES[int(rng.integers(len(ROOM_VOICES)))]
        # not through speak's cache: nearly every room line is new, and hours of them held the run's memory growing
        x = speak.__wrapped__(text, voice, int(rng.integers(140, 200)), pitch=int(rng.integers(25, 75)))
        x = x * 10 ** (float(rng.uniform(-12, 0)) / 20)
        if rng.random() < 0.3:  # music or noise under the talk
            bed = music(rng, len(x) / RATE) if rng.random() < 0.5 else rng.normal(0, 1, len(x)) * 300
            bed = np.resize(bed, len(x))
            x = x + bed * (speech_rms(x) / max(1.0, float(np.sqrt(np.mean(bed ** 2))))) * 10 ** (-15 / 20)
        t.add(x, after=float(rng.uniform(0.1, 1.5)))
        kinds["talk"] += len(x) / RATE
    return t.pcm(floor_dbfs=-60.0), {k: v / 60 for k, v in kinds.items()}


def music(rng: np.random.Generator, seconds: float) -> np.ndarray:
    """Plucked chords from sox, changing every second or so."""
    notes = ["C4", "E4", "G4", "A3", "F4", "D4", "B3", "C5"]
    args = []
    for _ in range(3):
        args += ["pluck", notes[int(rng.integers(len(notes)))]]
    raw = subprocess.run(["sox", "-n", "-r", str(RATE), "-c", "1", "-b", "16", "-e", "signed-integer", "-t", "raw",
                          "-", "synth", f"{max(0.5, seconds):.2f}", *args, "tremolo", "2", "40"], check=True,
                         capture_output=True).stdout
    x = np.frombuffer(raw, dtype="<i2").astype(np.float64)
    return x * (0.3 * 32767 / max(1.0, float(np.abs(x).max())))


LONG_LEAD_SECONDS = 8
"""babble10on: the other people have been talking this long before the phrase (a television that was already on:
the endpointer has learnt the room); babble10: they start 1 s before it."""


def wake_clip(text: str, voice: str, wpm: int, condition: str, seed: int) -> tuple[bytes, float, float]:
    """A stream with the phrase at 1.0 s (babble10on: 8 s) in `condition`: the pcm, where the speech starts and ends
    (seconds)."""
    effects = ("tempo", "-s", "0.7", "sinc", "-2500") if condition == "slowed" else ()
    x = speak(text, voice, wpm, effects=effects)
    pad = np.zeros(RATE)
    lead = np.zeros(RATE * LONG_LEAD_SECONDS) if condition == "babble10on" else pad
    track = np.concatenate([lead, x, pad, pad])
    rms = speech_rms(x)
    start = len(lead) / RATE
    if condition == "white10":
        track = track + np.random.default_rng(seed).normal(0, rms / 10 ** 0.5, len(track))
    elif condition in ("babble10", "babble10on"):
        track = track + babble(len(track), rms, 10.0, seed)
    else:
        track = track + np.random.default_rng(seed).normal(0, 32767 * 10 ** (-70 / 20), len(track))
    return to_pcm(track), start, start + len(x) / RATE


# ----- the pipeline -------------------------------------------------------------------------------------------
def pipeline() -> tuple[Any, Any, tuple[str, ...]]:
    """The listener's waiting-state pipeline exactly as cli_listen wires it (a detector, its grammar phrases)."""
    from voice_coach.listen.prompts import load_listen_prompts
    from voice_coach.listen.resident import wake_grammar
    from voice_coach.listen.wake import WakeDetector
    from voice_coach.speech.recognizers import whisper_check
    from voice_coach.speech.sphinx import SphinxRecognizer

    detector = WakeDetector(SphinxRecognizer(None), whisper_check(), sensitivity=SENSITIVITY)
    return detector, None, wake_grammar(WAKE, load_listen_prompts())


def stream(pcm: bytes | Any, detector: Any, phrases: tuple[str, ...], out: dict[str, Any] | None = None
           ) -> dict[str, Any]:
    """Run `pcm` (bytes, or an iterable of pcm segments) through the endpointer and the detector as the listener
    does, with the early decision on; wakes, near misses, reports (in `out` as they come, when given)."""
    from voice_coach.access.profile import Profile, endpoint_options
    from voice_coach.coach.clocks import VirtualClock
    from voice_coach.coach.ports import EndOfInput, Expectation
    from voice_coach.listen.listener import SECOND_CHANCE_SECONDS
    from voice_coach.speech.audio_io import BlockSource
    from voice_coach.speech.listener import StreamListener
    from voice_coach.speech.wiring import endpoint_settings

    source = BlockSource([pcm] if isinstance(pcm, bytes) else pcm, name="bench")
    listener = StreamListener(source, detector, endpoint_settings(**endpoint_options(Profile())))
    if EARLY:  # as the resident loop does: the answer tone at the first short pause
        listener.on_early, listener.decide_early = (lambda: None), detector.early
    clock, expect = VirtualClock(), Expectation(phrases, True, "listen_waiting")
    out = {} if out is None else out
    wakes: list[dict[str, Any]] = out.setdefault("wakes", [])
    near: list[tuple[Any, ...]] = out.setdefault("near", [])
    out["utterances"], lenient_until = 0, -1.0
    out.setdefault("unanchored", [])
    transcript = None
    try:
        while True:
            detector.lenient = clock.now() < lenient_until
            heard = listener.listen(None, clock, expect)
            for result in detector.take_results():
                out["utterances"] += 1
                if DEBUG:
                    log(f"  {clock.now():8.2f} {result}")
                if result.outcome == "near_miss":
                    near.append((round(clock.now(), 2), result.phrase, result.transcript))
                    lenient_until = clock.now() + SECOND_CHANCE_SECONDS
                elif result.outcome == "wake":
                    transcript = result.transcript
                if result.grammar.endswith("/unanchored"):  # what the anchor rule refused (scored, no wake word)
                    out["unanchored"].append((round(clock.now(), 2), result.phrase, result.transcript,
                                              None if result.gap is None else round(result.gap, 2)))
            if heard is not None:
                report = listener.reports[-1]
                early = report.early_seconds
                wakes.append({"at": round(clock.now(), 2), "text": heard.text, "transcript": transcript,
                              "speech_end": report.speech_end_seconds,
                              "end": report.end_seconds, "finalize": report.finalize_seconds,
                              "early": early, "early_check": round(report.early_check_seconds, 3),
                              "answer": round(early + report.early_check_seconds if early is not None
                                              else report.end_seconds + report.finalize_seconds, 3)})
    except EndOfInput:
        pass
    out["audio_seconds"] = source.position / 32000
    return out


# ----- workers (each in its own process) ----------------------------------------------------------------------
def rss_now_mb() -> float:
    """The current resident size (VmRSS). `rss_mb` is the peak (ru_maxrss), which only ever rises: over hours of
    segments made and heard in one process it crept up about 5 MB a segment while the current size swung within
    30 MB with no trend (scripts/bench_listen_memory.py, docs/LISTEN.md)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def worker_room(minutes: str, seed: str) -> dict[str, Any]:
    detector, _, phrases = pipeline()
    made: dict[str, float] = {}
    real = real_clips()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    out: dict[str, Any] = {}
    progress = os.environ.get("BENCH_WAKE_PROGRESS")

    def note(done: float) -> None:  # a long run can be stopped at any segment and still counted
        if progress:
            with open(f"{progress}.seed{seed}.jsonl", "a", encoding="utf-8") as f:
                f.write(json.dumps({"minutes": done, "wakes": out.get("wakes", []), "near": len(out.get("near", [])),
                                    "utterances": out.get("utterances", 0), "whisper_runs": detector.whisper_runs,
                                    "early_runs": detector.early_runs,
                                    "cpu_seconds": time.process_time() - cpu0 - made.get("cpu_seconds", 0.0),
                                    "wall_seconds": time.perf_counter() - wall0,
                                    "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                                    "rss_now_mb": rss_now_mb(), "made_minutes": made}) + "\n")

    stream(room_segments(float(minutes), int(seed), made, real, note), detector, phrases, out)
    note(float(minutes))
    out.update(cpu_seconds=time.process_time() - cpu0 - made.pop("cpu_seconds", 0.0),
               wall_seconds=time.perf_counter() - wall0, made_minutes={k: round(v, 1) for k, v in made.items()},
               real_clips=len(real), whisper_runs=detector.whisper_runs, early_runs=detector.early_runs,
               rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return out


NEAR_PHRASES = ["okay cool", "okay, cool", "okay cool, thanks", "okay coal", "okay Cole", "okay, cold",
                "okay, good", "okay, go", "okay, go on then", "okay, close it", "okay, call me tomorrow",
                "okay, coats on everyone", "hey coach", "okay, cope"]
"""Everyday phrases that sound like the wake phrase without being it: the room talk's false wakes, said alone."""


def worker_near(clips_per_phrase: str) -> dict[str, Any]:
    """Each near phrase said alone, `clips_per_phrase` times by room voices (seeded speed and pitch), each in its own
    quiet stream: how often it wakes the listener. A false wake measure that takes minutes, not hours: the long room
    run meets these phrases a few times an hour."""
    detector, _, phrases = pipeline()
    rng = np.random.default_rng(2026)
    rows = []
    for text in NEAR_PHRASES:
        for _ in range(int(clips_per_phrase)):
            voice = ROOM_VOICES[int(rng.integers(len(ROOM_VOICES)))]
            wpm, pitch = int(rng.integers(140, 200)), int(rng.integers(25, 75))
            x = speak.__wrapped__(text, voice, wpm, pitch=pitch)
            track = np.concatenate([np.zeros(RATE), x, np.zeros(2 * RATE)])
            track = track + rng.normal(0, 32767 * 10 ** (-70 / 20), len(track))
            wakes = stream(to_pcm(track), detector, phrases)["wakes"]
            rows.append({"text": text, "voice": voice, "wpm": wpm, "pitch": pitch, "woke": bool(wakes),
                         "transcript": wakes[0]["transcript"] if wakes else None})
    return {"rows": rows, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


TAKE_VARIANTS = [(-15, 44), (15, 56), (0, 40)]
"""The person's tries: (speed change in wpm, pitch), as scripts/make_test_audio.py makes voice-check takes."""
TAKE_COMMANDS = ["yes", "no", "next", "stop", "repeat", "help"]
"""Commands a voice check has taken too (the takes decide only once five phrases or more have some)."""


def person_templates(check: Any, voice: str, wpm: int) -> Any:
    """The voice's own tries of the wake phrase and of a few commands, learned as `words learn-wake` and
    `voice-check` learn them."""
    from voice_coach.speech.voice_templates import learn

    takes: dict[str, list[bytes]] = {}
    for phrase in [WAKE, *TAKE_COMMANDS]:
        for delta, pitch in TAKE_VARIANTS:
            x = speak(phrase, voice, wpm + delta, pitch=pitch)
            pcm = to_pcm(np.concatenate([np.zeros(4800), x, np.zeros(4800)])
                         + np.random.default_rng(pitch).normal(0, 32767 * 10 ** (-70 / 20), len(x) + 9600))
            takes.setdefault(phrase, []).append(pcm)
    return learn(takes, check.take_frames)[0]


def worker_wakes(conditions: list[str], with_takes: bool = False) -> dict[str, Any]:
    detector, _, phrases = pipeline()
    rows = []
    for condition in conditions:
        for vi, (voice, wpm) in enumerate(HELD_VOICES):
            if detector.check is not None:
                detector.check.templates = person_templates(detector.check, voice, wpm) if with_takes else None
            for speed in (wpm, 120):
                for ri, request in enumerate(REQUESTS):
                    seed = 1000 * vi + 10 * ri + speed
                    pcm, start, end = wake_clip(WAKE + request, voice, speed, condition, seed)
                    first = stream(pcm, detector, phrases)
                    woke = [w for w in first["wakes"] if w["at"] >= start]
                    said = (WAKE + request).replace(",", "")
                    row = {"condition": condition, "voice": voice, "wpm": speed, "text": WAKE + request,
                           "detected": bool(woke), "right_request": bool(woke) and woke[0]["text"] == said,
                           "near_miss": bool(first["near"])}
                    if woke:
                        w = woke[0]
                        row["heard"] = w["text"]
                        row["delay"] = round(w["answer"] - end, 3)
                        row["tone"] = w["early"] is not None
                    else:  # said again, 2 s later: the second chance applies after a near miss
                        again = np.frombuffer(pcm, dtype="<i2")
                        twice = np.concatenate([again, np.zeros(RATE, dtype="<i2"), again]).tobytes()
                        row["two_tries"] = bool(stream(twice, detector, phrases)["wakes"])
                    rows.append(row)
    return {"rows": rows, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def worker_quiet(minutes: float) -> dict[str, Any]:
    detector, _, phrases = pipeline()
    pcm = to_pcm(np.random.default_rng(5).normal(0, 32767 * 10 ** (-60 / 20), int(minutes * 60 * RATE)))
    cpu0 = time.process_time()
    out = stream(pcm, detector, phrases)
    out.update(cpu_seconds=time.process_time() - cpu0)
    return out


def worker_timing() -> dict[str, Any]:
    """Where a wake check's time goes: median wall milliseconds of each step on "okay coach" (a tuning voice)."""
    import ctranslate2

    from voice_coach.speech.whisper_features import log_mel

    detector, _, phrases = pipeline()
    check = detector.check
    x = speak(WAKE, "en-us", 160)
    pcm = to_pcm(np.concatenate([np.zeros(4800), x, np.zeros(2880)]))

    def ms(step: Any, n: int = 9) -> float:
        step()
        times = []
        for _ in range(n):
            t0 = time.perf_counter()
            step()
            times.append(time.perf_counter() - t0)
        return round(1000 * float(np.median(times)), 1)

    out: dict[str, Any] = {"audio_seconds": round(len(pcm) / 32000, 2), "load_average": list(os.getloadavg())}
    for frames in (1000, 400, 200):
        mel = log_mel(pcm, frames)
        out[f"features_{frames}_ms"] = ms(lambda f=frames: log_mel(pcm, f))
        out[f"encoder_{frames}_ms"] = ms(lambda m=mel: check.model.encode(
            ctranslate2.StorageView.from_array(m[None]), to_cpu=True))
    encoded = check.encode(pcm)
    out["free_transcript_ms"] = ms(lambda: check.model.generate(
        encoded, [check.start], beam_size=1, max_length=len(check.start) + 24, return_scores=True,
        return_no_speech_prob=True, return_logits_vocab=True, length_penalty=0))
    out["score_wake_phrase_ms"] = ms(lambda: check.phrase_scores(encoded, [WAKE], None))
    out["score_5_phrases_ms"] = ms(lambda: check.phrase_scores(encoded, list(phrases[:5]), None))
    out["whole_check_ms"] = ms(lambda: check.judge(pcm, phrases))
    out["whole_check_bare_phrase_ms"] = ms(lambda: check.judge(pcm, phrases[:1]))
    gate = detector._anchored
    detector.begin(phrases)
    room = to_pcm(np.concatenate([np.zeros(4800), speak("the weather is fine today", "en-gb", 170), np.zeros(2880)]))
    out["room_line_check_ms"] = ms(lambda: check.judge(room, phrases))
    out["room_line_check_anchor_gated_ms"] = ms(lambda: check.judge(room, phrases, score_if=gate))
    return out


def run_worker(*args: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, __file__, "--worker", *args], capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"worker {args} failed: {done.stderr[-2000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def percentile(xs: list[float], q: float) -> float | None:
    return round(float(np.percentile(xs, q)), 3) if xs else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--room-minutes", type=float, default=30.0)
    parser.add_argument("--quiet-minutes", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--room-from-progress", metavar="PREFIX",
                        help="Count a stopped long run from its workers' notes (BENCH_WAKE_PROGRESS=PREFIX)")
    parser.add_argument("--room-workers", type=int, default=1,
                        help="Room audio in this many processes at once (seeds --seed, --seed+1, ...)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results" / "wake.json")
    parser.add_argument("--parts", default="room,quiet,near,wakes,takes",
                        help="Parts to run (room, quiet, near, wakes, takes, timing); the others stay as --out has "
                             "them.")
    parser.add_argument("--conditions", default="quiet,white10,babble10,babble10on,slowed",
                        help="Conditions of the wake trials (quiet, white10, babble10, babble10on, slowed)")
    parser.add_argument("--near-clips", type=int, default=10,
                        help="Clips of each near phrase (part near: phrases like the wake phrase, said alone)")
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        kind, rest = args.worker[0], args.worker[1:]
        if kind == "room":
            result = worker_room(*rest)
        elif kind == "timing":
            result = worker_timing()
        elif kind == "near":
            result = worker_near(rest[0])
        elif kind == "quiet":
            result = worker_quiet(float(rest[0]))
        else:
            result = worker_wakes(rest, with_takes=kind == "takes")
        print(json.dumps(result))
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    parts = set(args.parts.split(","))
    conditions = args.conditions.split(",")
    doc: dict[str, Any] = json.loads(args.out.read_text()) if args.out.exists() else {}
    doc["wake_phrase"] = WAKE
    if "room" in parts:
        doc["room"] = room_part(args)
        doc.setdefault("room_runs", {})[f"seed{args.seed}x{args.room_workers}_{args.room_minutes:g}min"] = {
            k: v for k, v in doc["room"].items() if k not in ("wakes", "near")}
        r = doc["room"]
        print(f"room audio {r['hours']:.2f} h: {r['false_wakes']} false wakes = {r['false_wakes_per_hour']}/h "
              f"(95 % upper bound {r['false_wakes_per_hour_95_upper']}/h); {r['near_misses']} near misses; Whisper "
              f"ran on {r['whisper_runs']} of {r['utterances']} utterances; CPU {r['cpu_percent_of_a_core']} % of a "
              f"core ({r['early_runs']} of the runs at a pause); peak RSS {r['rss_mb']} MB", flush=True)
    if "timing" in parts:
        doc["check_timing"] = run_worker("timing")
        print(f"where a wake check's time goes (ms): {doc['check_timing']}", flush=True)
    if "near" in parts:
        log("near phrases ...")
        rows = run_worker("near", str(args.near_clips))["rows"]
        woke = [r for r in rows if r["woke"]]
        doc["near_phrases"] = {"clips": len(rows), "woke": len(woke),
                               "woke_percent": round(100 * len(woke) / max(1, len(rows)), 1),
                               "by_phrase": {t: sum(r["woke"] for r in rows if r["text"] == t) for t in NEAR_PHRASES},
                               "wakes": [(r["text"], r["voice"], r["transcript"]) for r in woke]}
        print(f"near phrases said alone: {len(woke)} of {len(rows)} woke it "
              f"({doc['near_phrases']['woke_percent']} %): {doc['near_phrases']['by_phrase']}", flush=True)
    if "quiet" in parts:
        log("quiet room ...")
        quiet = run_worker("quiet", str(args.quiet_minutes))
        doc["quiet_room"] = {"minutes": args.quiet_minutes, "utterances": quiet["utterances"],
                             "cpu_percent_of_a_core": round(100 * quiet["cpu_seconds"] / quiet["audio_seconds"], 3)}
        print(f"quiet room: CPU {doc['quiet_room']['cpu_percent_of_a_core']} % of a core", flush=True)
    for part, key, label in (("wakes", "wakes", "without tries"), ("takes", "wakes_with_takes", "with tries")):
        if part in parts:
            doc[key] = {}
            for condition in conditions:
                log(f"wake phrases ({label}): {condition} ...")
                doc[key][condition] = summary(run_worker(part, condition))
                print_wakes({condition: doc[key][condition]}, label)
                args.out.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    args.out.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


def room_part(args: argparse.Namespace) -> dict[str, Any]:
    workers = max(1, args.room_workers)
    seeds = [args.seed + i for i in range(workers)]
    load = os.getloadavg()
    if args.room_from_progress:  # a long run stopped before its end: what its workers had heard by their last note
        parts = []
        for seed in seeds:
            lines = Path(f"{args.room_from_progress}.seed{seed}.jsonl").read_text(encoding="utf-8").splitlines()
            last = json.loads(lines[-1])
            parts.append({**last, "audio_seconds": 60 * last["made_minutes"].get("all", last["minutes"]),
                          "real_clips": len(real_clips()),
                          "near": [()] * last["near"], "made_minutes": {k: v for k, v in last["made_minutes"].items()
                                                                         if k != "cpu_seconds"}})
    else:
        log(f"{args.room_minutes:g} minutes of room audio (seeds {seeds}), made and streamed a segment at a time ...")
        with ThreadPoolExecutor(workers) as pool:
            parts = list(pool.map(lambda seed: run_worker("room", str(args.room_minutes / workers), str(seed)),
                                  seeds))
    audio_seconds = sum(p["audio_seconds"] for p in parts)
    cpu_seconds = sum(p["cpu_seconds"] for p in parts)
    hours = audio_seconds / 3600
    wakes = [{**w, "seed": seed} for seed, p in zip(seeds, parts, strict=True) for w in p["wakes"]]
    near = [(seed, *n) for seed, p in zip(seeds, parts, strict=True) for n in p["near"]]
    made: dict[str, float] = {}
    for p in parts:
        for kind, minutes in p["made_minutes"].items():
            made[kind] = round(made.get(kind, 0.0) + minutes, 1)
    return {"hours": round(hours, 3), "seeds": seeds, "made_minutes": made, "real_clips": parts[0]["real_clips"],
            "false_wakes": len(wakes), "false_wakes_per_hour": round(len(wakes) / hours, 3),
            "false_wakes_per_hour_95_upper": round(poisson_upper(len(wakes)) / hours, 3),
            "near_misses": len(near), "utterances": sum(p["utterances"] for p in parts),
            "refused_by_the_anchor_rule": sum(len(p.get("unanchored", [])) for p in parts),
            "unanchored": [u for p in parts for u in p.get("unanchored", [])][:50],
            "whisper_runs": sum(p["whisper_runs"] for p in parts), "early_runs": sum(p["early_runs"] for p in parts),
            "wakes": wakes, "near": near[:50],
            "cpu_percent_of_a_core": round(100 * cpu_seconds / audio_seconds, 2),
            "cpu_seconds_per_hour_of_audio": round(cpu_seconds / hours, 1),
            "wall_seconds": round(max(p["wall_seconds"] for p in parts), 1),
            "rss_mb": round(max(p["rss_mb"] for p in parts), 1),
            "load_average_at_start": [round(x, 2) for x in load], "early_decision": EARLY}


def summary(result: dict[str, Any]) -> dict[str, Any]:
    rows = result["rows"]
    delays = [r["delay"] for r in rows if "delay" in r]
    bare = [r["delay"] for r in rows if "delay" in r and r["text"] == WAKE]
    missed = [r for r in rows if not r["detected"]]
    return {"trials": len(rows), "detected_percent": round(100 * sum(r["detected"] for r in rows) / len(rows), 1),
            "answered_by_tone_percent": round(100 * sum(r.get("tone", False) for r in rows) / max(1, len(delays)), 1),
            "delay_bare_p50_s": percentile(bare, 50), "delay_bare_p95_s": percentile(bare, 95),
            "load_average": [round(x, 2) for x in os.getloadavg()],
            "right_request_percent": round(100 * sum(r["right_request"] for r in rows) / len(rows), 1),
            "wrong_request_percent": round(100 * sum(r.get("heard", WAKE) not in (WAKE, r["text"].replace(",", ""))
                                                     for r in rows) / len(rows), 1),
            "wrong_requests": [(r["text"], r["heard"]) for r in rows
                               if r.get("heard", WAKE) not in (WAKE, r["text"].replace(",", ""))],
            "within_two_tries_percent": round(100 * (len(rows) - sum(not r.get("two_tries") for r in missed))
                                              / len(rows), 1),
            "delay_p50_s": percentile(delays, 50), "delay_p95_s": percentile(delays, 95),
            "rss_mb": round(result["rss_mb"], 1), "missed": [(r["voice"], r["wpm"], r["text"]) for r in missed]}


def print_wakes(wakes: dict[str, Any], label: str) -> None:
    for condition, w in wakes.items():
        print(f"{condition:9} {label}: detected {w['detected_percent']:5.1f} %  right request "
              f"{w['right_request_percent']:5.1f} % (wrong {w.get('wrong_request_percent')} %)  within two tries "
              f"{w['within_two_tries_percent']:5.1f} %  "
              f"delay p50 {w['delay_p50_s']} s p95 {w['delay_p95_s']} s (the wake phrase alone: p50 "
              f"{w['delay_bare_p50_s']} s p95 {w['delay_bare_p95_s']} s; by the tone {w['answered_by_tone_percent']} "
              f"%)  RSS {w['rss_mb']} MB  load {w['load_average'][0]}", flush=True)


def poisson_upper(k: int, confidence: float = 0.95) -> float:
    """The one-sided upper bound of a Poisson mean after `k` events (zero: -ln(0.05) = 3.0)."""
    if k == 0:
        return -math.log(1 - confidence)
    lo, hi = float(k), float(k) + 10 * math.sqrt(k) + 10
    for _ in range(100):  # P(X <= k; mu) = 1 - confidence
        mid = (lo + hi) / 2
        cdf = sum(math.exp(-mid) * mid ** i / math.factorial(i) for i in range(k + 1))
        lo, hi = (mid, hi) if cdf > 1 - confidence else (lo, mid)
    return (lo + hi) / 2


if __name__ == "__main__":
    sys.exit(main())
