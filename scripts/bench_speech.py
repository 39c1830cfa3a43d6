#!/usr/bin/env python3
"""Speech benchmark on tests/audio: per backend and mode, per noise level; a table, and bench-results/speech.json.

Modes: "state" is the product (the grammar of the state that takes each clip; pocketsphinx also weighs every
phrase the coach knows), "all" one grammar of every phrase in every state, "open" an open-vocabulary decode
of the same audio (pocketsphinx's default language model; vosk without a grammar). Every clip goes through
the same endpointing as the microphone, with 1.5 s of its own background appended so that utterances end on
the end silence as they would live.

Figures per noise level (clean, snr20, snr10; the out-of-grammar clips get white noise at that SNR here):
  exact       commands heard as exactly their phrase
  intent      commands heard with the right meaning ("skip that" for "skip")
  oog FA      out-of-grammar sentences the coach would act on (a valid command in that state), 12 clips x 3
              states
  state FA    commands said in a state that does not take them, acted on as something that state takes
  WER         word error rate of the commands against their text (a rejection counts as all words deleted)
  RTF         decoding time / audio time
  latency     end of speech → intent: the end silence waited (1.0 s by default; 0.24 s after "stop") plus
              the decoder's work after the last audio; p50/p95
  RSS         peak resident memory of the process running that backend and mode
Each backend+mode runs in its own process so that its peak memory is its own.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from voice_coach.audio_io import PcmSource, read_wav  # noqa: E402
from voice_coach.audio_listener import StreamListener  # noqa: E402
from voice_coach.cli_speech import state_intents  # noqa: E402
from voice_coach.clocks import VirtualClock  # noqa: E402
from voice_coach.intents import Heard, load_phrasebook, normalize  # noqa: E402
from voice_coach.ports import EndOfInput, Expectation, Recognizer  # noqa: E402

AUDIO = ROOT / "tests" / "audio"
LEVELS = {"clean": ("clean", None), "snr20": ("noisy20", 20.0), "snr10": ("noisy10", 10.0)}
KIND_STATE = {"number": "asking_rating", "yesno": "asking_symptoms", "symptom": "asking_rating",
              "command": "waiting_next"}
OOG_STATES = ("asking_rating", "waiting_next", "asking_symptoms")
WRONG_STATE = {"number": "waiting_next", "yesno": "asking_rating", "command": "asking_rating"}
"""A state that does not take the clip's kind (symptoms and stop are taken everywhere: not tested)."""
BOOK = load_phrasebook()
TAIL_SECONDS = 1.5


def manifest() -> list[dict[str, str]]:
    with open(AUDIO / "manifest.csv", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def phrases(state: str) -> tuple[str, ...]:
    return tuple(BOOK.phrases_for(state_intents(state)))


def meaning(text: str) -> tuple[Any, ...] | None:
    u = BOOK.parse(Heard(text))
    return (u.intent, u.value, u.symptom) if u else None


def acted_on(text: str | None, state: str) -> bool:
    """Would the coach act on this in `state` (a phrase of an intent that state takes)?"""
    u = BOOK.parse(Heard(text)) if text else None
    return u is not None and u.intent in state_intents(state)


def with_noise(pcm: bytes, snr_db: float, seed: int) -> bytes:
    """White Gaussian noise at `snr_db` below the RMS of the speech (samples over 2% of the peak)."""
    x = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    speech = x[np.abs(x) > 0.02 * np.abs(x).max()]
    sigma = np.sqrt(np.mean(speech ** 2)) / 10 ** (snr_db / 20)
    noisy = x + np.random.default_rng(seed).normal(0.0, sigma, len(x))
    return np.clip(np.round(noisy), -32768, 32767).astype("<i2").tobytes()


def with_tail(pcm: bytes) -> bytes:
    """The clip followed by TAIL_SECONDS of its own background (its first 0.3 s, repeated)."""
    lead = pcm[:int(0.3 * 32000) & ~1] or bytes(9600)
    need = int(TAIL_SECONDS * 32000)
    return pcm + (lead * (need // len(lead) + 1))[:need]


def wer_counts(ref: str, hyp: str) -> tuple[int, int]:
    r, h = normalize(ref).split(), normalize(hyp).split()
    d = list(range(len(h) + 1))
    for i in range(1, len(r) + 1):
        prev, d[0] = d[0], i
        for j in range(1, len(h) + 1):
            prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (r[i - 1] != h[j - 1]))
    return d[len(h)], len(r)


# ----- recognizers for the modes -------------------------------------------------------------------------------
class OpenSphinx:
    """pocketsphinx with its default language model: no grammar, no rejection (what "open" measures)."""

    name = "pocketsphinx"

    def __init__(self) -> None:
        from pocketsphinx import Decoder
        self.decoder = Decoder(loglevel="FATAL")

    def begin(self, phrases: tuple[str, ...]) -> None:
        self.decoder.start_utt()

    def feed(self, pcm: bytes) -> str | None:
        self.decoder.process_raw(pcm[:len(pcm) & ~1])
        return None

    def end(self) -> Heard | None:
        self.decoder.end_utt()
        hyp = self.decoder.hyp()
        text = normalize(hyp.hypstr) if hyp is not None else ""
        return Heard(text, 1.0, "voice") if text else None


class FixedGrammar:
    """Any recognizer, always given the same phrases (the "all" mode: one grammar in every state)."""

    def __init__(self, inner: Recognizer, phrases: tuple[str, ...]) -> None:
        self.inner, self.phrases, self.name = inner, phrases, inner.name

    def begin(self, phrases: tuple[str, ...]) -> None:
        self.inner.begin(self.phrases)

    def feed(self, pcm: bytes) -> str | None:
        return self.inner.feed(pcm)

    def end(self) -> Heard | None:
        return self.inner.end()


def make(backend: str, mode: str) -> Recognizer:
    all_phrases = tuple(sorted(BOOK.phrases))
    if backend == "pocketsphinx":
        from voice_coach.recognizer_sphinx import SphinxRecognizer
        from voice_coach.recognizers import known_phrases
        if mode == "state":
            return SphinxRecognizer(known_phrases())
        if mode == "all":
            return FixedGrammar(SphinxRecognizer(), all_phrases)
        return OpenSphinx()
    from voice_coach.recognizer_vosk import VoskRecognizer
    from voice_coach.recognizers import english_vosk_model
    path = english_vosk_model()
    assert path is not None
    rec = VoskRecognizer(path)
    if mode == "state":
        return rec
    if mode == "all":
        return FixedGrammar(rec, all_phrases)
    rec.takes_grammar = False  # open vocabulary: the whole-phrase rule still applies to the result
    return FixedGrammar(rec, all_phrases)


# ----- one backend and mode (a worker process) -------------------------------------------------------------------
def decode(rec: Recognizer, pcm: bytes, state: str, stats: dict[str, list[float]]) -> Heard | None:
    """Stream one clip through endpointing; the first reply heard (None: nothing accepted)."""
    listener = StreamListener(PcmSource(pcm), rec)
    clock, expect = VirtualClock(), Expectation(phrases(state), True, state)
    started = time.perf_counter()
    heard = None
    try:
        while heard is None:
            heard = listener.listen(None, clock, expect)
    except EndOfInput:
        pass
    stats["compute"].append(time.perf_counter() - started)
    stats["audio"].append(clock.now())
    for report in listener.reports:
        if report.heard is not None:
            stats["latency"].append(report.end_seconds - report.speech_end_seconds + report.finalize_seconds)
            stats["finalize"].append(report.finalize_seconds)
    return heard


def worker(backend: str, mode: str) -> dict[str, Any]:
    rows = manifest()
    rec = make(backend, mode)
    out = []
    for level, (folder, snr) in LEVELS.items():
        stats: dict[str, list[float]] = {"compute": [], "audio": [], "latency": [], "finalize": []}
        commands = [r for r in rows if r["path"].startswith(folder + "/")]
        exact = right = edits = words = 0
        by_voice: dict[str, list[int]] = {}
        for r in commands:
            state = "paused" if r["intent_text"] == "resume" else KIND_STATE[r["kind"]]
            heard = decode(rec, with_tail(read_wav(AUDIO / r["path"])), state, stats)
            text = heard.text if heard is not None and acted_on(heard.text, state) else ""
            exact += text == r["intent_text"]
            right += bool(text) and meaning(text) == meaning(r["intent_text"])
            voice = by_voice.setdefault(r["voice"], [0, 0, 0])
            voice[0] += text == r["intent_text"]
            voice[1] += bool(text) and meaning(text) == meaning(r["intent_text"])
            voice[2] += 1
            e, n = wer_counts(r["text"], text)
            edits, words = edits + e, words + n
        wrong = [r for r in commands if r["kind"] in WRONG_STATE
                 and BOOK.phrases[r["intent_text"]][0] not in state_intents(WRONG_STATE[r["kind"]])]
        state_fa = sum(acted_on((h.text if (h := decode(rec, with_tail(read_wav(AUDIO / r["path"])),
                                                        WRONG_STATE[r["kind"]], stats)) else None),
                                WRONG_STATE[r["kind"]]) for r in wrong)
        oog_fa = n_oog = 0
        for i, r in enumerate(x for x in rows if x["path"].startswith("oog/")):
            pcm = read_wav(AUDIO / r["path"])
            pcm = with_tail(with_noise(pcm, snr, seed=1000 + i) if snr else pcm)
            for state in OOG_STATES:
                heard = decode(rec, pcm, state, stats)
                oog_fa += acted_on(heard.text if heard else None, state)
                n_oog += 1
        lat = np.array(stats["latency"]) * 1000 if stats["latency"] else np.zeros(1)
        fin = np.array(stats["finalize"]) * 1000 if stats["finalize"] else np.zeros(1)
        out.append({"backend": backend, "mode": mode, "level": level, "commands": len(commands),
                    "exact": exact, "intent": right, "exact_pct": round(100 * exact / len(commands), 1),
                    "intent_pct": round(100 * right / len(commands), 1), "oog_fa": oog_fa, "oog_trials": n_oog,
                    "state_fa": state_fa, "state_trials": len(wrong), "wer_pct": round(100 * edits / words, 1),
                    "rtf": round(sum(stats["compute"]) / sum(stats["audio"]), 3),
                    "latency_p50_ms": round(float(np.percentile(lat, 50))),
                    "latency_p95_ms": round(float(np.percentile(lat, 95))),
                    "finalize_p50_ms": round(float(np.percentile(fin, 50)), 1),
                    "finalize_p95_ms": round(float(np.percentile(fin, 95)), 1),
                    "by_voice": {v: {"exact": e, "intent": i, "commands": n} for v, (e, i, n) in by_voice.items()}})
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for row in out:
        row["peak_rss_mb"] = round(peak)
    return {"rows": out}


# ----- the driver ------------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results" / "speech.json")
    parser.add_argument("--modes", default="state,all,open")
    parser.add_argument("--worker", nargs=2, metavar=("BACKEND", "MODE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(*args.worker)))
        return 0
    from voice_coach.recognizers import english_vosk_model

    backends, notes = ["pocketsphinx"], []
    vosk_model = english_vosk_model()
    if vosk_model is not None:
        backends.append("vosk")
    else:
        notes.append("vosk: no English vosk model is installed (`voice-coach models install vosk-small-en-us`), "
                     "so vosk was not benchmarked; its adapter is tested with the Korean model (tests/test_vosk.py)")
    rows: list[dict[str, Any]] = []
    for backend in backends:
        for mode in args.modes.split(","):
            print(f"running {backend} {mode} ...", file=sys.stderr, flush=True)
            done = subprocess.run([sys.executable, __file__, "--worker", backend, mode], capture_output=True,
                                  text=True, check=False)
            if done.returncode != 0:
                notes.append(f"{backend} {mode} failed: {done.stderr.strip().splitlines()[-1:]}")
                continue
            rows += json.loads(done.stdout.strip().splitlines()[-1])["rows"]
    print_table(rows)
    for note in notes:
        print(f"note: {note}")
    doc = {"generated": datetime.now(UTC).isoformat(timespec="seconds"),
           "machine": {"python": platform.python_version(), "platform": platform.platform(),
                       "cpus": os.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()]},
           "definitions": __doc__, "results": rows, "notes": notes}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


def print_table(rows: list[dict[str, Any]]) -> None:
    head = (f"{'backend':<13}{'mode':<6}{'level':<7}{'exact':>7}{'intent':>8}{'oog FA':>9}{'state FA':>10}"
            f"{'WER':>7}{'RTF':>7}{'latency p50/p95 ms':>20}{'(decoder)':>11}{'RSS MB':>8}")
    print(head)
    print("-" * len(head))
    for r in rows:
        print(f"{r['backend']:<13}{r['mode']:<6}{r['level']:<7}{r['exact_pct']:>6.0f}%{r['intent_pct']:>7.0f}%"
              f"{r['oog_fa']:>4}/{r['oog_trials']:<4}{r['state_fa']:>5}/{r['state_trials']:<4}"
              f"{r['wer_pct']:>6.0f}%{r['rtf']:>7.3f}{r['latency_p50_ms']:>11}/{r['latency_p95_ms']:<8}"
              f"{r['finalize_p50_ms']:>5.0f}/{r['finalize_p95_ms']:<5.0f}{r['peak_rss_mb']:>8}")
    for r in rows:
        if r["level"] == "clean":
            voices = ", ".join(f"{v} {x['exact']}/{x['intent']} of {x['commands']}" for v, x in r["by_voice"].items())
            print(f"  {r['backend']} {r['mode']} clean, exact/intent by voice: {voices}")


if __name__ == "__main__":
    sys.exit(main())
