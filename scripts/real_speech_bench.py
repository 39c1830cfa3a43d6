"""The real-speech bench (`scripts/bench_speech.py --set real`): real people's replies and talk not meant for the
coach (scripts/real_speech_set.py), quiet and mixed with white noise and other real speakers' babble at 10 and 5 dB,
through the product's recognizer (the "whisper" mode: grammar + Whisper check) and pocketsphinx alone ("state").

Per condition and state:
  replies      reply clips said in the state that takes them (numbers: asking_rating; yes/no: asking_symptoms)
  understood   acted on with the reply's meaning (at once, or read back first: "read back" counts those)
  wrong        acted on with another meaning (at once / read back)
  nfc at once  not-for-coach clips acted on at once (confidence >= 0.6, or "stop")
  nfc read back  not-for-coach clips taken unsure: the coach reads them back or asks again
  false stop   not-for-coach clips taken as "stop"
  latency      end of speech -> intent, p50/p95 (as scripts/bench_speech.py measures it)
Only the `--part` given is scored (default test); dev is the part for tuning.
"""

from __future__ import annotations

import csv
import json
import resource
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

SCRIPTS = Path(__file__).resolve().parent
sys.path.insert(0, str(SCRIPTS.parent))
sys.path.insert(0, str(SCRIPTS))

from bench_speech import acted_on, at_once, decode, degrade, make, meaning, with_tail  # noqa: E402
from real_speech_set import CACHE  # noqa: E402

from tests.mixing import speech_rms, to_pcm  # noqa: E402
from voice_coach.speech.audio_io import read_wav  # noqa: E402

SET = CACHE / "set"
CONDITIONS: dict[str, tuple[str | None, float | None]] = {
    "quiet": (None, None), "white10": ("white", 10.0), "babble10": ("babble", 10.0), "white5": ("white", 5.0),
    "babble5": ("babble", 5.0)}
REPLY_STATE = {"number": "asking_rating", "yesno": "asking_symptoms"}
NFC_STATES = ("waiting_next", "asking_rating")
"""States where talk not meant for the coach, acted on, moves the session on (the issue's two)."""


@cache
def _babble() -> np.ndarray:
    return np.frombuffer(read_wav(SET / "noise" / "babble.wav"), dtype="<i2").astype(np.float64)


def with_real_babble(pcm: bytes, snr_db: float, seed: int) -> bytes:
    """The set's babble (real speakers in no clip), from a seeded offset, `snr_db` below the speech."""
    x = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    b = _babble()
    start = int(np.random.default_rng(seed).integers(0, len(b) - len(x)))
    b = b[start:start + len(x)]
    gain = speech_rms(x) / 10 ** (snr_db / 20) / max(1e-9, float(np.sqrt(np.mean(b ** 2))))
    return to_pcm(x + b * gain)


def degraded(pcm: bytes, noise: str | None, snr: float | None, seed: int) -> bytes:
    """As scripts/bench_speech.py mixes noise, with the real set's own babble."""
    if noise == "babble" and snr is not None:
        return with_real_babble(pcm, snr, seed)
    return degrade(pcm, noise, snr, seed)


def rows_of(part: str, every: int = 1) -> list[dict[str, str]]:
    """The part's clips: every reply, and every `every`-th not-for-coach clip in manifest order (a subset fixed
    before any result is seen, for a machine too busy for the whole part)."""
    with open(SET / "manifest.csv", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["part"] == part]
    other = [r for r in rows if r["kind"] not in REPLY_STATE]
    return [r for r in rows if r["kind"] in REPLY_STATE] + other[::every]


def worker(mode: str, part: str, conditions: list[str], every: int) -> list[dict[str, Any]]:
    rec = make("pocketsphinx", mode)
    rows = rows_of(part, every)
    out = []
    for level in conditions:
        noise, snr = CONDITIONS[level]
        for state in sorted(set(REPLY_STATE.values()) | set(NFC_STATES)):
            stats: dict[str, list[float]] = {"compute": [], "audio": [], "latency": [], "finalize": []}
            cell = {"mode": mode, "part": part, "level": level, "state": state, "replies": 0, "understood": 0,
                    "read_back": 0, "wrong_at_once": 0, "wrong_read_back": 0, "nfc": 0, "nfc_at_once": 0,
                    "nfc_read_back": 0, "false_stop": 0, "misses": [], "false_accepts": []}
            for i, r in enumerate(rows):
                reply = r["kind"] in REPLY_STATE
                if (reply and REPLY_STATE[r["kind"]] != state) or (not reply and state not in NFC_STATES) \
                        or r["kind"] not in (*REPLY_STATE, "oog"):
                    continue
                pcm = with_tail(degraded(read_wav(SET / r["path"]), noise, snr, 3000 + i))
                heard = decode(rec, pcm, state, stats)
                acted = heard is not None and acted_on(heard.text, state)
                text = heard.text if heard is not None and acted else ""
                now = heard is not None and acted and at_once(heard)  # sure: acted on without a question
                if reply:
                    cell["replies"] += 1
                    if acted and meaning(text) == meaning(r["intent_text"]):
                        cell["understood"] += 1
                        cell["read_back"] += not now
                    else:
                        if acted:
                            cell["wrong_at_once" if now else "wrong_read_back"] += 1
                        cell["misses"].append(f"{r['path']}->{text or '-'}")
                else:
                    cell["nfc"] += 1
                    if acted:
                        cell["nfc_at_once" if now else "nfc_read_back"] += 1
                        cell["false_stop"] += meaning(text) == meaning("stop")
                        cell["false_accepts"].append(f"{r['path']}({r['text'] or r['language']})->{text}"
                                                     f"{'' if now else '?'}")
            lat = np.array(stats["latency"] or [0.0]) * 1000
            cell.update({"latency_p50_ms": round(float(np.percentile(lat, 50))),
                         "latency_p95_ms": round(float(np.percentile(lat, 95))),
                         "rtf": round(sum(stats["compute"]) / max(1e-9, sum(stats["audio"])), 3)})
            out.append(cell)
    peak = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    for cell in out:
        cell["peak_rss_mb"] = peak
    return out


def run(modes: list[str], part: str, conditions: list[str], every: int = 1) -> tuple[list[dict[str, Any]], list[str]]:
    """Each mode in its own process (its own peak memory); the cells and any failure notes."""
    if not (SET / "manifest.csv").exists():
        return [], [f"no real-speech set in {SET}: run scripts/real_speech_set.py first"]
    cells: list[dict[str, Any]] = []
    notes = []
    for mode in modes:
        print(f"running real {mode} ({part}) ...", file=sys.stderr, flush=True)
        done = subprocess.run([sys.executable, __file__, mode, part, ",".join(conditions), str(every)],
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            notes.append(f"real {mode} failed: {done.stderr.strip().splitlines()[-1:]}")
            continue
        cells += json.loads(done.stdout.strip().splitlines()[-1])
    return cells, notes


def print_cells(cells: list[dict[str, Any]]) -> None:
    head = (f"{'mode':<8}{'condition':<10}{'state':<16}{'understood':>12}{'(read back)':>12}{'wrong now/rb':>13}"
            f"{'nfc at once':>14}{'nfc read back':>14}{'false stop':>11}{'latency p50/p95':>17}{'RTF':>7}")
    print(head)
    print("-" * len(head))
    for c in cells:
        und = f"{c['understood']}/{c['replies']}" if c["replies"] else "-"
        wrong = f"{c['wrong_at_once']}/{c['wrong_read_back']}" if c["replies"] else "-"
        nfc = f"{c['nfc_at_once']}/{c['nfc']} {100 * c['nfc_at_once'] / c['nfc']:.1f}%" if c["nfc"] else "-"
        nrb = f"{c['nfc_read_back']}/{c['nfc']}" if c["nfc"] else "-"
        fs = f"{c['false_stop']}/{c['nfc']}" if c["nfc"] else "-"
        print(f"{c['mode']:<8}{c['level']:<10}{c['state']:<16}{und:>12}{c['read_back'] if c['replies'] else '-':>12}"
              f"{wrong:>13}{nfc:>14}{nrb:>14}{fs:>11}{c['latency_p50_ms']:>9}/{c['latency_p95_ms']:<7}{c['rtf']:>7.3f}")


if __name__ == "__main__":
    print(json.dumps(worker(sys.argv[1], sys.argv[2], sys.argv[3].split(","), int(sys.argv[4]))))
