"""A private PulseAudio daemon (scripts/pulse_vmic) for the sound tests, and children run in its environment."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
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
