"""The microphone: rate conversion, device choice, and real recording through a PulseAudio virtual microphone.

The recording tests start a private PulseAudio daemon (scripts/pulse_vmic) whose null sink "vmic" is the
default source's other end: a WAV played into it with paplay is what MicrophoneSource records. PortAudio reads
its device list once, when it starts, so each recording runs in a child process (this file, run as a script)
with the daemon's environment set before sounddevice is imported.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import wave
from pathlib import Path

import numpy as np
import pytest

from tests.pulse import run_child
from voice_coach.cli.devices import NO_DEVICES, render_devices
from voice_coach.errors import DeviceError
from voice_coach.speech.devices import DeviceInfo, Resampler, find_device, resample

ROOT = Path(__file__).resolve().parent.parent
NEXT_WAV = ROOT / "tests" / "audio" / "clean" / "en-us_175" / "next.wav"


# --- rate conversion -------------------------------------------------------------------------------------------

def _sine(freq: float, rate: int, seconds: float, amplitude: float = 10000) -> np.ndarray:
    return np.asarray(amplitude * np.sin(2 * np.pi * freq * np.arange(int(rate * seconds)) / rate), dtype=np.int16)


def _peak_hz(x: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.argmax(spectrum) * rate / len(x))


@pytest.mark.parametrize("in_rate", [44100, 48000, 22050, 8000])
def test_resampling_keeps_a_tone_and_the_length(in_rate: int) -> None:
    out = resample(_sine(1000, in_rate, 1.0), in_rate, 16000)
    assert len(out) == 16000
    assert _peak_hz(out, 16000) == pytest.approx(1000, abs=2)
    assert np.sqrt(np.mean(out[400:-400].astype(float) ** 2)) == pytest.approx(10000 / np.sqrt(2), rel=0.05)


def test_resampling_in_chunks_matches_one_piece_and_filters_aliases() -> None:
    tone = _sine(440, 44100, 1.0)
    whole = Resampler(44100, 16000).process(tone)
    chunked = Resampler(44100, 16000)
    pieces = np.concatenate([chunked.process(tone[i:i + 1323]) for i in range(0, len(tone), 1323)])
    assert np.abs(whole.astype(int) - pieces.astype(int)).max() <= 1  # no clicks at chunk boundaries
    alias = resample(_sine(10000, 44100, 1.0), 44100, 16000)  # above 8 kHz: must not fold back as 6 kHz
    assert np.sqrt(np.mean(alias[200:-200].astype(float) ** 2)) < 100


def test_an_unknown_microphone_is_one_clear_error() -> None:
    with pytest.raises(DeviceError) as caught:
        find_device("no such microphone 7f3a", "input")
    assert "--input text" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_the_device_list_marks_defaults_and_says_when_there_is_nothing() -> None:
    assert render_devices([]) == NO_DEVICES
    found = [DeviceInfo(0, "USB Mic", "ALSA", 1, 0, 48000.0, default_input=True),
             DeviceInfo(3, "Speakers", "ALSA", 0, 2, 44100.0, default_output=True)]
    assert render_devices(found).splitlines() == [
        "Input (microphones), for --input mic:", "*   0  USB Mic  (ALSA, 1 ch, 48000 Hz)",
        "Output (speakers), for --output speaker:", "*   3  Speakers  (ALSA, 2 ch, 44100 Hz)"]
    assert render_devices(found[:1]).splitlines()[-1] == "    none"


# --- the PulseAudio virtual microphone ----------------------------------------------------------------------------

def _wav_samples(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (16000, 1, 2)
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64)


def best_match(recorded: np.ndarray, reference: np.ndarray) -> tuple[float, int]:
    """Normalised cross-correlation of `reference` along `recorded`: (best value, its offset in samples)."""
    n = len(recorded) + len(reference)
    size = 1 << (n - 1).bit_length()
    corr = np.fft.irfft(np.fft.rfft(recorded, size) * np.conj(np.fft.rfft(reference, size)), size)
    corr = corr[:len(recorded) - len(reference) + 1]
    energy = np.concatenate([[0.0], np.cumsum(recorded ** 2)])
    window = energy[len(reference):] - energy[:-len(reference)]
    score = corr / (np.sqrt(np.maximum(window, 1e-9)) * np.sqrt(np.sum(reference ** 2)))
    best = int(np.argmax(score))
    return float(score[best]), best


@pytest.mark.audio
@pytest.mark.parametrize("device, device_rate", [(None, None), ("pulse", 44100)],
                         ids=["default-16k", "by-name-44k-resampled"])
def test_the_microphone_records_what_is_played_into_it(vmic: dict[str, str], tmp_path: Path,
                                                      device: str | None, device_rate: int | None) -> None:
    out = tmp_path / "recorded.raw"
    report = run_child(vmic, __name__, "record", str(out), device or "", str(device_rate or ""))
    recorded = np.frombuffer(out.read_bytes(), dtype="<i2").astype(np.float64)
    # The clip without most of its 0.3 s padding: a null sink renders only once something plays into it, so the
    # recording may start a little into the clip's leading silence.
    reference = _wav_samples(NEXT_WAV)[3200:-3200]
    assert report["chunk_bytes"] == [960]  # 30 ms of 16 kHz int16, whatever rate the device runs at
    score, offset = best_match(recorded, reference)
    assert score > 0.9, f"the recording does not contain next.wav (best correlation {score:.2f})"
    # The speech itself stands out from the silence around it.
    speech = recorded[offset:offset + len(reference)]
    assert np.sqrt(np.mean(speech ** 2)) > 300
    assert report["overflows"] == 0


@pytest.mark.audio
def test_the_devices_command_lists_the_virtual_devices(vmic: dict[str, str]) -> None:
    done = subprocess.run([sys.executable, "-c", "from voice_coach.cli.devices import devices; devices()"],
                          env=vmic, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "Input (microphones), for --input mic:"
    assert any(line.startswith("*") and "default" in line for line in lines)  # ALSA's default: PulseAudio
    assert any(" pulse " in line for line in lines)
    assert "Output (speakers), for --output speaker:" in lines


@pytest.mark.audio
def test_a_microphone_that_vanishes_raises_device_error_and_reopen_recovers(vmic: dict[str, str]) -> None:
    report = run_child(vmic, __name__, "vanish")
    assert report["error_after_seconds"] < 2.5  # type: ignore[operator]
    assert "microphone" in str(report["error"]) and "--input text" in str(report["error"])
    assert report["chunks_after_reopen"] > 10  # type: ignore[operator]
    assert report["read_after_close"] is None


# --- child process ------------------------------------------------------------------------------------------------

def _child_record(out: str, device: str, device_rate: str) -> dict[str, object]:
    from voice_coach.speech.microphone import MicrophoneSource

    mic = MicrophoneSource(device or None, device_rate=int(device_rate) if device_rate else None)
    player = subprocess.Popen(["paplay", "--device=vmic", str(NEXT_WAV)])
    chunks: list[bytes] = []
    started = time.monotonic()
    while player.poll() is None or time.monotonic() - started < 1.0:
        chunk = mic.read(0.5)
        if chunk:
            chunks.append(chunk)
    for _ in range(10):  # a little more after the end
        chunks.append(mic.read(0.5) or b"")
    seconds = time.monotonic() - started
    mic.close()
    Path(out).write_bytes(b"".join(chunks))
    return {"seconds": seconds, "chunk_bytes": sorted({len(c) for c in chunks if c}), "overflows": mic.overflows,
            "device_rate": mic.device_rate}


def _child_vanish() -> dict[str, object]:
    from voice_coach.speech.microphone import MicrophoneSource

    mic = MicrophoneSource(None)
    for _ in range(5):
        mic.read(0.5)
    module = subprocess.run(["pactl", "list", "short", "modules"], capture_output=True, text=True, check=True).stdout
    null_sink = next(line.split()[0] for line in module.splitlines() if "module-null-sink" in line)
    subprocess.run(["pactl", "unload-module", null_sink], check=True)
    started, error = time.monotonic(), ""
    try:
        while time.monotonic() - started < 5:
            mic.read(0.2)
    except DeviceError as exc:
        error = str(exc)
    error_after = time.monotonic() - started
    subprocess.run(["pactl", "load-module", "module-null-sink", "sink_name=vmic", "rate=16000", "channels=1"],
                   check=True, capture_output=True)
    subprocess.run(["pactl", "set-default-source", "vmic.monitor"], check=True)
    mic.reopen()
    chunks, reopened = 0, time.monotonic()
    while chunks <= 10 and time.monotonic() - reopened < 5:
        chunks += bool(mic.read(0.5))
    mic.close()
    return {"error": error, "error_after_seconds": error_after, "chunks_after_reopen": chunks,
            "read_after_close": mic.read(0.1)}


if __name__ == "__main__":
    command, *rest = sys.argv[1:]
    result = _child_record(*rest) if command == "record" else _child_vanish()
    print(json.dumps(result))
