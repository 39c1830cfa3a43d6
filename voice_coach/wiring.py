"""Build the real adapters from command-line choices: the only place that knows every engine."""

from __future__ import annotations

import sys
from pathlib import Path

from .clocks import SystemClock, VirtualClock
from .errors import CoachError
from .ports import Clock, Listener, Speaker
from .text_io import TextListener, TextSpeaker


def make_listener(spec: str, *, backend: str = "auto", model: Path | None = None) -> tuple[Listener, bool]:
    """The listener for --input, and whether it replays (so the session may run on a virtual clock)."""
    if spec == "text":
        prompt = sys.stdout if sys.stdin.isatty() else None
        return TextListener(sys.stdin, "keyboard", prompt=prompt), False
    if spec == "mic":
        from .speech_wiring import microphone_listener
        return microphone_listener(backend=backend, model=model), False
    path = Path(spec)
    if path.suffix == ".txt" and path.is_file():
        from .replay import TextReplayListener
        return TextReplayListener(path), True
    if path.exists():
        from .speech_wiring import audio_replay_listener
        return audio_replay_listener(path, backend=backend, model=model), True
    raise CoachError(f"--input {spec}: not 'text', 'mic', a .txt script, a WAV file or a folder of WAVs",
                     code="usage")


def make_speaker(spec: str, *, rate: int | None = None, volume: float | None = None) -> Speaker:
    """The speaker for --output: text, speaker (speech), or a directory to write one WAV per line."""
    if spec == "text":
        return TextSpeaker()
    from .speech_out import speech_speaker
    return speech_speaker(spec, rate=rate, volume=volume)


def make_clock(replaying: bool, time_scale: float) -> Clock:
    """A replay runs on a virtual clock (instant, deterministic); live input on the real one."""
    if replaying:
        return VirtualClock(start=SystemClock().wall())
    return SystemClock(scale=time_scale)
