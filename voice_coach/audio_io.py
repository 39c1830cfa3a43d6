"""Audio files in: any PCM/float WAV read and converted to 16 kHz mono int16, and served as an AudioSource."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from .audio_signal import BYTES_PER_SECOND, SAMPLE_RATE
from .errors import AudioError

CHUNK_SECONDS = 0.03
CHUNK_BYTES = int(SAMPLE_RATE * CHUNK_SECONDS) * 2
"""960 bytes: one 30 ms frame of 16 kHz int16 (what webrtcvad and the endpointer use)."""

_PCM, _FLOAT, _EXTENSIBLE = 1, 3, 0xFFFE
_CONVERT = "convert it with e.g. `sox IN -r 16000 -c 1 -b 16 OUT.wav`"


def read_wav(path: Path | str) -> bytes:
    """The file's audio as 16 kHz mono signed 16-bit little-endian PCM.

    Reads PCM WAV of 8 (unsigned), 16, 24 or 32 bits and 32/64-bit float, any channel count and sample rate
    (mixed down to mono, resampled). Anything else (empty, truncated, corrupt, not a WAV, compressed) is an
    AudioError naming the file, what is wrong, and what to do.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise AudioError(f"{path}: cannot read the file ({exc.strerror or exc.__class__.__name__}); "
                         "check the path and its permissions") from None
    samples, rate = decode_wav(data, str(path))
    return to_pcm16(samples, rate)


def decode_wav(data: bytes, name: str = "audio") -> tuple[np.ndarray, int]:
    """Parse a RIFF/WAVE file: mono float64 samples scaled to int16 range, and their sample rate."""
    if not data:
        raise AudioError(f"{name}: the file is empty (0 bytes); record or export it again")
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise AudioError(f"{name}: not a WAV file (no RIFF/WAVE header); {_CONVERT}")
    fmt: tuple[int, int, int, int, int] | None = None
    pos = 12
    while pos + 8 <= len(data):
        chunk_id, size = data[pos:pos + 4], struct.unpack_from("<I", data, pos + 4)[0]
        body = data[pos + 8:pos + 8 + size]
        if chunk_id == b"fmt ":
            fmt = _parse_fmt(body, name)
        elif chunk_id == b"data":
            if fmt is None:
                raise AudioError(f"{name}: corrupt WAV (audio data before its format chunk); {_CONVERT}")
            if len(body) < size:
                raise AudioError(f"{name}: truncated WAV (header announces {size} bytes of audio, the file has "
                                 f"{len(body)}); record or export it again")
            return _samples(body, fmt, name), fmt[2]
        pos += 8 + size + (size & 1)  # chunks are padded to an even size
    if fmt is None:
        raise AudioError(f"{name}: corrupt or truncated WAV (no format chunk); record or export it again")
    raise AudioError(f"{name}: corrupt or truncated WAV (no audio data chunk); record or export it again")


def _parse_fmt(body: bytes, name: str) -> tuple[int, int, int, int, int]:
    """(format, channels, rate, block_align, bits), checked."""
    if len(body) < 16:
        raise AudioError(f"{name}: corrupt WAV (format chunk of {len(body)} bytes); record or export it again")
    tag, channels, rate, _, block_align, bits = struct.unpack_from("<HHIIHH", body, 0)
    if tag == _EXTENSIBLE and len(body) >= 26:
        tag = struct.unpack_from("<H", body, 24)[0]  # the sub-format GUID starts with the plain format tag
    ok_bits = {_PCM: (8, 16, 24, 32), _FLOAT: (32, 64)}.get(tag)
    if ok_bits is None:
        raise AudioError(f"{name}: compressed or unusual WAV (format tag {tag:#x}); {_CONVERT}")
    if bits not in ok_bits:
        raise AudioError(f"{name}: unsupported sample size ({bits} bits); {_CONVERT}")
    if not 1 <= channels <= 32 or not 1000 <= rate <= 384000 or block_align != channels * bits // 8:
        raise AudioError(f"{name}: corrupt WAV header ({channels} channels, {rate} Hz, block {block_align} "
                         f"bytes); record or export it again")
    return tag, channels, rate, block_align, bits


def _samples(body: bytes, fmt: tuple[int, int, int, int, int], name: str) -> np.ndarray:
    tag, channels, _, block_align, bits = fmt
    frames = len(body) // block_align
    if frames == 0:
        raise AudioError(f"{name}: the WAV holds no audio (0 samples); record or export it again")
    raw = body[:frames * block_align]  # a trailing partial frame (a cut-off write) is dropped
    if tag == _FLOAT:
        x = np.frombuffer(raw, dtype="<f4" if bits == 32 else "<f8").astype(np.float64)
        x = np.clip(np.nan_to_num(x), -1.0, 1.0) * 32767.0
    elif bits == 8:
        x = (np.frombuffer(raw, dtype=np.uint8).astype(np.float64) - 128.0) * 256.0
    elif bits == 16:
        x = np.frombuffer(raw, dtype="<i2").astype(np.float64)
    elif bits == 24:
        b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        v = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        x = (np.where(v >= 1 << 23, v - (1 << 24), v) / 256.0).astype(np.float64)
    else:
        x = np.frombuffer(raw, dtype="<i4").astype(np.float64) / 65536.0
    return np.asarray(x.reshape(frames, channels).mean(axis=1), dtype=np.float64)


def to_pcm16(samples: np.ndarray, rate: int) -> bytes:
    """Mono samples (int16 scale) at `rate` → 16 kHz int16 little-endian bytes."""
    x = np.asarray(samples, dtype=np.float64)
    if rate != SAMPLE_RATE:
        x = resample(x, rate, SAMPLE_RATE)
    return np.asarray(np.clip(np.round(x), -32768, 32767), dtype="<i2").tobytes()


def resample(x: np.ndarray, in_rate: int, out_rate: int, *, half_taps: int = 16) -> np.ndarray:
    """Band-limited interpolation: each output sample is a Hann-windowed sinc over the nearest input samples,
    with the cut-off at the lower of the two Nyquist frequencies (so 44.1 kHz → 16 kHz does not alias)."""
    if in_rate == out_rate or len(x) == 0:
        return np.asarray(x, dtype=np.float64)
    gcd = int(np.gcd(int(in_rate), int(out_rate)))
    up, down = int(out_rate) // gcd, int(in_rate) // gcd
    cutoff = min(1.0, up / down)
    width = int(np.ceil(half_taps / cutoff))
    offsets = np.arange(-width + 1, width + 1)
    # Output n falls at input position n*down/up: its fractional part takes only `up` values (the phases),
    # so the filter weights are computed once per phase (polyphase).
    frac = (np.arange(up) * down % up) / up
    dist = frac[:, None] - offsets[None, :]
    weights = cutoff * np.sinc(cutoff * dist) * (0.5 + 0.5 * np.cos(np.pi * np.clip(dist / width, -1.0, 1.0)))
    count = int(round(len(x) * up / down))
    padded = np.concatenate([np.zeros(width), np.asarray(x, dtype=np.float64), np.zeros(width + 1)])
    out = np.empty(count)
    for start in range(0, count, 8192):  # blocks bound the (outputs x taps) matrix
        n = np.arange(start, min(count, start + 8192))
        idx = (n * down // up)[:, None] + offsets[None, :] + width
        out[start:start + len(n)] = (padded[idx] * weights[n % up]).sum(axis=1)
    return out


class PcmSource:
    """16 kHz mono int16 audio already in memory, served in 30 ms chunks without waiting (an AudioSource)."""

    sample_rate = SAMPLE_RATE

    def __init__(self, pcm: bytes, *, chunk_bytes: int = CHUNK_BYTES, name: str = "audio") -> None:
        self.pcm = bytes(pcm)
        self.chunk_bytes = chunk_bytes
        self.name = name
        self.position = 0
        """Bytes handed out so far."""

    @property
    def duration_seconds(self) -> float:
        return len(self.pcm) / BYTES_PER_SECOND

    def read(self, timeout_seconds: float = 0.0) -> bytes | None:
        """The next chunk at once (never sleeps); None once the audio is used up."""
        if self.position >= len(self.pcm):
            return None
        chunk = self.pcm[self.position:self.position + self.chunk_bytes]
        self.position += len(chunk)
        return chunk

    def close(self) -> None:
        self.position = len(self.pcm)


class WavSource(PcmSource):
    """A WAV file as an AudioSource: converted to 16 kHz mono on open, then read in 30 ms chunks."""

    def __init__(self, path: Path | str, *, chunk_bytes: int = CHUNK_BYTES) -> None:
        self.path = Path(path)
        super().__init__(read_wav(self.path), chunk_bytes=chunk_bytes, name=str(self.path))


def write_wav(path: Path | str, pcm: bytes, rate: int = SAMPLE_RATE, channels: int = 1, bits: int = 16) -> None:
    """Write raw little-endian PCM as a WAV file (tests and tools; no conversion)."""
    block = channels * bits // 8
    header = b"RIFF" + struct.pack("<I", 36 + len(pcm)) + b"WAVE"
    fmt = b"fmt " + struct.pack("<IHHIIHH", 16, _PCM, channels, rate, rate * block, block, bits)
    Path(path).write_bytes(header + fmt + b"data" + struct.pack("<I", len(pcm)) + pcm)
