#!/usr/bin/env python3
"""Wake benchmark for `voice-coach listen`: false wakes per hour over room audio not meant for the coach, wakes
detected for the wake phrase said by voices not used in tuning, CPU per hour of audio, peak memory, delay to the
answer; a table, and bench-results/wake.json.

Room audio (`--room-minutes`, seeded): television-like talk made of sentences that hold the coach's own words
("stop the car", "I'm ready", "check in at the hotel", numbers, "the coach", "hey coach", "okay, go on") in many
espeak-ng voices, speeds and pitches, with pauses, under a noise bed at times, and music from sox (plucked chords)
alone and under talk. The exact wake phrase is never in it. It streams through the listener's real pipeline (the
endpointer as the voice-activity gate, the wake grammar, the Whisper check on candidates, the second chance after a
near miss) on a virtual clock, and every wake counts as false. The 95 % upper bound of the rate is Poisson's
(zero wakes in T hours: 3.0 / T).

Wakes: the wake phrase alone and with a request ("okay coach", "... start", "... check in", "... what's today") by
voices never used to choose thresholds (en-us-nyc, en-gb-scotland, en-029, en-us+f2, en-gb-x-gbclan), at two
speeds, each in its own stream: quiet, white noise at 10 dB SNR, babble at 10 dB (tests/audio/noise/babble.wav),
slowed (0.7 tempo) and band-limited (2.5 kHz). Detected = a wake on the first try; "two tries" = the person says
it again 2 s later when the first was missed (the second chance applies). Delay = the end of the wake phrase's
speech to the listener's decision: the pause waited (0.24 s after the bare wake phrase, else the end silence) plus
the decoders' work after the last audio.

CPU is process time over audio time, per condition (room talk; a quiet room: a -60 dBFS noise floor). Each part
runs in its own process so that its peak memory (RSS) is its own.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import time
import wave
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.mixing import babble, speech_rms, to_pcm  # noqa: E402
from tests.room import Track, speak  # noqa: E402

RATE = 16000
DEBUG = False
WAKE = "okay coach"
REQUESTS = ["", " start", " check in", " what's today"]
HELD_VOICES = [("en-us-nyc", 150), ("en-gb-scotland", 160), ("en-029", 160), ("en-us+f2", 165),
               ("en-gb-x-gbclan", 160)]
"""Never used to choose the wake phrase or the thresholds (those were en-us, en-us+f3, en-gb, en-us+m3,
en-gb-x-rp+f4)."""
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
def room_track(minutes: float, seed: int) -> tuple[bytes, dict[str, float]]:
    """`minutes` of room audio; the minutes of talk, music and noise in it."""
    rng = np.random.default_rng(seed)
    t = Track(seed)
    kinds = {"talk": 0.0, "music": 0.0, "silence": 0.0}
    while t.seconds < minutes * 60:
        roll = rng.random()
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
        x = speak(text, voice, int(rng.integers(140, 200)), pitch=int(rng.integers(25, 75)))
        x = x * 10 ** (float(rng.uniform(-12, 0)) / 20)
        if rng.random() < 0.3:  # music or noise under the talk
            bed = music(rng, len(x) / RATE) if rng.random() < 0.5 else rng.normal(0, 1, len(x)) * 300
            bed = np.resize(bed, len(x))
            x = x + bed * (speech_rms(x) / max(1.0, float(np.sqrt(np.mean(bed ** 2))))) * 10 ** (-15 / 20)
        t.add(x, after=float(rng.uniform(0.1, 1.5)))
        kinds["talk"] += len(x) / RATE
    return t.pcm(floor_dbfs=-60.0), {k: round(v / 60, 1) for k, v in kinds.items()}


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


def wake_clip(text: str, voice: str, wpm: int, condition: str, seed: int) -> tuple[bytes, float, float]:
    """A stream with the phrase at 1.0 s in `condition`: the pcm, where the speech starts and ends (seconds)."""
    effects = ("tempo", "-s", "0.7", "sinc", "-2500") if condition == "slowed" else ()
    x = speak(text, voice, wpm, effects=effects)
    pad = np.zeros(RATE)
    track = np.concatenate([pad, x, pad, pad])
    rms = speech_rms(x)
    if condition == "white10":
        track = track + np.random.default_rng(seed).normal(0, rms / 10 ** 0.5, len(track))
    elif condition == "babble10":
        track = track + babble(len(track), rms, 10.0, seed)
    else:
        track = track + np.random.default_rng(seed).normal(0, 32767 * 10 ** (-70 / 20), len(track))
    return to_pcm(track), 1.0, 1.0 + len(x) / RATE


# ----- the pipeline -------------------------------------------------------------------------------------------
def pipeline() -> tuple[Any, Any, tuple[str, ...]]:
    """The listener's waiting-state pipeline exactly as cli_listen wires it (a detector, its grammar phrases)."""
    from voice_coach.listen.prompts import load_listen_prompts
    from voice_coach.listen.resident import wake_grammar
    from voice_coach.listen.wake import WakeDetector
    from voice_coach.speech.recognizers import whisper_check
    from voice_coach.speech.sphinx import SphinxRecognizer

    detector = WakeDetector(SphinxRecognizer(None), whisper_check())
    return detector, None, wake_grammar(WAKE, load_listen_prompts())


def stream(pcm: bytes, detector: Any, phrases: tuple[str, ...]) -> dict[str, Any]:
    """Run `pcm` through the endpointer and the detector as the listener does; wakes, near misses, reports."""
    from voice_coach.access.profile import Profile, endpoint_options
    from voice_coach.coach.clocks import VirtualClock
    from voice_coach.coach.ports import EndOfInput, Expectation
    from voice_coach.listen.listener import SECOND_CHANCE_SECONDS
    from voice_coach.speech.audio_io import PcmSource
    from voice_coach.speech.listener import StreamListener
    from voice_coach.speech.wiring import endpoint_settings

    listener = StreamListener(PcmSource(pcm, name="bench"), detector,
                              endpoint_settings(**endpoint_options(Profile())))
    clock, expect = VirtualClock(), Expectation(phrases, True, "listen_waiting")
    wakes, near, lenient_until, utterances = [], [], -1.0, 0
    try:
        while True:
            detector.lenient = clock.now() < lenient_until
            heard = listener.listen(None, clock, expect)
            for result in detector.take_results():
                utterances += 1
                if DEBUG:
                    log(f"  {clock.now():8.2f} {result}")
                if result.outcome == "near_miss":
                    near.append((round(clock.now(), 2), result.phrase, result.transcript))
                    lenient_until = clock.now() + SECOND_CHANCE_SECONDS
            if heard is not None:
                report = listener.reports[-1]
                wakes.append({"at": round(clock.now(), 2), "text": heard.text, "speech_end": report.speech_end_seconds,
                              "end": report.end_seconds, "finalize": report.finalize_seconds})
    except EndOfInput:
        pass
    return {"wakes": wakes, "near": near, "utterances": utterances, "audio_seconds": len(pcm) / 32000}


# ----- workers (each in its own process) ----------------------------------------------------------------------
def worker_room(path: str) -> dict[str, Any]:
    detector, _, phrases = pipeline()
    with wave.open(path, "rb") as w:
        pcm = w.readframes(w.getnframes())
    cpu0, wall0 = time.process_time(), time.perf_counter()
    out = stream(pcm, detector, phrases)
    out.update(cpu_seconds=time.process_time() - cpu0, wall_seconds=time.perf_counter() - wall0,
               whisper_runs=detector.whisper_runs, rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return out


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
                    row = {"condition": condition, "voice": voice, "wpm": speed, "text": WAKE + request,
                           "detected": bool(woke), "right_request": bool(woke) and woke[0]["text"] == WAKE + request,
                           "near_miss": bool(first["near"])}
                    if woke:
                        w = woke[0]
                        row["delay"] = round(w["end"] - end + w["finalize"], 3)
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
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results" / "wake.json")
    parser.add_argument("--parts", default="room,quiet,wakes,takes",
                        help="Which parts to run (room, quiet, wakes, takes); the others stay as --out has them.")
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        kind, rest = args.worker[0], args.worker[1:]
        result = (worker_room(rest[0]) if kind == "room" else worker_quiet(float(rest[0])) if kind == "quiet"
                  else worker_wakes(rest, with_takes=kind == "takes"))
        print(json.dumps(result))
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    parts = set(args.parts.split(","))
    conditions = ["quiet", "white10", "babble10", "slowed"]
    doc: dict[str, Any] = json.loads(args.out.read_text()) if args.out.exists() else {}
    doc["wake_phrase"] = WAKE
    if "room" in parts:
        doc["room"] = room_part(args)
        r = doc["room"]
        print(f"room audio {r['hours']:.2f} h: {r['false_wakes']} false wakes = {r['false_wakes_per_hour']}/h "
              f"(95 % upper bound {r['false_wakes_per_hour_95_upper']}/h); {r['near_misses']} near misses; Whisper "
              f"ran on {r['whisper_runs']} of {r['utterances']} utterances; CPU {r['cpu_percent_of_a_core']} % of a "
              f"core; peak RSS {r['rss_mb']} MB", flush=True)
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
    room_path = args.out.parent / f"room_{args.room_minutes:g}min_seed{args.seed}.wav"
    made: dict[str, float] = {}
    if not room_path.exists():
        log(f"making {args.room_minutes:g} minutes of room audio ...")
        pcm, made = room_track(args.room_minutes, args.seed)
        with wave.open(str(room_path), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(RATE)
            w.writeframes(pcm)
        del pcm
    log("room audio through the listener ...")
    room = run_worker("room", str(room_path))
    hours = room["audio_seconds"] / 3600
    false_wakes = len(room["wakes"])
    return {"hours": round(hours, 3), "made_minutes": made, "false_wakes": false_wakes,
            "false_wakes_per_hour": round(false_wakes / hours, 3),
            "false_wakes_per_hour_95_upper": round(poisson_upper(false_wakes) / hours, 3),
            "near_misses": len(room["near"]), "utterances": room["utterances"], "whisper_runs": room["whisper_runs"],
            "wakes": room["wakes"], "near": room["near"][:50],
            "cpu_percent_of_a_core": round(100 * room["cpu_seconds"] / room["audio_seconds"], 2),
            "rss_mb": round(room["rss_mb"], 1)}


def summary(result: dict[str, Any]) -> dict[str, Any]:
    rows = result["rows"]
    delays = [r["delay"] for r in rows if "delay" in r]
    missed = [r for r in rows if not r["detected"]]
    return {"trials": len(rows), "detected_percent": round(100 * sum(r["detected"] for r in rows) / len(rows), 1),
            "right_request_percent": round(100 * sum(r["right_request"] for r in rows) / len(rows), 1),
            "within_two_tries_percent": round(100 * (len(rows) - sum(not r.get("two_tries") for r in missed))
                                              / len(rows), 1),
            "delay_p50_s": percentile(delays, 50), "delay_p95_s": percentile(delays, 95),
            "rss_mb": round(result["rss_mb"], 1), "missed": [(r["voice"], r["wpm"], r["text"]) for r in missed]}


def print_wakes(wakes: dict[str, Any], label: str) -> None:
    for condition, w in wakes.items():
        print(f"{condition:9} {label}: detected {w['detected_percent']:5.1f} %  right request "
              f"{w['right_request_percent']:5.1f} %  within two tries {w['within_two_tries_percent']:5.1f} %  "
              f"delay p50 {w['delay_p50_s']} s p95 {w['delay_p95_s']} s  RSS {w['rss_mb']} MB", flush=True)


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
