#!/usr/bin/env python3
"""The noise front end and the speech gate on the product's recognizer, one row per trial, tuning and held-out apart.

    python scripts/front_end_bench.py run --part tuning --front-end off [--out bench-results/front_end.jsonl]
    python scripts/front_end_bench.py choose [--front-end off]       # the gate's threshold, tuning rows only
    python scripts/front_end_bench.py table --part heldout --gate 0.4 [--json docs/X.json]
    python scripts/front_end_bench.py report --part heldout --gate 0.078 --out a.jsonl,b.jsonl --json docs/X.json

Every trial goes through the product's recognizer as scripts/bench_speech.py runs it (mode "whisper": the state's
grammar, then the Whisper check, `opinion_rules.verified`), with the noise front end given (`--front-end`:
noise_front_end.py) and the speech score of every reply that would be acted on at once (speech_gate.py, measured
and recorded, not applied: the gate only turns "at once" into "read back or asked", so any threshold is counted
from the same rows).

Parts (never tuned on the held-out part; its rows are run only after the threshold and the setting are fixed):
  tuning   the synthetic tuned voices' replies (tests/audio/clean) quiet, at 10 dB white noise and 10 dB babble,
           their slowed clips (slowbl, tuned voices); the synthetic not-for-coach clips in each of those three,
           each in one state in turn; their "stop" clips in babble with noise draws 7000-7009; the real set's `dev`
           part (its replies; every 4th not-for-coach clip, in the two states where acting on it moves the
           session on, in turn), quiet, white 10 dB, babble 10 dB
  heldout  the held-out synthetic voice (en-us-nyc 150 wpm, tests/audio/heldout) quiet, white 10 dB, babble 10 dB,
           its slowed clips; "stop" in babble as scripts/bench_speech.py counts it (every voice's stop clips, the
           first draw and draws 5000-5009: 44 trials); the real `test` part (all replies; every 2nd
           not-for-coach clip in both states), quiet, white 10 dB, babble 10 dB
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

SCRIPTS = Path(__file__).resolve().parent
ROOT = SCRIPTS.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(SCRIPTS))

from bench_speech import (  # noqa: E402
    AUDIO,
    NOT_SPEECH,
    OOG_STATES,
    STOP_SEEDS,
    acted_on,
    at_once,
    decode,
    degrade,
    make,
    manifest,
    meaning,
    state_of,
    with_tail,
)
from real_speech_bench import NFC_STATES, REPLY_STATE, SET, degraded, rows_of  # noqa: E402

from voice_coach.speech.audio_io import read_wav  # noqa: E402
from voice_coach.speech.noise_front_end import FRONT_ENDS, load_front_end  # noqa: E402
from voice_coach.speech.speech_gate import SileroScore, choose_threshold  # noqa: E402


class TimedScore:
    """The speech scorer, timing each call: the gate's own cost, apart from the rest of the reply's delay."""

    def __init__(self) -> None:
        self.scorer, self.seconds = SileroScore(), 0.0

    def __call__(self, pcm: bytes) -> float:
        started = time.perf_counter()
        score = self.scorer(pcm)
        self.seconds = time.perf_counter() - started
        return score


LEVELS = {"quiet": (None, None), "white10": ("white", 10.0), "babble10": ("babble", 10.0)}
TUNING_STOP_SEEDS = range(7000, 7010)
OUT = ROOT / "bench-results" / "front_end.jsonl"


def trials(part: str) -> list[dict[str, Any]]:
    """The part's trials, in a fixed order: set, path, level, state, the reply's intent text ('' for talk not meant
    for the coach), kind ("reply", "nfc", "stop") and noise seed."""
    rows = manifest()
    out: list[dict[str, Any]] = []
    voices = "clean/" if part == "tuning" else "heldout/"
    replies = [r for r in rows if r["path"].startswith(voices)]
    slowed = [r for r in rows if r["path"].startswith("slowbl/")
              and (r["voice"] == "en-us-nyc") == (part == "heldout")]
    for level in LEVELS:
        for i, r in enumerate(replies):
            out.append(_trial("synthetic", r["path"], level, state_of(r), r["intent_text"], "reply", 2000 + i))
    for r in slowed:
        out.append(_trial("synthetic", r["path"], "slowbl", state_of(r), r["intent_text"], "reply", 0))
    if part == "tuning":
        others = [r for r in rows if r["path"].startswith(NOT_SPEECH)]
        for level in LEVELS:
            for i, r in enumerate(others):
                out.append(_trial("synthetic", r["path"], level, OOG_STATES[i % len(OOG_STATES)], "", "nfc", 1000 + i))
        for r in (r for r in replies if r["intent_text"] == "stop"):
            for seed in TUNING_STOP_SEEDS:
                out.append(_trial("synthetic", r["path"], "babble10", state_of(r), "stop", "stop", seed))
    else:
        stops = [(i, r) for i, r in enumerate(r for r in rows if r["path"].split("/")[0] in ("clean", "heldout"))
                 if r["intent_text"] == "stop"]
        for i, r in stops:
            for seed in (2000 + i, *STOP_SEEDS):
                out.append(_trial("synthetic", r["path"], "babble10", state_of(r), "stop", "stop", seed))
    real = rows_of("dev" if part == "tuning" else "test")
    every = 4 if part == "tuning" else 2
    for level in LEVELS:
        n = 0
        for i, r in enumerate(real):
            if r["kind"] in REPLY_STATE:
                out.append(_trial("real", r["path"], level, REPLY_STATE[r["kind"]], r["intent_text"], "reply",
                                  3000 + i))
            elif r["kind"] == "oog":
                if n % every == 0:
                    states = NFC_STATES if part == "heldout" else (NFC_STATES[n // every % 2],)
                    for state in states:
                        out.append(_trial("real", r["path"], level, state, "", "nfc", 3000 + i))
                n += 1
    return out


def _trial(dataset: str, path: str, level: str, state: str, reply: str, kind: str, seed: int) -> dict[str, Any]:
    return {"set": dataset, "path": path, "level": level, "state": state, "reply": reply, "kind": kind, "seed": seed}


def audio(t: dict[str, Any]) -> bytes:
    if t["level"] == "slowbl":
        return with_tail(read_wav(AUDIO / t["path"]))
    noise, snr = LEVELS[t["level"]]
    if t["set"] == "synthetic":
        return with_tail(degrade(read_wav(AUDIO / t["path"]), noise, snr, t["seed"]))
    return with_tail(degraded(read_wav(SET / t["path"]), noise, snr, t["seed"]))


def run(part: str, front_end: str, out: Path, every: int) -> int:
    rec = make("pocketsphinx", "whisper")
    rec.check.front_end = load_front_end(front_end)  # type: ignore[attr-defined]
    if front_end != "off" and rec.check.front_end is None:  # type: ignore[attr-defined]
        print(f"error: the {front_end} front end did not load", file=sys.stderr)
        return 1
    timed = TimedScore()
    rec.gate, rec.scorer = None, timed  # type: ignore[attr-defined]  # measured, not applied
    out.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    chosen = trials(part)[::every]
    with open(out, "a", encoding="utf-8") as f:
        for n, t in enumerate(chosen):
            stats: dict[str, list[float]] = {"compute": [], "audio": [], "latency": [], "finalize": []}
            timed.seconds = 0.0
            heard = decode(rec, audio(t), t["state"], stats)
            acted = heard is not None and acted_on(heard.text, t["state"])
            text = heard.text if heard is not None and acted else ""
            row = t | {"part": part, "front_end": front_end, "heard": text, "acted": acted,
                       "right": acted and bool(t["reply"]) and meaning(text) == meaning(t["reply"]),
                       "at_once": acted and heard is not None and at_once(heard),
                       "is_stop": acted and meaning(text) == meaning("stop"),
                       "score": None if rec.speech_score is None else round(rec.speech_score, 4),  # type: ignore
                       "why": heard.why if heard is not None else "",
                       "latency_ms": round(1000 * stats["latency"][-1]) if stats["latency"] else None,
                       "compute_s": round(stats["compute"][-1], 3), "score_s": round(timed.seconds, 4)}
            f.write(json.dumps(row) + "\n")
            f.flush()
            if n % 50 == 0:
                print(f"{part} {front_end} {n}/{len(chosen)} {time.perf_counter() - started:.0f}s", file=sys.stderr,
                      flush=True)
        peak = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        f.write(json.dumps({"part": part, "front_end": front_end, "kind": "rss", "peak_rss_mb": peak}) + "\n")
    return 0


def load(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def now(row: dict[str, Any], gate: float | None) -> bool:
    """Acted on at once with the gate at `gate` (the gate only ever makes an at-once reply unsure)."""
    return bool(row["at_once"]) and (gate is None or row["score"] is None or row["score"] >= gate)


def cells(rows: list[dict[str, Any]], part: str, front_end: str, gate: float | None) -> list[dict[str, Any]]:
    """Per set and condition: the figures of the brief."""
    mine = [r for r in rows if r.get("part") == part and r.get("front_end") == front_end and r["kind"] != "rss"]
    rss = [r["peak_rss_mb"] for r in rows if r.get("part") == part and r.get("front_end") == front_end
           and r["kind"] == "rss"]
    out = []
    for dataset in ("synthetic", "real"):
        for level in (*LEVELS, "slowbl"):
            here = [r for r in mine if r["set"] == dataset and r["level"] == level]
            if not here:
                continue
            replies = [r for r in here if r["kind"] == "reply"]
            nfc = [r for r in here if r["kind"] == "nfc"]
            stops = [r for r in here if r["kind"] == "stop"]
            wrong = [r for r in replies if r["acted"] and not r["right"]]
            lat = np.array([r["latency_ms"] for r in here if r["latency_ms"] is not None] or [0])
            out.append({
                "set": dataset, "level": level, "front_end": front_end, "gate": gate,
                "replies": len(replies), "understood": sum(r["right"] for r in replies),
                "understood_at_once": sum(r["right"] and now(r, gate) for r in replies),
                "wrong_acted": len(wrong), "wrong_at_once": sum(now(r, gate) for r in wrong),
                "nfc": len(nfc), "nfc_at_once": sum(now(r, gate) for r in nfc if r["acted"]),
                "nfc_read_back": sum(r["acted"] and not now(r, gate) for r in nfc),
                "false_stop": sum(r["is_stop"] for r in [*nfc, *wrong]),
                "false_stop_at_once": sum(r["is_stop"] and now(r, gate) for r in [*nfc, *wrong]),
                "stop": [sum(r["right"] for r in stops), len(stops)],
                "stop_at_once": sum(r["right"] and now(r, gate) for r in stops),
                "latency_p50_ms": round(float(np.percentile(lat, 50))),
                "latency_p95_ms": round(float(np.percentile(lat, 95))),
                "compute_per_trial_s": round(float(np.mean([r["compute_s"] for r in here])), 3),
                "peak_rss_mb": max(rss) if rss else None,
                "nfc_at_once_list": [f"{r['path']}@{r['state']}->{r['heard']}" for r in nfc
                                     if r["acted"] and now(r, gate)],
                "wrong_list": [f"{r['path']}->{r['heard']}{'' if now(r, gate) else '?'}" for r in wrong]})
    return out


def print_cells(table: list[dict[str, Any]]) -> None:
    head = (f"{'set':<10}{'condition':<10}{'front end':<11}{'gate':>6}{'understood':>12}{'at once':>9}"
            f"{'wrong (now)':>12}{'nfc at once':>13}{'nfc asked':>10}{'false stop (now)':>17}{'stop (now)':>12}"
            f"{'lat p50/p95':>13}{'RSS':>6}")
    print(head)
    print("-" * len(head))
    for c in table:
        gate = "-" if c["gate"] is None else f"{c['gate']:.3f}"
        print(f"{c['set']:<10}{c['level']:<10}{c['front_end']:<11}{gate:>6}"
              f"{c['understood']:>5}/{c['replies']:<6}{c['understood_at_once']:>9}"
              f"{c['wrong_acted']:>8} ({c['wrong_at_once']})"
              f"{c['nfc_at_once']:>7}/{c['nfc']:<5}{c['nfc_read_back']:>10}"
              f"{c['false_stop']:>12} ({c['false_stop_at_once']})"
              f"{c['stop'][0]:>6}/{c['stop'][1]:<2}({c['stop_at_once']})"
              f"{c['latency_p50_ms']:>7}/{c['latency_p95_ms']:<5}{c['peak_rss_mb'] or '-':>6}")


def choose(rows: list[dict[str, Any]], front_end: str) -> dict[str, Any]:
    """The gate's threshold by `speech_gate.choose_threshold`, from the tuning rows of `front_end` only."""
    mine = [r for r in rows if r.get("part") == "tuning" and r.get("front_end") == front_end and r["kind"] != "rss"]
    replies = [r["score"] for r in mine if r["kind"] in ("reply", "stop") and r["right"] and r["at_once"]
               and r["score"] is not None]
    talk = [r["score"] for r in mine if r["kind"] == "nfc" and r["at_once"] and r["score"] is not None]
    wrong = [r["score"] for r in mine if r["kind"] == "reply" and r["acted"] and not r["right"] and r["at_once"]
             and r["score"] is not None]
    threshold = choose_threshold(replies, talk + wrong)
    return {"front_end": front_end, "threshold": threshold, "rule": choose_threshold.__doc__,
            "replies_at_once": len(replies), "talk_or_wrong_at_once": len(talk) + len(wrong),
            "talk_or_wrong_under": sum(v < threshold for v in talk + wrong),
            "reply_scores_lowest": sorted(replies)[:5], "talk_scores": sorted(talk + wrong)}


def report(rows: list[dict[str, Any]], part: str, gate: float | None) -> dict[str, Any]:
    """Every front end in `rows`, without the gate and with it at `gate`, and the gate's threshold chosen from each
    front end's tuning rows (when `rows` hold them): printed, and returned for a JSON file."""
    fronts = sorted({r["front_end"] for r in rows if r.get("part") == part})
    tables = {}
    for front_end in fronts:
        for g in dict.fromkeys([None, gate]):
            table = cells(rows, part, front_end, g)
            print_cells(table)
            tables[f"{front_end}, gate {g}"] = table
    chosen = {f: choose(rows, f) for f in fronts} if part == "tuning" else {}
    for f, c in chosen.items():
        print(f"gate threshold chosen on {f}'s tuning rows: {c['threshold']}")
    return {"definitions": __doc__, "part": part, "gate": gate, "tables": tables, "gate_chosen": chosen}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("run", "choose", "table", "report"))
    parser.add_argument("--part", choices=("tuning", "heldout"), default="tuning")
    parser.add_argument("--front-end", choices=FRONT_ENDS, default="off")
    parser.add_argument("--gate", type=float, default=None, help="table: count the gate at this threshold")
    parser.add_argument("--every", type=int, default=1, help="run: every Nth trial of the part")
    parser.add_argument("--out", default=str(OUT), help="the rows (appended to by run; others: files, comma-separated)")
    parser.add_argument("--json", type=Path, help="table/choose: also write the figures here")
    args = parser.parse_args()
    if args.action == "run":
        return run(args.part, args.front_end, Path(args.out), args.every)
    rows = [row for name in args.out.split(",") for row in load(Path(name))]
    if args.action == "report":
        doc = report(rows, args.part, args.gate)
    elif args.action == "choose":
        doc: Any = choose(rows, args.front_end)
        print(json.dumps(doc, indent=2))
    else:
        doc = cells(rows, args.part, args.front_end, args.gate)
        print_cells(doc)
    if args.json:
        args.json.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
