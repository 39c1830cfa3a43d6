"""Sound devices through PortAudio: list them, pick one by name or index, convert sample rates, play clips."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Literal

import numpy as np

from voice_coach.errors import DeviceError

Kind = Literal["input", "output"]

INPUT_HINT = "use --input text (keyboard), or a WAV file or folder of WAVs"
OUTPUT_HINT = "use --output text, or a folder to write one WAV per line"


def sounddevice() -> ModuleType:
    """The sounddevice module, or a DeviceError when PortAudio is not installed (imported late: it is optional)."""
    try:
        import sounddevice as sd
    except ImportError as exc:
        raise DeviceError("sounddevice is not installed: pip install 'voice-coach[speech]'") from exc
    except OSError as exc:  # sounddevice raises OSError when libportaudio cannot be loaded
        raise DeviceError(f"PortAudio is missing ({exc}): install the Debian package libportaudio2") from exc
    return sd


def rescan() -> None:
    """Make PortAudio look for devices again (a microphone plugged in later). Invalidates every open stream."""
    sd = sounddevice()
    sd._terminate()
    sd._initialize()


@dataclass(frozen=True)
class DeviceInfo:
    """One PortAudio device as the user sees it."""

    index: int
    """PortAudio's device index (valid until the next rescan)."""
    name: str
    """The device name, as `--device` matches it."""
    hostapi: str
    """The audio system behind it (ALSA, Core Audio, WASAPI...)."""
    input_channels: int
    """Maximum input channels; 0 for a speaker."""
    output_channels: int
    """Maximum output channels; 0 for a microphone."""
    default_samplerate: float
    """The rate the device runs at natively, in Hz."""
    default_input: bool = False
    """This is the system's default microphone."""
    default_output: bool = False
    """This is the system's default speaker."""

    def channels(self, kind: Kind) -> int:
        return self.input_channels if kind == "input" else self.output_channels


def list_devices() -> list[DeviceInfo]:
    """Every device PortAudio knows; an empty list on a machine without sound devices."""
    sd = sounddevice()
    try:
        raw = list(sd.query_devices())
        hostapis = [h["name"] for h in sd.query_hostapis()]
        default_in, default_out = (_as_index(d) for d in sd.default.device)
    except sd.PortAudioError as exc:
        raise DeviceError(f"cannot list sound devices: {exc}") from exc
    if default_in < 0 or default_out < 0:  # sd.default not set: ask PortAudio for its own defaults
        default_in = default_in if default_in >= 0 else _portaudio_default(sd, "input")
        default_out = default_out if default_out >= 0 else _portaudio_default(sd, "output")
    return [DeviceInfo(index=i, name=str(d["name"]), hostapi=hostapis[d["hostapi"]] if d["hostapi"] < len(hostapis)
                       else str(d["hostapi"]), input_channels=int(d["max_input_channels"]),
                       output_channels=int(d["max_output_channels"]),
                       default_samplerate=float(d["default_samplerate"]),
                       default_input=i == default_in, default_output=i == default_out)
            for i, d in enumerate(raw)]


def _as_index(value: object) -> int:
    return value if isinstance(value, int) else -1


def _portaudio_default(sd: ModuleType, kind: Kind) -> int:
    try:
        return int(sd.query_devices(kind=kind)["index"])
    except (sd.PortAudioError, ValueError, KeyError, TypeError):
        return -1


def find_device(spec: str | int | None, kind: Kind, *, hint: bool = True) -> DeviceInfo:
    """The device for `spec`: None = the default, an index, or a case-insensitive part of the name.

    An exact name wins over a partial one; among partial matches the lowest index wins, so the choice is stable.
    A DeviceError says what is missing and, with `hint`, what to use instead.
    """
    fix = ("; " + (INPUT_HINT if kind == "input" else OUTPUT_HINT)) if hint else ""
    what = "microphone (sound input device)" if kind == "input" else "sound output device"
    usable = [d for d in list_devices() if d.channels(kind) > 0]
    if not usable:
        raise DeviceError(f"no {what} found{fix}")
    if spec is None or (isinstance(spec, str) and spec.strip().lower() in ("", "default")):
        default = [d for d in usable if (d.default_input if kind == "input" else d.default_output)]
        return default[0] if default else usable[0]
    if isinstance(spec, int) or spec.strip().isdigit():
        index = int(spec)
        for d in usable:
            if d.index == index:
                return d
        raise DeviceError(f"no {what} with index {index} (see `voice-coach devices`){fix}")
    wanted = spec.strip().lower()
    exact = [d for d in usable if d.name.lower() == wanted]
    partial = [d for d in usable if wanted in d.name.lower()]
    if exact or partial:
        return (exact or partial)[0]
    names = ", ".join(f"{d.index}: {d.name}" for d in usable[:6])
    raise DeviceError(f"no {what} named like '{spec}' (found {names}){fix}")


def lowpass_taps(cutoff: float, count: int = 63) -> np.ndarray:
    """A windowed-sinc low-pass filter; `cutoff` is a fraction of the input sample rate (0 to 0.5)."""
    n = np.arange(count) - (count - 1) / 2
    taps = 2 * cutoff * np.sinc(2 * cutoff * n) * np.hamming(count)
    return np.asarray(taps / taps.sum(), dtype=np.float64)


class Resampler:
    """Streaming sample-rate conversion of int16 mono audio: low-pass (when lowering the rate), then linear
    interpolation. State carries across chunks, so chunk boundaries leave no clicks. Good enough for speech
    recognition and for playing speech; not meant for music."""

    def __init__(self, in_rate: float, out_rate: float) -> None:
        self.in_rate, self.out_rate = float(in_rate), float(out_rate)
        self.step = self.in_rate / self.out_rate
        """Input samples per output sample."""
        # Below the output's Nyquist frequency, with a margin for the filter's slope.
        self._taps = lowpass_taps(0.45 / self.step) if self.step > 1 else None
        self._history = np.zeros(0 if self._taps is None else len(self._taps) - 1)
        self._last = 0.0
        """The last filtered sample of the previous chunk: interpolation needs one sample to the left."""
        self._pos = 1.0
        """Where the next output sample falls, counted from `_last` (index 0) in the next chunk."""

    def process(self, chunk: np.ndarray) -> np.ndarray:
        x = np.asarray(chunk, dtype=np.float64).reshape(-1)
        if x.size == 0:
            return np.zeros(0, dtype=np.int16)
        if self._taps is not None:
            joined = np.concatenate([self._history, x])
            self._history = joined[-(len(self._taps) - 1):]
            x = np.convolve(joined, self._taps, mode="valid")
        y = np.concatenate([[self._last], x])
        last_index = len(y) - 1
        count = int(np.floor((last_index - self._pos) / self.step)) + 1 if self._pos <= last_index else 0
        positions = self._pos + self.step * np.arange(count)
        out = np.interp(positions, np.arange(len(y)), y)
        self._pos = self._pos + self.step * count - last_index
        self._last = float(y[-1])
        return np.asarray(np.clip(np.round(out), -32768, 32767), dtype=np.int16)


def resample(samples: np.ndarray, in_rate: float, out_rate: float) -> np.ndarray:
    """A whole clip at another rate (int16 mono)."""
    if in_rate == out_rate:
        return np.asarray(samples, dtype=np.int16)
    resampler = Resampler(in_rate, out_rate)
    # Flush the filter's delay with silence so that the clip's end is not cut.
    pad = np.zeros(2 if resampler._taps is None else len(resampler._taps))
    out = resampler.process(np.concatenate([np.asarray(samples, dtype=np.float64).reshape(-1), pad]))
    expected = int(round(len(samples) * out_rate / in_rate))
    delay = 0 if resampler._taps is None else int(round((len(resampler._taps) - 1) / 2 / resampler.step))
    out = out[delay:delay + expected]
    return np.pad(out, (0, expected - len(out))) if len(out) < expected else out


@dataclass(frozen=True)
class Clip:
    """A piece of audio to play: a synthesised line."""

    samples: np.ndarray
    """Mono int16 samples."""
    sample_rate: int
    """Hz (22050 from espeak-ng)."""

    @property
    def duration_seconds(self) -> float:
        return len(self.samples) / self.sample_rate


class PlaybackLine:
    """One clip being said: `cut` is a barge-in; `wake` ends the player's wait (cut, or all audio handed over)."""

    def __init__(self) -> None:
        self.cut = threading.Event()
        self.wake = threading.Event()
        self.rendered = False
        """Every sample has been handed to the device."""
        self.end_time: float | None = None
        """Stream time at which the last sample leaves the speaker."""
        self.first_handed: float | None = None
        """time.monotonic() when the first samples were handed to the device: the line cannot have been heard to
        its end before this plus its length, whatever the device reports (a sink that pulls in bursts and
        reports no DAC time would otherwise let `say` return while its buffer still holds the last words)."""

    def stop(self) -> None:
        self.cut.set()
        self.wake.set()


class Player:
    """Plays clips on one output device, one at a time, through one output stream kept open between lines.

    Keeping the stream open (silence between lines) means a line starts at once: USB, HDMI and Bluetooth
    speakers that fall asleep when idle would otherwise swallow the first word of every line. The stream closes
    itself after `idle_close_seconds` without a line. A cut (barge-in) aborts the stream, which drops what the
    device has buffered, so the voice stops at once; the next line opens it again.
    """

    block_seconds = 0.02
    """Audio handed to PortAudio per callback: a cut reaches the device within about this long."""
    idle_close_seconds = 30.0

    def __init__(self, device: str | int | None = None) -> None:
        self.device_spec = device
        self._device: int | None = None
        self._stream: Any = None
        self._rate = 0
        """The stream's sample rate."""
        self._clip_rate = 0
        """The clips' sample rate the stream was opened for (resampled when the device wants another)."""
        self._samples = np.zeros(0, dtype=np.int16)
        self._position = 0
        self._line: PlaybackLine | None = None
        self._idle_frames = 0
        self._lock = threading.Lock()

    def device_index(self) -> int:
        if self._device is None:
            self._device = find_device(self.device_spec, "output").index
        return self._device

    def _callback(self, outdata: np.ndarray, frames: int, time_info: Any, _status: Any) -> None:
        line = self._line
        if line is None or line.rendered or line.cut.is_set():
            outdata.fill(0)
            self._idle_frames += frames
            if self._idle_frames > self.idle_close_seconds * self._rate:
                raise sounddevice().CallbackStop
            return
        self._idle_frames = 0
        if line.first_handed is None:
            line.first_handed = time.monotonic()
        chunk = self._samples[self._position:self._position + frames]
        outdata[:len(chunk), 0] = chunk
        outdata[len(chunk):] = 0
        self._position += len(chunk)
        if self._position >= len(self._samples):
            dac = float(time_info.outputBufferDacTime)
            line.end_time = dac + len(chunk) / self._rate if dac > 0 else None
            line.rendered = True
            line.wake.set()

    def _open(self, rate: int) -> None:
        sd = sounddevice()
        device = self.device_index()
        self._rate, self._idle_frames = rate, 0  # before start(): the callback uses them at once
        try:
            stream = sd.OutputStream(samplerate=rate, device=device, channels=1, dtype="int16",
                                     callback=self._callback, blocksize=max(64, int(rate * self.block_seconds)),
                                     latency="low")
            stream.start()
        except (sd.PortAudioError, ValueError) as exc:
            raise DeviceError(f"cannot open the sound output device: {exc}; {OUTPUT_HINT}") from exc
        self._stream = stream

    def _stream_for(self, clip_rate: int) -> int:
        """A running stream for clips at `clip_rate` (at that rate when the device takes it); its rate."""
        if self._stream is not None and self._stream.active and self._clip_rate == clip_rate:
            return self._rate
        self.close()
        sd = sounddevice()
        rate = clip_rate
        try:
            sd.check_output_settings(device=self.device_index(), samplerate=rate, channels=1, dtype="int16")
        except sd.PortAudioError:  # e.g. a hardware device that runs at 48 kHz only
            rate = int(sd.query_devices(self.device_index())["default_samplerate"])
        self._open(rate)
        self._clip_rate = clip_rate
        return rate

    def play(self, clip: Clip, line: PlaybackLine) -> bool:
        """Plays the clip to its end (True), or until `line.stop()` (False). DeviceError when the device fails."""
        with self._lock:
            rate = self._stream_for(clip.sample_rate)
            samples = clip.samples if rate == clip.sample_rate else resample(clip.samples, clip.sample_rate, rate)
            self._samples, self._position = np.asarray(samples, dtype=np.int16), 0
            self._line = line
            try:
                return self._wait(line, len(samples) / rate)
            finally:
                self._line = None

    def _wait(self, line: PlaybackLine, duration_seconds: float) -> bool:
        stream = self._stream
        deadline = time.monotonic() + duration_seconds + 3.0
        while not line.wake.wait(timeout=0.1):
            if not stream.active or time.monotonic() > deadline:
                self.close()
                raise DeviceError("sound output stopped playing (device removed or stalled)")
        if not line.cut.is_set():  # all handed over: wait for the tail to leave the speaker
            tail = (line.end_time - stream.time) if line.end_time is not None else stream.latency
            if line.first_handed is not None:
                tail = max(tail, line.first_handed + duration_seconds - time.monotonic())
            line.cut.wait(timeout=min(max(0.0, tail), 2.0))
        if line.cut.is_set():
            self.close()  # abort: drops the device's buffer, so the cut is heard at once
            return False
        return True

    def close(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.abort(ignore_errors=True)
                stream.close(ignore_errors=True)
            except Exception:  # a vanished device can fail even here; it is gone either way
                pass
