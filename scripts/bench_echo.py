#!/usr/bin/env python3
"""Echo bench: the coach's own voice in the microphone, through a private PulseAudio (scripts/pulse_vmic).

The coach speaks into a null sink "coach_out"; the room is a loopback from its monitor into the virtual microphone
"vmic", delayed (--delay-ms, 20-80) and attenuated (--room-percent of full volume); a person's "stop" is played into
vmic 0.8 s into some lines. With --aec, scripts/echo_cancel puts WebRTC's canceller between them (coach_out as the
reference). Each line is said as the session loop says it (voice_coach.speech.barge_in.say_watching, the product's
Pyttsx3Speaker and microphone listener), then the coach listens 2 s for a reply as it would after a question.

Counted: self-triggered replies (anything acted on in that line's state while nobody spoke, during the line or in
the 2 s after it), false "stop"s among them, those a transcript-matches-the-line guard would have dropped, and per
"stop" said: whether the line was cut and how long after the end of the word.

    python scripts/bench_echo.py [--prompts 100] [--stop-every 3] [--aec] [--delay-ms 50] [--room-percent 50]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

STOP_WAV = ROOT / "tests" / "audio" / "heldout" / "en-us-nyc_150" / "stop.wav"
"""The person: the held-out synthetic voice (no real "stop" recording is to be had from the registries)."""
STOP_AT_SECONDS = 0.8
LINES = (  # the coach's lines that a microphone would hear (prompts/en.yaml, slots filled), and the state after
    ("How hard was that, from zero, nothing at all, to ten, the hardest you can imagine?", "asking_rating"),
    ("How tired do you feel right now, from zero, not tired at all, to ten, exhausted?", "asking_feeling"),
    ("Say stop, or name a symptom like cramp or dizzy, at any time, and I will stop at once.", "introducing"),
    ("Begin at an easy pace. 10 minutes. Say pause or stop at any time.", "exercising"),
    ("Any new or more muscle cramps since last time? Yes or no.", "asking_symptoms"),
    ("Rest for 60 seconds. Say next when you are ready.", "waiting_next"),
    ("Lift slowly, 10 times each side. Then say next.", "waiting_next"),
    ("Did yesterday's exercise keep you from your daily activities?", "asking_daily"),
    ("I heard seven. Is that right?", "confirming"),
    ("Time. Slow down gently and stop. Well done.", "waiting_next"),
)


def words_of_line(heard: str, line: str) -> bool:
    """The cheap guard: every word heard is a word of the line being said (the coach hearing itself)."""
    from voice_coach.coach.intents import normalize
    said = set(normalize(line.replace("10", "ten").replace("60", "sixty")).split())
    return bool(heard) and set(normalize(heard).split()) <= said


def speech_end_seconds(path: Path) -> float:
    from voice_coach.speech.audio_io import read_wav
    x = np.abs(np.frombuffer(read_wav(path), dtype="<i2").astype(float))
    return float(np.flatnonzero(x > 0.02 * x.max())[-1] / 16000)


def child(prompts: int, stop_every: int, keep_audio: Path | None = None, stop_wav: Path = STOP_WAV,
          spotter: bool = True) -> dict[str, Any]:
    """The coach's side, run in the daemon's environment: default devices are the room's (or the canceller's)."""
    from voice_coach.cli.speech import state_intents
    from voice_coach.coach.clocks import SystemClock
    from voice_coach.coach.intents import Heard, load_phrasebook
    from voice_coach.coach.ports import Expectation
    from voice_coach.errors import DeviceError
    from voice_coach.speech.barge_in import say_watching
    from voice_coach.speech.speech_out import Pyttsx3Speaker
    from voice_coach.speech.wiring import microphone_listener

    book = load_phrasebook()
    speaker = Pyttsx3Speaker()
    listener = microphone_listener("auto")
    if not spotter:  # as before the spotter: barge-in waits for the listener's own decision
        listener.spotter = None  # type: ignore[attr-defined]
    spots: list[float] = []
    backlog: list[float] = []

    def queued_seconds() -> float:
        """Audio recorded but not yet looked at by the listener: how far behind real time it runs."""
        source = listener.source  # type: ignore[attr-defined]
        return (source._queue.qsize() * source.block_ms / 1000 + len(listener._frames) * 0.03  # type: ignore
                + len(listener._buffer) / 32000)  # type: ignore[attr-defined]

    arm = listener.arm_spotter  # type: ignore[attr-defined]

    def arm_counted(on_spotted: Callable[[], None] | None) -> bool:
        """Barge-in's arming, with each spotter cut counted."""
        if on_spotted is None:
            return bool(arm(None))

        def counted() -> None:
            spots.append(time.monotonic())
            on_spotted()
        return bool(arm(counted))

    listener.arm_spotter = arm_counted  # type: ignore[attr-defined]
    clock = SystemClock()
    heard_audio = bytearray()
    if keep_audio is not None:  # what the coach's microphone gave, one WAV a line (to see what the listener heard)
        from voice_coach.speech.audio_io import write_wav
        keep_audio.mkdir(parents=True, exist_ok=True)
        read = listener.source.read  # type: ignore[attr-defined]

        def read_kept(wait: float) -> bytes | None:
            chunk = read(wait)
            heard_audio.extend(chunk or b"")
            return chunk

        listener.source.read = read_kept  # type: ignore[attr-defined]
    cut_at: list[float] = []
    stop_playback = speaker.stop_playback

    def timed_stop() -> None:
        cut_at.append(time.monotonic())
        backlog.append(queued_seconds())
        stop_playback()

    speaker.stop_playback = timed_stop  # type: ignore[method-assign]


    def acted(h: Heard | None, state: str) -> bool:
        u = book.parse(h) if h is not None else None
        return u is not None and u.intent in state_intents(state)

    stop_end = speech_end_seconds(stop_wav)

    def say_stop(trial: dict[str, Any], started: float) -> None:
        time.sleep(STOP_AT_SECONDS)
        trial["stop_played_at"] = time.monotonic() - started
        subprocess.run(["paplay", "--device=vmic", str(stop_wav)], check=True)

    trials = []
    seen = 0
    for i in range(prompts):
        line, state = LINES[i % len(LINES)]
        expect = Expectation(tuple(book.phrases_for(state_intents(state))), True, state)
        with_stop = stop_every > 0 and i % stop_every == stop_every - 1
        cut_at.clear()
        spots.clear()
        backlog.clear()
        trial: dict[str, Any] = {}
        started = time.monotonic()
        player = threading.Thread(target=say_stop, args=(trial, started)) if with_stop else None
        if player is not None:
            player.start()
        try:
            own = book.safety_named(line)  # as the session loop says a line
            heard = say_watching(speaker, listener, line, f"line{i % len(LINES)}", expect=expect, clock=clock,
                                 is_urgent=lambda h, own=own: book.urgent(h, None, own), spot="stop" not in own)
        except DeviceError as e:  # the shared machine stalled the output stream: counted, not a crash
            if player is not None:
                player.join()
            trials.append({"line": i % len(LINES), "device_error": str(e)})
            continue
        line_seconds = time.monotonic() - started
        after = None
        if heard is None and not with_stop:
            after = listener.listen(clock.now() + 2.0, clock, expect)
        if player is not None:
            player.join()
        got = heard or after
        trial["utterances"] = [f"{r.reason}:{r.heard.text if r.heard else ''}" for r in list(listener.reports)[seen:]]
        seen = len(listener.reports)
        trial.update({"line": i % len(LINES), "state": state, "with_stop": with_stop,
                      "heard": got.text if got else None, "acted": acted(got, state), "spotted": len(spots),
                      "during_line": heard is not None, "line_seconds": round(line_seconds, 2),
                      "guarded": bool(got) and words_of_line(got.text if got else "", line)})
        if with_stop:
            trial["cut"] = bool(cut_at)
            if cut_at:
                trial["cut_ms_after_word"] = round(1000 * (cut_at[0] - started - trial["stop_played_at"] - stop_end))
                trial["backlog_ms_at_cut"] = round(1000 * backlog[0])
        trials.append(trial)
        if keep_audio is not None:
            write_wav(keep_audio / f"{i:03d}_line{i % len(LINES)}{'_stop' if with_stop else ''}.wav",
                      bytes(heard_audio))
            heard_audio.clear()
        print(json.dumps(trial), file=sys.stderr, flush=True)
    speaker.close()
    return {"trials": trials}


def start_room(env: dict[str, str], delay_ms: int, room_percent: int, aec: bool) -> dict[str, str]:
    done = subprocess.run(["bash", str(ROOT / "scripts" / "pulse_vmic"), "start"], env=env, capture_output=True,
                          text=True, check=True)
    for line in done.stdout.splitlines():
        k, _, v = line.removeprefix("export ").partition("=")
        env[k] = v

    def pactl(*args: str) -> str:
        return subprocess.run(["pactl", *args], env=env, capture_output=True, text=True, check=True).stdout.strip()

    pactl("load-module", "module-null-sink", "sink_name=coach_out", "rate=16000", "channels=1")
    index = pactl("load-module", "module-loopback", "source=coach_out.monitor", "sink=vmic",
                  f"latency_msec={delay_ms}", "source_dont_move=1", "sink_dont_move=1")
    owned = [block for block in pactl("list", "sink-inputs").split("Sink Input #")[1:]
             if f"Owner Module: {index}\n" in block + "\n"]
    if len(owned) != 1:  # the echo's level is the point of the room: never measure at the wrong one
        raise subprocess.CalledProcessError(1, f"no sink input of the loopback module {index}")
    pactl("set-sink-input-volume", owned[0].split("\n", 1)[0].strip(), f"{room_percent}%")
    pactl("set-default-sink", "coach_out")
    if aec:
        subprocess.run(["bash", str(ROOT / "scripts" / "echo_cancel"), "on", "vmic.monitor", "coach_out"], env=env,
                       check=True, capture_output=True)
    return env


def summary(all_trials: list[dict[str, Any]]) -> dict[str, Any]:
    trials = [t for t in all_trials if "device_error" not in t]
    quiet = [t for t in trials if not t["with_stop"]]
    stops = [t for t in trials if t["with_stop"]]
    cuts = sorted(t["cut_ms_after_word"] for t in stops if t.get("cut"))
    return {"prompts": len(trials), "device_errors": len(all_trials) - len(trials), "quiet_prompts": len(quiet),
            "self_triggered": sum(t["acted"] for t in quiet),
            "self_triggered_list": [f"{t['line']}:{t['heard']}" for t in quiet if t["acted"]],
            "self_false_stop": sum(t["acted"] and t["heard"] == "stop" for t in quiet),
            "after_guard": sum(t["acted"] and not t["guarded"] for t in quiet),
            "heard_not_acted": sum(bool(t["heard"]) and not t["acted"] for t in quiet),
            "stops": len(stops), "stops_cut": len(cuts),
            "stops_heard": sum(t["heard"] == "stop" for t in stops),
            "stop_lines_not_listened": sum("stop" in LINES[t["line"]][0].lower() for t in stops),
            "cut_ms_p50": cuts[len(cuts) // 2] if cuts else None, "cut_ms_max": cuts[-1] if cuts else None,
            "stops_guard_would_drop": sum(t.get("guarded", False) for t in stops),
            "cut_ms_all": cuts, "backlog_ms_at_cut": sorted(t["backlog_ms_at_cut"] for t in stops if t.get("cut")),
            "spotter_cuts_quiet": sum(t.get("spotted", 0) for t in quiet),
            "spotter_cuts_stop": sum(t.get("spotted", 0) for t in stops)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=100)
    parser.add_argument("--stop-every", type=int, default=3,
                        help="a person says stop during every Nth line (0: never; 3 goes round all ten lines)")
    parser.add_argument("--aec", action="store_true", help="WebRTC echo cancellation (scripts/echo_cancel)")
    parser.add_argument("--delay-ms", type=int, default=50)
    parser.add_argument("--room-percent", type=int, default=50, help="the echo's volume in the microphone")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--vmic-dir", type=Path, default=Path(f"/tmp/voice-coach-echo-{os.getpid()}"),
                        help="the private PulseAudio daemon's folder (removed at the end)")
    parser.add_argument("--keep-audio", type=Path, default=None,
                        help="write what the coach's microphone gave during each line into this folder")
    parser.add_argument("--stop-wav", type=Path, default=STOP_WAV,
                        help="the person's stop (default: the held-out synthetic voice; tune on another one)")
    parser.add_argument("--no-spotter", action="store_true",
                        help="barge-in without the stop spotter (the listener's own decision only), for comparison")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.prompts, args.stop_every, args.keep_audio, args.stop_wav,
                               not args.no_spotter)))
        return 0
    vmic_dir = args.vmic_dir
    env = {**os.environ, "VMIC_DIR": str(vmic_dir)}
    try:
        env = start_room(env, args.delay_ms, args.room_percent, args.aec)
        done = subprocess.run([sys.executable, __file__, "--child", "--prompts", str(args.prompts), "--stop-every",
                               str(args.stop_every), "--stop-wav", str(args.stop_wav),
                               *(["--no-spotter"] if args.no_spotter else []),
                               *(["--keep-audio", str(args.keep_audio)] if args.keep_audio else [])],
                              env={**env, "VOICE_COACH_HOME": str(vmic_dir / "coach")},
                              capture_output=True, text=True, check=False)
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"bench_echo: the virtual room did not start ({e}); needs pulseaudio, pulseaudio-utils", file=sys.stderr)
        return 1
    finally:
        subprocess.run(["bash", str(ROOT / "scripts" / "pulse_vmic"), "stop"], env=env, capture_output=True)
    if done.returncode != 0:
        print(f"bench_echo: the coach's side failed: {done.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
        return 1
    trials = json.loads(done.stdout.strip().splitlines()[-1])["trials"]
    result = {"aec": args.aec, "delay_ms": args.delay_ms, "room_percent": args.room_percent,
              "spotter": not args.no_spotter, "stop_wav": str(args.stop_wav.relative_to(ROOT))
              if args.stop_wav.is_relative_to(ROOT) else str(args.stop_wav), **summary(trials),
              "trials": trials}
    print(json.dumps({k: v for k, v in result.items() if k != "trials"}, indent=1))
    out = args.out or ROOT / "bench-results" / (f"echo_{'aec' if args.aec else 'raw'}_{args.room_percent}pct_"
                                                f"{args.delay_ms}ms{'_nospot' if args.no_spotter else ''}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
