"""Whether the sound server cancels the coach's own voice (PulseAudio/PipeWire module-echo-cancel), for `devices`."""

from __future__ import annotations

import shutil
import subprocess

ECHO_SOURCE = "coach_mic"
"""The echo-cancelled microphone that scripts/echo_cancel (and the command below) makes."""
LOAD_COMMAND = ("pactl load-module module-echo-cancel aec_method=webrtc source_name=coach_mic "
                "sink_name=coach_speaker && pactl set-default-source coach_mic && pactl set-default-sink coach_speaker")


def echo_cancel_line(sources: list[str] | None) -> str:
    """One line for the devices listing: echo cancellation on (and whether it is the default microphone), off
    with the command that turns it on, or unknown where there is no PulseAudio-compatible server."""
    if sources is None:
        return "Echo cancellation: unknown (no PulseAudio or PipeWire-pulse server answered)"
    names = [s.split("\t")[1] for s in sources if "\t" in s]
    cancelling = [n for n in names if n == ECHO_SOURCE or "echo-cancel" in n or "echo_cancel" in n]
    if cancelling:
        return (f"Echo cancellation: on ({cancelling[0]}); make it the microphone (--device or the default) so "
                "that the coach does not hear itself through a loudspeaker")
    return ("Echo cancellation: off. With a loudspeaker the microphone hears the coach's own voice; turn it on "
            f"with: {LOAD_COMMAND}")


def pulse_sources() -> list[str] | None:
    """`pactl list short sources` (one line a source), or None when there is no pactl or no server."""
    if shutil.which("pactl") is None:
        return None
    try:
        done = subprocess.run(["pactl", "list", "short", "sources"], capture_output=True, text=True, timeout=5,
                              check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.splitlines() if done.returncode == 0 else None
