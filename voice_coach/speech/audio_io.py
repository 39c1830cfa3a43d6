"""Audio files in: any PCM/float WAV read a block at a time and converted to 16 kHz mono int16, as an AudioSource."""

from __future__ import annotations

import os
import stat
import struct
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from voice_coach.errors import AudioError
from voice_coach.speech.signal import BYTES_PER_SECOND, SAMPLE_RATE
from voice_coach.speech.wav_header import AGAIN, PCM, WavFormat, decode_frames, read_header

CHUNK_SECONDS = 0.03
CHUNK_BYTES = int(SAMPLE_RATE * CHUNK_SECONDS) * 2
"""960 bytes: one 30 ms frame of 16 kHz int16 (what webrtcvad and the endpointer use)."""
BLOCK_SECONDS = 0.5
"""Audio read from a file at a time: memory stays flat whatever the recording's length."""
RAW_BLOCK_BYTES = 1 << 20
"""At most this many bytes of the file are read at a time (a 384 kHz, 32-channel float file has 49 MB a second)."""


class WavStream:
    """A WAV file opened and its header checked (an AudioError now, before any model loads), then read as
    16 kHz mono int16 blocks: each block of the file is decoded, mixed down and resampled on its own."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.name = str(self.path)
        self._file = _open_regular(self.path)
        try:
            self.format: WavFormat = read_header(self._file, os.fstat(self._file.fileno()).st_size, self.name)
        except AudioError:
            self._file.close()
            raise
        except OSError as exc:
            self._file.close()
            raise _read_error(self.path, exc) from None

    @property
    def seconds(self) -> float:
        """The recording's length (from its checked header)."""
        return self.format.seconds

    def blocks(self, block_seconds: float = BLOCK_SECONDS) -> Iterator[bytes]:
        """The audio as 16 kHz mono int16 little-endian blocks of about `block_seconds` each (never empty); the
        file is closed at the end, or when the iterator is closed."""
        fmt, f = self.format, self._file
        frames_per_block = max(1, min(int(fmt.rate * block_seconds), RAW_BLOCK_BYTES // fmt.block_align))
        as_is = fmt.tag == PCM and fmt.bits == 16 and fmt.channels == 1 and fmt.rate == SAMPLE_RATE
        resampler = None if fmt.rate == SAMPLE_RATE else Resampler(fmt.rate, SAMPLE_RATE)
        try:
            f.seek(fmt.data_offset)
            left = fmt.frames
            while left > 0:
                want = min(left, frames_per_block)
                try:
                    raw = f.read(want * fmt.block_align)
                except OSError as exc:
                    raise _read_error(self.path, exc) from None
                if len(raw) < want * fmt.block_align:
                    raise AudioError(f"{self.name}: the file ended early (it changed while being read?); {AGAIN}")
                left -= want
                if as_is:
                    yield raw
                    continue
                x = decode_frames(raw, fmt)
                if resampler is not None:
                    x = resampler.push(x) if left else np.concatenate([resampler.push(x), resampler.flush()])
                if len(x):
                    yield to_pcm16(x)
        finally:
            f.close()

    def close(self) -> None:
        self._file.close()


def wav_blocks(path: Path | str, block_seconds: float = BLOCK_SECONDS) -> Iterator[bytes]:
    """A WAV file as an iterator of 16 kHz mono int16 little-endian blocks (about `block_seconds` each), read,
    mixed down and resampled a block at a time, so that an hours-long recording takes no more memory than a
    short one. The header is checked here, at the call (an AudioError naming the file and the fix), not at the
    first block; a file that changes while it is read is an AudioError from the iterator."""
    return WavStream(path).blocks(block_seconds)


def read_wav(path: Path | str, *, max_seconds: float | None = None) -> bytes:
    """The whole file's audio as 16 kHz mono signed 16-bit little-endian PCM (for short clips: use wav_blocks or
    WavSource to stream a long one).

    Reads PCM WAV of 8 (unsigned), 16, 24 or 32 bits and 32/64-bit float, any channel count and sample rate
    (mixed down to mono, resampled). Anything else (empty, truncated, corrupt, not a WAV, compressed, or longer
    than `max_seconds`) is an AudioError naming the file, what is wrong, and what to do.
    """
    stream = WavStream(path)
    if max_seconds is not None and stream.seconds > max_seconds:
        stream.close()
        raise AudioError(f"{stream.name}: {stream.seconds:.0f} s of audio, longer than the {max_seconds:g} s "
                         "expected here; cut it to the part that matters")
    return b"".join(stream.blocks())


def _open_regular(path: Path) -> BinaryIO:
    """The file opened for reading; a folder, a device or a FIFO (which could block for ever) is refused."""
    try:
        mode = path.stat().st_mode
        if not stat.S_ISREG(mode):
            what = "a folder" if stat.S_ISDIR(mode) else "not a regular file"
            raise AudioError(f"{path}: {what}, not a WAV file; check the path")
        return path.open("rb")
    except OSError as exc:
        raise _read_error(path, exc) from None


def _read_error(path: Path, exc: OSError) -> AudioError:
    return AudioError(f"{path}: cannot read the file ({exc.strerror or exc.__class__.__name__}); "
                      "check the path and its permissions")


def to_pcm16(samples: np.ndarray, rate: int = SAMPLE_RATE) -> bytes:
    """Mono samples (int16 scale) at `rate` → 16 kHz int16 little-endian bytes."""
    x = np.asarray(samples, dtype=np.float64)
    if rate != SAMPLE_RATE:
        x = resample(x, rate, SAMPLE_RATE)
    return np.asarray(np.clip(np.round(x), -32768, 32767), dtype="<i2").tobytes()


class Resampler:
    """Streaming band-limited interpolation: each output sample is a Hann-windowed sinc over the nearest input
    samples, with the cut-off at the lower of the two Nyquist frequencies (so 44.1 kHz → 16 kHz does not alias).
    Fed block by block (`push`, then `flush` at the end) it gives exactly what the whole signal at once gives,
    keeping only the filter's width of input between blocks."""

    def __init__(self, in_rate: int, out_rate: int, *, half_taps: int = 16) -> None:
        gcd = int(np.gcd(int(in_rate), int(out_rate)))
        self.up, self.down = int(out_rate) // gcd, int(in_rate) // gcd
        self.cutoff = min(1.0, self.up / self.down)
        self.width = int(np.ceil(half_taps / self.cutoff))
        self.offsets = np.arange(-self.width + 1, self.width + 1)
        # Output n falls at input position n*down/up: its fractional part takes only `up` values (the phases),
        # so the weights are computed once per phase, unless an odd rate gives too many phases to keep.
        phases = self.up if self.up * len(self.offsets) <= 1 << 21 else 0
        self._table = self._weights(np.arange(phases)) if phases else None
        self._step = max(256, (1 << 20) // len(self.offsets))
        """Outputs computed at once: bounds the (outputs x taps) matrices to a megabyte or so of floats."""
        self._buf = np.zeros(self.width)
        self._buf_start = -self.width
        """Input index of _buf[0]; what lies before the signal is silence."""
        self._seen = 0
        self._next = 0
        """The next output sample's index."""

    def _weights(self, phases: np.ndarray) -> np.ndarray:
        dist = ((phases * self.down % self.up) / self.up)[:, None] - self.offsets[None, :]
        window = 0.5 + 0.5 * np.cos(np.pi * np.clip(dist / self.width, -1.0, 1.0))
        return np.asarray(self.cutoff * np.sinc(self.cutoff * dist) * window, dtype=np.float64)

    def push(self, x: np.ndarray) -> np.ndarray:
        """Outputs that the input so far fully determines."""
        x = np.asarray(x, dtype=np.float64).reshape(-1)
        self._seen += len(x)
        self._buf = np.concatenate([self._buf, x])
        available = self._buf_start + len(self._buf)
        return self._emit(((available - self.width) * self.up + self.down - 1) // self.down)

    def flush(self) -> np.ndarray:
        """The last outputs, with silence after the signal; round(len(input) * out_rate / in_rate) in all."""
        self._buf = np.concatenate([self._buf, np.zeros(self.width + 1)])
        return self._emit(int(round(self._seen * self.up / self.down)))

    def _emit(self, stop: int) -> np.ndarray:
        count = stop - self._next
        if count <= 0:
            return np.zeros(0)
        out = np.empty(count)
        if self._table is not None and self.up <= 16:
            # Per phase p, outputs n = first + up*m read windows `down` apart: a strided view times the phase's
            # weights (one matrix-vector product, no copy of the windows).
            windows = sliding_window_view(self._buf, len(self.offsets))
            for first in range(self._next, self._next + min(self.up, count)):
                rows = (stop - first + self.up - 1) // self.up
                at = first * self.down // self.up - self._buf_start - self.width + 1
                picked = windows[at:at + (rows - 1) * self.down + 1:self.down]
                out[first - self._next::self.up] = picked @ self._table[first % self.up]
        else:
            for start in range(self._next, stop, self._step):
                n = np.arange(start, min(stop, start + self._step))
                idx = (n * self.down // self.up - self._buf_start)[:, None] + self.offsets[None, :]
                w = self._table[n % self.up] if self._table is not None else self._weights(n % self.up)
                out[start - self._next:start - self._next + len(n)] = (self._buf[idx] * w).sum(axis=1)
        self._next = stop
        keep = self._next * self.down // self.up - self.width + 1  # the first input the next output needs
        if keep > self._buf_start:
            self._buf = self._buf[keep - self._buf_start:]
            self._buf_start = keep
        return out


def resample(x: np.ndarray, in_rate: int, out_rate: int, *, half_taps: int = 16) -> np.ndarray:
    """A whole signal at another rate (see Resampler)."""
    if in_rate == out_rate or len(x) == 0:
        return np.asarray(x, dtype=np.float64)
    r = Resampler(in_rate, out_rate, half_taps=half_taps)
    return np.concatenate([r.push(x), r.flush()])


class BlockSource:
    """16 kHz mono int16 blocks served as an AudioSource: 30 ms chunks at once, never waiting; None at the end."""

    sample_rate = SAMPLE_RATE

    def __init__(self, blocks: Iterable[bytes], *, chunk_bytes: int = CHUNK_BYTES, name: str = "audio") -> None:
        self._blocks: Iterator[bytes] | None = iter(blocks)
        self.chunk_bytes = chunk_bytes
        self.name = name
        self.position = 0
        """Bytes handed out so far."""
        self._pending = b""
        self._offset = 0

    def read(self, timeout_seconds: float = 0.0) -> bytes | None:
        """The next chunk at once (never sleeps); None once the audio is used up."""
        while len(self._pending) - self._offset < self.chunk_bytes and self._blocks is not None:
            block = next(self._blocks, None)
            if block is None:
                self._blocks = None
            else:
                self._pending = self._pending[self._offset:] + block
                self._offset = 0
        if self._offset >= len(self._pending):
            return None
        chunk = self._pending[self._offset:self._offset + self.chunk_bytes]
        self._offset += len(chunk)
        self.position += len(chunk)
        return chunk

    def close(self) -> None:
        close = getattr(self._blocks, "close", None)
        if close is not None:
            close()
        self._blocks, self._pending, self._offset = None, b"", 0


class PcmSource(BlockSource):
    """16 kHz mono int16 audio already in memory (an AudioSource)."""

    def __init__(self, pcm: bytes, *, chunk_bytes: int = CHUNK_BYTES, name: str = "audio") -> None:
        super().__init__([bytes(pcm)], chunk_bytes=chunk_bytes, name=name)
        self.duration_seconds = len(pcm) / BYTES_PER_SECOND


class WavSource(BlockSource):
    """A WAV file as an AudioSource: its header checked on open, then read, converted and served a block at a
    time (memory stays flat whatever the recording's length)."""

    def __init__(self, path: Path | str, *, chunk_bytes: int = CHUNK_BYTES) -> None:
        self.path = Path(path)
        self._stream = WavStream(self.path)
        super().__init__(self._stream.blocks(), chunk_bytes=chunk_bytes, name=str(self.path))
        self.duration_seconds = self._stream.seconds

    def close(self) -> None:
        super().close()
        self._stream.close()  # also when no block was read yet


def write_wav(path: Path | str, pcm: bytes, rate: int = SAMPLE_RATE, channels: int = 1, bits: int = 16) -> None:
    """Write raw little-endian PCM as a WAV file (tests and tools; no conversion)."""
    block = channels * bits // 8
    header = b"RIFF" + struct.pack("<I", 36 + len(pcm)) + b"WAVE"
    fmt = b"fmt " + struct.pack("<IHHIIHH", 16, PCM, channels, rate, rate * block, block, bits)
    Path(path).write_bytes(header + fmt + b"data" + struct.pack("<I", len(pcm)) + pcm)
