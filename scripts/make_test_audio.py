#!/usr/bin/env python3
"""Generate the synthetic test-audio corpus for voice_coach (tests/audio/).

Stdlib only; shells out to ``espeak-ng`` (speech) and ``sox`` (resampling to
16 kHz).  Everything after resampling (trimming, padding, peak normalisation,
noise) is done in Python with per-file fixed random seeds, so re-running the
script produces byte-identical files.

    python scripts/make_test_audio.py [--out tests/audio]

Layout (paths in manifest.csv are relative to the output directory):

    clean/<voice>_<wpm>/<word>.wav      grammar words, padded with 0.3 s near-silence
    noisy20/<voice>_<wpm>/<word>.wav    same clip + white noise at 20 dB SNR
    noisy10/<voice>_<wpm>/<word>.wav    same clip + white noise at 10 dB SNR
    oog/<voice>_<wpm>/<sentence>.wav    out-of-grammar sentences (rejection tests)
    silence/silence_3s.wav              3 s digital silence
    noise/white_noise_2s.wav            2 s loud white noise, no speech
    sessions/<scenario>/NN.wav          whole-session reply sequences + script.txt
"""

from __future__ import annotations

import argparse
import array
import csv
import hashlib
import math
import random
import shutil
import subprocess
import sys
import wave
from pathlib import Path

# ---------------------------------------------------------------------------
# Utterances.  (text, kind); intent_text is the text itself for grammar words.
# ---------------------------------------------------------------------------
NUMBERS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
YESNO = ["yes", "no"]
COMMANDS = ["next", "repeat", "skip", "pause", "resume", "stop", "help", "rest", "ready"]
SYMPTOMS = ["cramp", "twitching", "dizzy", "pain", "exhausted", "short of breath"]

GRAMMAR: list[tuple[str, str]] = (
    [(w, "number") for w in NUMBERS]
    + [(w, "yesno") for w in YESNO]
    + [(w, "command") for w in COMMANDS]
    + [(w, "symptom") for w in SYMPTOMS]
)
KIND = dict(GRAMMAR)

# Out-of-grammar sentences: deliberately free of grammar words and of obvious
# homophones ("to"/"two", "for"/"four", "know"/"no", ...).
OOG_SENTENCES = [
    "put the kettle on",
    "call my daughter",
    "what's on television tonight",
    "I'd like a cup of tea",
    "turn the lights off",
    "what time is it",
    "open the window please",
    "where are my glasses",
    "the weather is lovely",
    "can you hear me",
    "my grandson is visiting",
    "let's watch the football",
]

# Voices (espeak-ng voice spec, directory tag).  Checked with `espeak-ng --voices=en`
# and `espeak-ng --voices=variant` (espeak-ng 1.51, Debian 12).
V_US = ("en-us", "en-us")          # default American male
V_F3 = ("en-us+f3", "en-us-f3")    # American, female3 variant
V_M3 = ("en-us+m3", "en-us-m3")    # American, male3 variant
NORMAL_WPM = 175
SLOW_WPM = 110                      # "slow" stands in for dysarthric / ALS speech

# Clean: every grammar word in two voices at normal speed.
CLEAN_SETS = [(V_US, NORMAL_WPM, [t for t, _ in GRAMMAR]), (V_F3, NORMAL_WPM, [t for t, _ in GRAMMAR])]
# Slow-speech subset.
SLOW_WORDS = NUMBERS + ["yes", "no", "next", "stop", "repeat", "help", "cramp", "short of breath"]
CLEAN_SETS.append((V_M3, SLOW_WPM, SLOW_WORDS))

# Noisy subset (same 30 clips at each SNR): every grammar word once, voices
# alternating en-us / en-us+f3, plus slow "yes" and "no".
NOISY_SUBSET = [((V_US if i % 2 == 0 else V_F3), NORMAL_WPM, t) for i, (t, _) in enumerate(GRAMMAR)]
NOISY_SUBSET += [(V_M3, SLOW_WPM, "yes"), (V_M3, SLOW_WPM, "no")]
SNR_LEVELS = [(20, "noisy20", "snr20"), (10, "noisy10", "snr10")]

# OOG sentences alternate between the two normal-speed voices.
OOG_SETS = [((V_US if i % 2 == 0 else V_F3), NORMAL_WPM, s) for i, s in enumerate(OOG_SENTENCES)]

# Whole-session reply sequences (slow voice, as a patient would answer).
SESSIONS = {
    "checkin": ["four", "no", "no", "no"],
    "resistance_short": ["yes", "three", "no", "next", "four", "yes", "stop"],
    # `voice-coach demo`: a short stretching session with a rating, a "repeat" and a "next".
    "demo_stretching": ["two", "no", "ready", "three", "yes", "repeat", "ready", "two", "yes", "next", "ready",
                        "four", "yes", "stop"],
}
SESSION_VOICE = (V_M3, SLOW_WPM)
SESSION_VOICES = {"demo_stretching": (V_US, NORMAL_WPM)}

RATE = 16000
PAD_S = 0.3
PEAK = 0.5 * 32767        # speech is peak-normalised to -6 dBFS (headroom for noise)
TRIM_THRESHOLD = 0.02     # fraction of clip peak used to find speech start/end
TRIM_MARGIN_S = 0.02
SILENCE_S = 3.0
LOUD_NOISE_S = 2.0
LOUD_NOISE_RMS = 0.3 * 32767   # about -10 dBFS RMS
# Clean speech clips get a faint white-noise floor instead of digital zeros: real
# microphones never output exact zeros, and pocketsphinx's feature normalisation does
# markedly worse on zero-padded clips (measured: en-us 16/28 -> 28/28 on a small JSGF
# grammar).  Set to None for true digital-silence padding.  silence_3s.wav stays all zeros.
CLEAN_FLOOR_DBFS: float | None = -70.0

GENERATED_DIRS = ["clean", "noisy20", "noisy10", "oog", "silence", "noise", "sessions"]
MANIFEST_FIELDS = ["path", "text", "intent_text", "voice", "speed_wpm", "condition", "kind"]


# ---------------------------------------------------------------------------
def slug(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text.lower().replace("'", "")).strip("_")


def seeded_rng(name: str) -> random.Random:
    return random.Random(int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big"))


def synth(text: str, voice: str, wpm: int) -> list[float]:
    """espeak-ng -> sox (16 kHz mono s16le raw) -> list of samples."""
    tts = subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(wpm), "--stdout", text],
        check=True, capture_output=True,
    )
    raw = subprocess.run(
        ["sox", "-R", "-D", "-t", "wav", "-", "-t", "raw", "-e", "signed-integer", "-b", "16",
         "-c", "1", "-L", "-r", str(RATE), "-"],
        input=tts.stdout, check=True, capture_output=True,
    )
    a = array.array("h")
    a.frombytes(raw.stdout)
    if sys.byteorder != "little":
        a.byteswap()
    return [float(x) for x in a]


def trim_normalise_pad(x: list[float]) -> tuple[list[float], float]:
    """Trim espeak's leading/trailing silence, peak-normalise, pad; return (samples, speech RMS)."""
    peak = max(abs(v) for v in x)
    thr = peak * TRIM_THRESHOLD
    idx = [i for i, v in enumerate(x) if abs(v) > thr]
    margin = int(TRIM_MARGIN_S * RATE)
    start, end = max(0, idx[0] - margin), min(len(x), idx[-1] + margin + 1)
    g = PEAK / peak
    speech = [v * g for v in x[start:end]]
    rms = math.sqrt(sum(v * v for v in speech) / len(speech))
    pad = [0.0] * int(PAD_S * RATE)
    return pad + speech + pad, rms


def add_noise(x: list[float], sigma: float, seed_name: str) -> list[float]:
    """Add white Gaussian noise of RMS ``sigma``, seeded from ``seed_name`` (the output path)."""
    rng = seeded_rng(seed_name)
    return [v + rng.gauss(0.0, sigma) for v in x]


def write_wav(path: Path, x: list[float]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    a = array.array("h", (max(-32768, min(32767, int(round(v)))) for v in x))
    if sys.byteorder != "little":
        a.byteswap()
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(a.tobytes())


# ---------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "tests" / "audio")
    args = ap.parse_args(argv)
    out: Path = args.out

    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            print(f"error: {tool} not found on PATH", file=sys.stderr)
            return 1

    # Only ever delete the subdirectories this script generates.
    for d in GENERATED_DIRS:
        if (out / d).is_dir():
            shutil.rmtree(out / d)
    out.mkdir(parents=True, exist_ok=True)

    cache: dict[tuple[str, int, str], tuple[list[float], float]] = {}

    def clip(voice: str, wpm: int, text: str) -> tuple[list[float], float]:
        key = (voice, wpm, text)
        if key not in cache:
            cache[key] = trim_normalise_pad(synth(text, voice, wpm))
        return cache[key]

    def clean(voice: str, wpm: int, text: str, rel: str) -> list[float]:
        x, _ = clip(voice, wpm, text)
        if CLEAN_FLOOR_DBFS is None:
            return x
        return add_noise(x, 32767 * 10 ** (CLEAN_FLOOR_DBFS / 20), rel)

    rows: list[dict[str, str]] = []

    def emit(rel: str, x: list[float], text: str, intent: str, voice: str, wpm: int | str,
             condition: str, kind: str) -> None:
        write_wav(out / rel, x)
        rows.append(dict(path=rel, text=text, intent_text=intent, voice=voice, speed_wpm=str(wpm),
                         condition=condition, kind=kind))

    for (voice, tag), wpm, words in CLEAN_SETS:
        for t in words:
            rel = f"clean/{tag}_{wpm}/{slug(t)}.wav"
            emit(rel, clean(voice, wpm, t, rel), t, t, voice, wpm, "clean", KIND[t])

    for snr, d, cond in SNR_LEVELS:
        for (voice, tag), wpm, t in NOISY_SUBSET:
            x, rms = clip(voice, wpm, t)
            rel = f"{d}/{tag}_{wpm}/{slug(t)}.wav"
            # SNR is relative to the RMS of the speech part only (padding excluded).
            emit(rel, add_noise(x, rms / 10 ** (snr / 20), rel), t, t, voice, wpm, cond, KIND[t])

    for (voice, tag), wpm, s in OOG_SETS:
        rel = f"oog/{tag}_{wpm}/{slug(s)}.wav"
        emit(rel, clean(voice, wpm, s, rel), s, "", voice, wpm, "clean", "oog")

    emit("silence/silence_3s.wav", [0.0] * int(SILENCE_S * RATE), "", "", "", "", "silence", "oog")
    rng = seeded_rng("noise/white_noise_2s.wav")
    loud = [rng.gauss(0.0, LOUD_NOISE_RMS) for _ in range(int(LOUD_NOISE_S * RATE))]
    emit("noise/white_noise_2s.wav", loud, "", "", "", "", "noise", "oog")

    for name, replies in SESSIONS.items():
        (voice, tag), wpm = SESSION_VOICES.get(name, SESSION_VOICE)
        for i, t in enumerate(replies, 1):
            rel = f"sessions/{name}/{i:02d}.wav"
            emit(rel, clean(voice, wpm, t, rel), t, t, voice, wpm, "clean", KIND[t])
        # One reply per line, line N <-> NN.wav.
        (out / "sessions" / name / "script.txt").write_text("".join(f"{t}\n" for t in replies),
                                                             encoding="utf-8")

    with open(out / "manifest.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=MANIFEST_FIELDS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)

    total = sum((out / r["path"]).stat().st_size for r in rows)
    print(f"wrote {len(rows)} wav files ({total / 1e6:.2f} MB) + manifest.csv to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
