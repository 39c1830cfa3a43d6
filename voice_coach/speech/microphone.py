"""The microphone as an AudioSource: sounddevice (PortAudio) in, 16 kHz mono int16 chunks out."""

from __future__ import annotations

import queue
import threading
import time
from typing import Any

import numpy as np

from voice_coach.errors import DeviceError
from voice_coach.speech.devices import INPUT_HINT, DeviceInfo, Resampler, find_device, sounddevice


class MicrophoneSource:
    """Records a microphone chosen by name (any part of it, any case), by index, or the default (None).

    PortAudio's callback only queues the raw blocks; `read` converts them (to mono, and to 16 kHz when the
    device cannot record at that rate) on the reader's thread. If the reader falls behind by more than
    `max_queue_seconds`, the oldest audio is dropped (counted in `dropped_blocks`): fresh audio matters more
    for a "stop" than stale audio. A failing device makes `read` raise DeviceError; `reopen()` starts over.
    """

    stall_seconds = 5.0
    """A running stream that delivers nothing for this long has failed (a live one delivers every block_ms).
    Generous: PulseAudio and Bluetooth devices can take a second or two to wake."""

    def __init__(self, device: str | int | None = None, sample_rate: int = 16000, block_ms: int = 30, *,
                 device_rate: int | None = None, max_queue_seconds: float = 10.0) -> None:
        self.device_spec = device
        self.wanted_device_rate = device_rate
        """Record at this rate and convert here (None: `sample_rate` when the device takes it, else its own)."""
        self.sample_rate = sample_rate
        """Always the rate of the chunks `read` returns (16000 for the recognizers)."""
        self.block_ms = block_ms
        self.max_queue_seconds = max_queue_seconds
        self.overflows = 0
        """Blocks PortAudio reported as overflowed (audio lost before it reached us)."""
        self.dropped_blocks = 0
        """Blocks dropped because nobody read them in time."""
        self.device: DeviceInfo | None = None
        """The device recording now."""
        self.device_rate = sample_rate
        """The rate the device records at (resampled to `sample_rate` when different)."""
        self._stream: Any = None
        self._queue: queue.Queue[bytes | None] = queue.Queue()
        self._resampler: Resampler | None = None
        self._channels = 1
        self._failed: str | None = None
        self._closed = False
        self._last_block = 0.0
        self._generation = object()
        self._lock = threading.Lock()
        self._open()

    def _open(self) -> None:
        sd = sounddevice()
        device = find_device(self.device_spec, "input")
        rate, channels = self._settings(sd, device)
        blocksize = max(1, int(rate * self.block_ms / 1000))
        self._queue = queue.Queue(maxsize=max(4, int(self.max_queue_seconds * 1000 / self.block_ms)))
        self._resampler = Resampler(rate, self.sample_rate) if rate != self.sample_rate else None
        self._failed = None
        generation = self._generation = object()
        try:
            stream = sd.RawInputStream(samplerate=rate, device=device.index, channels=channels, dtype="int16",
                                       blocksize=blocksize, callback=self._callback,
                                       finished_callback=lambda: self._finished(generation))
            stream.start()
        except (sd.PortAudioError, ValueError) as exc:
            raise DeviceError(f"cannot open the microphone '{device.name}': {exc}; {INPUT_HINT}") from exc
        self._stream, self.device, self.device_rate, self._channels = stream, device, rate, channels
        self._last_block = time.monotonic()

    def _settings(self, sd: Any, device: DeviceInfo) -> tuple[int, int]:
        """16 kHz mono when the device takes it; else its own rate (resampled here), and stereo if it must."""
        why = ""
        rates = (self.sample_rate, int(device.default_samplerate))
        for rate in rates if self.wanted_device_rate is None else (self.wanted_device_rate, *rates):
            for channels in (1, min(2, device.input_channels)):
                try:
                    sd.check_input_settings(device=device.index, samplerate=rate, channels=channels,
                                            dtype="int16")
                    return rate, channels
                except (sd.PortAudioError, ValueError) as exc:
                    why = str(exc)
        raise DeviceError(f"cannot record from the microphone '{device.name}' ({why}); {INPUT_HINT}")

    def _callback(self, indata: Any, frames: int, _time: Any, status: Any) -> None:
        if status.input_overflow:
            self.overflows += 1
        self._last_block = time.monotonic()
        block = bytes(indata)
        try:
            self._queue.put_nowait(block)
        except queue.Full:
            try:
                self._queue.get_nowait()
                self.dropped_blocks += 1
            except queue.Empty:
                pass
            self._queue.put_nowait(block)

    def _finished(self, generation: object) -> None:
        """PortAudio ended the stream: fine when we closed it, a failure otherwise (device unplugged)."""
        if generation is not self._generation:  # a stream replaced by reopen()
            return
        if not self._closed and self._failed is None:
            self._failed = "the recording stopped"
        try:
            self._queue.put_nowait(None)  # wakes a reader waiting in read()
        except queue.Full:
            pass

    def read(self, timeout_seconds: float) -> bytes | None:
        """About `block_ms` of 16 kHz mono int16 audio; b"" when none came within the timeout; None once closed."""
        if self._closed:
            return None
        self._check()
        try:
            block = self._queue.get(timeout=max(0.0, timeout_seconds))
        except queue.Empty:
            self._check()
            return b""
        if block is None:
            if self._closed:
                return None
            self._check()
            return b""
        return self._convert(block)

    def _check(self) -> None:
        """DeviceError when the stream died: stopped by PortAudio, or delivering nothing for `stall_seconds`."""
        stream = self._stream
        if self._failed is None and stream is not None and not stream.active:
            self._failed = "the recording stopped"
        silent_seconds = time.monotonic() - self._last_block
        if self._failed is None and silent_seconds > self.stall_seconds:
            self._failed = f"no audio from the device for {silent_seconds:.0f} seconds"
        if self._failed is not None:
            name = self.device.name if self.device else self.device_spec
            raise DeviceError(f"microphone '{name}' failed ({self._failed}); reconnect it, or {INPUT_HINT}")

    def _convert(self, block: bytes) -> bytes:
        if self._channels == 1 and self._resampler is None:
            return block
        samples = np.frombuffer(block, dtype="<i2")
        if self._channels > 1:
            samples = samples.reshape(-1, self._channels).mean(axis=1).astype(np.int16)
        if self._resampler is not None:
            samples = self._resampler.process(samples)
        return samples.astype("<i2").tobytes()

    def reopen(self) -> None:
        """Closes the stream and opens the device again (same name or index): after a failure, or a replug.
        A device that came back under a new index needs `devices.rescan()` first (it ends every stream)."""
        with self._lock:
            self._stop_stream()
            self._closed = False
            self._open()

    def _stop_stream(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            self._closed = True  # so that the finished callback does not record a failure
            try:
                stream.abort(ignore_errors=True)
                stream.close(ignore_errors=True)
            except Exception:  # a dead device can fail even here; it is gone either way
                pass

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._stop_stream()
            try:
                self._queue.put_nowait(None)
            except queue.Full:
                pass

    def __enter__(self) -> MicrophoneSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
