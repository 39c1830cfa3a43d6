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
    oogmore/<voice>_<wpm>/<sentence>.wav  24 more (benchmark: 36 in all)
    heldout/en-us-nyc_150/<word>.wav    a voice and speed held out from all tuning (benchmark)
    slowbl/<voice>_175/<word>.wav       0.7x tempo, low-passed at 2.5 kHz (stand-in for slurred speech)
    bad/{click,cough,breath,music}.wav  sounds that are not speech
    noise/babble.wav                    four voices talking at once (mixed under commands by the benchmark)
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
# 24 more, for the benchmark's rejection figure (36 sentences in all).
OOG_MORE = [
    "the dog wants a walk",
    "did anybody phone",
    "I'm going to the shops",
    "pass me the remote",
    "the tea is getting cold",
    "have you seen my keys",
    "dinner will be at six thirty",
    "she said she would visit on monday",
    "the garden looks beautiful",
    "turn up the volume a little",
    "I think it might rain later",
    "where did I put the newspaper",
    "my brother lives in boston",
    "the nurse comes tomorrow morning",
    "could you close the curtains",
    "I fancy some soup for lunch",
    "that film was very funny",
    "the cat is asleep on the sofa",
    "we should book a taxi",
    "the heating is on",
    "grandma likes the radio",
    "what's for pudding",
    "look at those birds",
    "I remember that song",
]

# Voices (espeak-ng voice spec, directory tag).  Checked with `espeak-ng --voices=en`
# and `espeak-ng --voices=variant` (espeak-ng 1.51, Debian 12).
V_US = ("en-us", "en-us")          # default American male
V_F3 = ("en-us+f3", "en-us-f3")    # American, female3 variant
V_M3 = ("en-us+m3", "en-us-m3")    # American, male3 variant
V_HELD = ("en-us-nyc", "en-us-nyc")  # held out: never used to tune thresholds or pronunciations
HELD_WPM = 150
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

# OOG sentences alternate between the two normal-speed voices; the extra ones cycle through four voices.
OOG_SETS = [((V_US if i % 2 == 0 else V_F3), NORMAL_WPM, s) for i, s in enumerate(OOG_SENTENCES)]
OOG_SETS += [((V_US, V_F3, V_M3, V_HELD)[i % 4], NORMAL_WPM, s) for i, s in enumerate(OOG_MORE)]

# Held-out voice and speed: every grammar word (benchmark only).
HELD_SET = (V_HELD, HELD_WPM, [t for t, _ in GRAMMAR])
# Slowed (0.7x tempo) and band-limited (2.5 kHz) speech, a stand-in for slurred speech: every grammar word,
# voices alternating en-us / en-us+f3 / en-us-nyc.
SLOW_TEMPO = 0.7
BAND_HZ = 2500
SLOW_BL_SET = [((V_US, V_F3, V_HELD)[i % 3], NORMAL_WPM, t) for i, (t, _) in enumerate(GRAMMAR)]
# Babble: other speech to mix under the commands (the benchmark mixes it at 10 dB SNR).
BABBLE_TEXTS = [("en-gb", "the weather forecast says it will be warm and sunny for the rest of the week"),
                ("en-us+f4", "and then we drove along the coast road to see the old lighthouse by the harbour"),
                ("en-gb-x-rp", "the minister said the committee would publish its findings early in the spring"),
                ("en-us+m7", "please remember that the library will be closed on the bank holiday weekend")]

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

GENERATED_DIRS = ["takes", "clean", "noisy20", "noisy10", "oog", "silence", "noise", "sessions", "heldout", "slowbl",
                  "bad", "oogmore"]
MANIFEST_FIELDS = ["path", "text", "intent_text", "voice", "speed_wpm", "condition", "kind"]


# ---------------------------------------------------------------------------
def slug(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text.lower().replace("'", "")).strip("_")


def seeded_rng(name: str) -> random.Random:
    return random.Random(int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big"))


def synth(text: str, voice: str, wpm: int, effects: tuple[str, ...] = (), pitch: int | None = None) -> list[float]:
    """espeak-ng -> sox (16 kHz mono s16le raw, then `effects`) -> list of samples."""
    tts = subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(wpm), *(["-p", str(pitch)] if pitch is not None else []), "--stdout",
         text],
        check=True, capture_output=True,
    )
    raw = subprocess.run(
        ["sox", "-R", "-D", "-t", "wav", "-", "-t", "raw", "-e", "signed-integer", "-b", "16",
         "-c", "1", "-L", "-r", str(RATE), "-", *effects],
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


def bad_inputs() -> dict[str, list[float]]:
    """Sounds that are not speech (all must give no intent): a click, a cough-like burst, a long breath
    (low-passed noise with a slow swell), music-like tones; each over a -70 dBFS floor, seeded."""
    rng = seeded_rng("bad")
    floor = 32767 * 10 ** (-70.0 / 20)

    def base(seconds: float) -> list[float]:
        return [rng.gauss(0.0, floor) for _ in range(int(seconds * RATE))]

    click = base(2.0)
    for i in range(40):
        click[RATE + i] += 20000.0 * (1 if i % 2 == 0 else -1) * (1 - i / 40)
    cough = base(2.0)
    smooth = 0.0
    for i in range(int(0.25 * RATE)):
        smooth = 0.6 * smooth + 0.4 * rng.gauss(0.0, 1.0)
        env = math.exp(-i / (0.06 * RATE)) * min(1.0, i / 80)
        cough[int(0.6 * RATE) + i] += 14000.0 * env * smooth
    breath = base(3.5)
    smooth = 0.0
    for i in range(int(2.5 * RATE)):
        smooth = 0.97 * smooth + 0.03 * rng.gauss(0.0, 1.0)
        breath[int(0.5 * RATE) + i] += 12000.0 * math.sin(math.pi * i / (2.5 * RATE)) * smooth
    music = base(3.0)
    notes = [262.0, 330.0, 392.0, 523.0, 392.0, 330.0]
    for i in range(int(2.4 * RATE)):
        f = notes[int(i / (0.4 * RATE))]
        t = i / RATE
        music[int(0.3 * RATE) + i] += 5000.0 * (math.sin(2 * math.pi * f * t) + 0.5 * math.sin(4 * math.pi * f * t))
    return {"bad/click.wav": click, "bad/cough.wav": cough, "bad/breath.wav": breath, "bad/music.wav": music}


# Voice-check takes: each grammar word said again by the same voice at another speed and pitch (espeak's default
# pitch is 50; the test clips use it), as a person's voice check would record it. Named <phrase>_<n>.wav, the
# voice check's folder format. tests/audio/takes holds two takes of the slowed, band-limited en-us voice (the
# tests); `--takes DIR` writes three takes of every voice and style (the benchmark).
TAKE_VARIANTS = [(-15, 44), (15, 56), (0, 40)]
"""(words per minute added, espeak pitch) of each take."""
SLOW_EFFECTS = ("tempo", "-s", str(SLOW_TEMPO), "sinc", f"-{BAND_HZ}")
TAKE_SETS = {"normal": [(V_US, NORMAL_WPM), (V_F3, NORMAL_WPM), (V_M3, SLOW_WPM), (V_HELD, HELD_WPM)],
             "slowbl": [(V_US, NORMAL_WPM), (V_F3, NORMAL_WPM), (V_HELD, NORMAL_WPM)]}
TEST_TAKES = ("slowbl", V_US, NORMAL_WPM, 2)


def write_takes(out: Path, style: str, voice: tuple[str, str], wpm: int, count: int = len(TAKE_VARIANTS)) -> int:
    """Write `count` takes of every grammar word to out/<style>/<voice tag>_<wpm>/; the number written."""
    n = 0
    for t, _ in GRAMMAR:
        for k, (more, pitch) in enumerate(TAKE_VARIANTS[:count], 1):
            x, _ = trim_normalise_pad(synth(t, voice[0], wpm + more, SLOW_EFFECTS if style == "slowbl" else (),
                                            pitch))
            rel = f"{style}/{voice[1]}_{wpm}/{slug(t)}_{k}.wav"
            write_wav(out / rel, add_noise(x, 32767 * 10 ** (-70.0 / 20), rel))
            n += 1
    return n


# ---------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "tests" / "audio")
    ap.add_argument("--takes", type=Path, help="write the benchmark's voice-check takes of every voice here, only")
    args = ap.parse_args(argv)
    out: Path = args.out
    if args.takes is not None:
        n = sum(write_takes(args.takes, style, voice, wpm) for style, sets in TAKE_SETS.items() for voice, wpm in sets)
        print(f"wrote {n} voice-check takes to {args.takes}")
        return 0

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

    for i, ((voice, tag), wpm, s) in enumerate(OOG_SETS):
        rel = f"{'oog' if i < len(OOG_SENTENCES) else 'oogmore'}/{tag}_{wpm}/{slug(s)}.wav"
        emit(rel, clean(voice, wpm, s, rel), s, "", voice, wpm, "clean", "oog")

    emit("silence/silence_3s.wav", [0.0] * int(SILENCE_S * RATE), "", "", "", "", "silence", "oog")
    rng = seeded_rng("noise/white_noise_2s.wav")
    loud = [rng.gauss(0.0, LOUD_NOISE_RMS) for _ in range(int(LOUD_NOISE_S * RATE))]
    emit("noise/white_noise_2s.wav", loud, "", "", "", "", "noise", "oog")

    (held_voice, held_tag), held_wpm, held_words = HELD_SET
    for t in held_words:
        rel = f"heldout/{held_tag}_{held_wpm}/{slug(t)}.wav"
        emit(rel, clean(held_voice, held_wpm, t, rel), t, t, held_voice, held_wpm, "clean", KIND[t])
    for (voice, tag), wpm, t in SLOW_BL_SET:
        rel = f"slowbl/{tag}_{wpm}/{slug(t)}.wav"
        x, _ = trim_normalise_pad(synth(t, voice, wpm, ("tempo", "-s", str(SLOW_TEMPO), "sinc", f"-{BAND_HZ}")))
        emit(rel, add_noise(x, 32767 * 10 ** (-70.0 / 20), rel), t, t, voice, wpm, "slowbl", KIND[t])
    for rel, x in bad_inputs().items():
        emit(rel, x, "", "", "", "", "bad", "oog")
    babble: list[float] = []
    for voice, text in BABBLE_TEXTS:
        x, _ = trim_normalise_pad(synth(text, voice, NORMAL_WPM))
        n = max(len(babble), len(x))
        babble = [a + b for a, b in zip(babble + [0.0] * (n - len(babble)), x + [0.0] * (n - len(x)), strict=True)]
    write_wav(out / "noise" / "babble.wav", [0.5 * v for v in babble])

    for name, replies in SESSIONS.items():
        (voice, tag), wpm = SESSION_VOICES.get(name, SESSION_VOICE)
        for i, t in enumerate(replies, 1):
            rel = f"sessions/{name}/{i:02d}.wav"
            emit(rel, clean(voice, wpm, t, rel), t, t, voice, wpm, "clean", KIND[t])
        # One reply per line, line N <-> NN.wav.
        (out / "sessions" / name / "script.txt").write_text("".join(f"{t}\n" for t in replies),
                                                             encoding="utf-8")

    style, voice, wpm, count = TEST_TAKES
    write_takes(out / "takes", style, voice, wpm, count)

    with open(out / "manifest.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=MANIFEST_FIELDS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)

    total = sum((out / r["path"]).stat().st_size for r in rows)
    print(f"wrote {len(rows)} wav files ({total / 1e6:.2f} MB) + manifest.csv to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
