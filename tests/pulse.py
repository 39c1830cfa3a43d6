"""A private PulseAudio daemon (scripts/pulse_vmic) for the sound tests, and children run in its environment."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PULSE_VMIC = ROOT / "scripts" / "pulse_vmic"


def start_vmic(state_dir: Path) -> dict[str, str]:
    """Starts a private PulseAudio daemon; returns the environment its clients need."""
    if not all(shutil.which(tool) for tool in ("pulseaudio", "pactl", "paplay")):
        pytest.skip("PulseAudio is not installed (Debian packages pulseaudio pulseaudio-utils)")
    env = {**os.environ, "VMIC_DIR": str(state_dir)}
    done = subprocess.run(["bash", str(PULSE_VMIC), "start"], env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    for line in done.stdout.splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        env[name] = value
    assert env.get("PULSE_SERVER", "").startswith("unix:")
    return env


def stop_vmic(env: dict[str, str]) -> None:
    subprocess.run(["bash", str(PULSE_VMIC), "stop"], env=env, capture_output=True, timeout=30, check=True)


def run_child(env: dict[str, str], module: str, *args: str) -> dict[str, object]:
    """Runs a test module as a script in the daemon's environment; returns the JSON it prints last."""
    done = subprocess.run([sys.executable, "-m", module, *args], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=40)
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@dataclass
class Talk:
    """How a conversation through the virtual microphone went."""

    code: int
    """The child's exit status."""
    seen: list[str]
    """What it printed, with each reply played marked "  you> (...)"."""
    stderr: str


def converse(env: dict[str, str], args: list[str], respond: Callable[[str, subprocess.Popen[str]], Path | None],
             timeout: float = 120) -> Talk:
    """Runs `voice-coach ARGS` in the daemon's environment `env`. Each line it prints goes to `respond`; the WAV it
    returns (if any) is played into the virtual microphone half a second later (the listener starts after the line
    is printed). A child still running after `timeout` seconds is killed: a hung child must not hang the suite."""
    child = subprocess.Popen([sys.executable, "-m", "voice_coach.cli.main", *args], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    timer = threading.Timer(timeout, child.kill)
    timer.start()
    seen: list[str] = []
    try:
        assert child.stdout is not None
        for line in child.stdout:
            seen.append(line.rstrip())
            wav = respond(line, child)
            if wav is not None:
                time.sleep(0.5)
                subprocess.run(["paplay", "--device=vmic", str(wav)], env=env, check=True, timeout=30)
                seen.append(f"  you> ({wav.stem.replace('_', ' ')}, into the microphone)")
        code = child.wait(timeout=30)
    finally:
        timer.cancel()
        child.kill()
    return Talk(code, seen, child.stderr.read() if child.stderr else "")
