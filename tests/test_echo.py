"""The coach's own voice in the microphone: through a private PulseAudio room (scripts/bench_echo.py) with WebRTC
echo cancellation (scripts/echo_cancel), the coach never takes its own lines as a reply. How fast a "stop" said over
a line cuts it is a figure of scripts/bench_echo.py (docs/REAL_SPEECH_AND_ECHO.md), not a test: it depends on the
load of the machine; tests/test_stop_spotter.py checks the cut on audio time."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from voice_coach.speech.echo_cancel import echo_cancel_line

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def echo_room(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Four lines said through the virtual room with echo cancellation; "stop" said over the second and fourth."""
    if not all(shutil.which(tool) for tool in ("pulseaudio", "pactl", "paplay")):
        pytest.skip("PulseAudio is not installed (Debian packages pulseaudio pulseaudio-utils)")
    tmp = tmp_path_factory.mktemp("echo")
    out = tmp / "echo.json"
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "bench_echo.py"), "--aec", "--prompts", "4",
                           "--stop-every", "2", "--out", str(out), "--vmic-dir", str(tmp / "vmic")],
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    assert not (tmp / "vmic").exists()
    result: dict[str, Any] = json.loads(out.read_text())
    return result


@pytest.mark.audio
def test_the_coach_does_not_take_its_own_lines_as_replies(echo_room: dict[str, Any]) -> None:
    # a line whose output stream the shared machine stalled is counted apart (device_errors), not as quiet
    assert echo_room["quiet_prompts"] >= 1 and echo_room["self_triggered"] == 0, echo_room["trials"]


@pytest.mark.parametrize(("sources", "starts"), [
    (None, "Echo cancellation: unknown"),
    ([], "Echo cancellation: off"),
    (["0\tvmic.monitor\tmodule-null-sink.c\ts16le 1ch 16000Hz\tRUNNING"], "Echo cancellation: off"),
    (["0\tvmic.monitor\tmodule-null-sink.c\ts16le 1ch 16000Hz\tRUNNING",
      "2\tcoach_mic\tmodule-echo-cancel.c\tfloat32le 1ch 16000Hz\tIDLE"], "Echo cancellation: on (coach_mic)"),
    (["5\talsa_input.pci.analog-stereo.echo-cancel\tmodule-echo-cancel.c\ts16le 1ch 32000Hz\tIDLE"],
     "Echo cancellation: on (alsa_input.pci.analog-stereo.echo-cancel)"),
])
def test_devices_says_whether_the_coach_voice_is_cancelled(sources: list[str] | None, starts: str) -> None:
    line = echo_cancel_line(sources)
    assert line.startswith(starts)
    assert ("module-echo-cancel aec_method=webrtc" in line) == starts.endswith("off")


def test_devices_shows_the_echo_cancel_line_in_the_real_cli(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "voice_coach.cli", "devices"], capture_output=True, text=True,
                          timeout=60, env={"HOME": str(tmp_path), "VOICE_COACH_HOME": str(tmp_path / "h"),
                                           "PATH": "/usr/bin:/bin", "PULSE_SERVER": f"unix:{tmp_path}/none"},
                          cwd=ROOT)
    assert done.returncode == 0 and "Traceback" not in done.stderr
    assert "Echo cancellation: unknown" in done.stdout or "no sound devices" in done.stdout
