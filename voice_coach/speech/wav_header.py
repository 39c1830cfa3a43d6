"""WAV headers read without trusting them: the format and where the audio lies, checked against the file's size."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np

from voice_coach.errors import AudioError

PCM, FLOAT, EXTENSIBLE = 1, 3, 0xFFFE
CONVERT = "convert it with e.g. `sox IN -r 16000 -c 1 -b 16 OUT.wav`"
AGAIN = "record or export it again"
MAX_CHUNKS = 1000
"""Chunks looked at before the audio: real files have a handful (fmt, LIST, fact, data); a file of thousands of
tiny chunks is damage, not a recording."""
MAX_CHANNELS = 32
RATES_HZ = (1000, 384000)
"""The sample rates accepted (inclusive): telephone audio to the fastest studio interfaces."""


@dataclass(frozen=True)
class WavFormat:
    """What a WAV's header says, once checked: how to decode its audio and where the audio is."""

    tag: int
    """PCM (1) or IEEE float (3); the sub-format of an extensible header."""
    channels: int
    """1 to 32; mixed down to mono on reading."""
    rate: int
    """Samples per second per channel."""
    block_align: int
    """Bytes per frame (one sample of every channel)."""
    bits: int
    """Bits per sample: 8, 16, 24, 32 (PCM) or 32, 64 (float)."""
    data_offset: int
    """Where the audio starts in the file."""
    frames: int
    """Whole frames of audio (a trailing partial frame, a cut-off write, is left out)."""

    @property
    def seconds(self) -> float:
        return self.frames / self.rate


def read_header(f: BinaryIO, file_size: int, name: str) -> WavFormat:
    """Walk the RIFF chunks up to the audio, seeking past the others (never reading a chunk's body into memory
    on the header's word); every size is checked against `file_size`. An AudioError says what is wrong."""
    if file_size == 0:
        raise AudioError(f"{name}: the file is empty (0 bytes); {AGAIN}")
    head = f.read(12)
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        raise AudioError(f"{name}: not a WAV file (no RIFF/WAVE header); {CONVERT}")
    fmt: tuple[int, int, int, int, int] | None = None
    pos = 12
    for _ in range(MAX_CHUNKS):
        if pos + 8 > file_size:
            break
        f.seek(pos)
        chunk = f.read(8)
        if len(chunk) < 8:
            break
        chunk_id, size = chunk[:4], struct.unpack_from("<I", chunk, 4)[0]
        body_at = pos + 8
        if chunk_id == b"data":
            if fmt is None:
                raise AudioError(f"{name}: corrupt WAV (audio data before its format chunk); {CONVERT}")
            if body_at + size > file_size:
                raise AudioError(f"{name}: truncated WAV (header announces {size} bytes of audio, the file has "
                                 f"{file_size - body_at}); {AGAIN}")
            frames = size // fmt[3]
            if frames == 0:
                raise AudioError(f"{name}: the WAV holds no audio (0 samples); {AGAIN}")
            return WavFormat(*fmt, data_offset=body_at, frames=frames)
        if body_at + size > file_size:
            break  # a chunk that runs past the end: the file was cut off (or its header is hostile)
        if chunk_id == b"fmt ":
            fmt = _parse_fmt(f.read(min(size, 64)), size, name)
        pos = body_at + size + (size & 1)  # chunks are padded to an even size
    else:
        raise AudioError(f"{name}: corrupt WAV (more than {MAX_CHUNKS} chunks before the audio); {AGAIN}")
    if fmt is None:
        raise AudioError(f"{name}: corrupt or truncated WAV (no format chunk); {AGAIN}")
    raise AudioError(f"{name}: corrupt or truncated WAV (no audio data chunk); {AGAIN}")


def _parse_fmt(body: bytes, size: int, name: str) -> tuple[int, int, int, int, int]:
    """(format, channels, rate, block_align, bits), checked."""
    if size < 16 or len(body) < 16:
        raise AudioError(f"{name}: corrupt WAV (format chunk of {size} bytes); {AGAIN}")
    tag, channels, rate, _, block_align, bits = struct.unpack_from("<HHIIHH", body, 0)
    if tag == EXTENSIBLE and len(body) >= 26:
        tag = struct.unpack_from("<H", body, 24)[0]  # the sub-format GUID starts with the plain format tag
    ok_bits = {PCM: (8, 16, 24, 32), FLOAT: (32, 64)}.get(tag)
    if ok_bits is None:
        raise AudioError(f"{name}: compressed or unusual WAV (format tag {tag:#x}); {CONVERT}")
    if bits not in ok_bits:
        raise AudioError(f"{name}: unsupported sample size ({bits} bits); {CONVERT}")
    if (not 1 <= channels <= MAX_CHANNELS or not RATES_HZ[0] <= rate <= RATES_HZ[1]
            or block_align != channels * bits // 8):
        raise AudioError(f"{name}: corrupt WAV header ({channels} channels, {rate} Hz, block {block_align} "
                         f"bytes); {AGAIN}")
    return tag, channels, rate, block_align, bits


def decode_frames(raw: bytes, fmt: WavFormat) -> np.ndarray:
    """Whole frames of the file's audio → mono float64 samples at int16 scale (channels averaged)."""
    frames = len(raw) // fmt.block_align
    raw = raw[:frames * fmt.block_align]
    if fmt.tag == FLOAT:
        x = np.frombuffer(raw, dtype="<f4" if fmt.bits == 32 else "<f8").astype(np.float64)
        x = np.clip(np.nan_to_num(x), -1.0, 1.0) * 32767.0
    elif fmt.bits == 8:
        x = (np.frombuffer(raw, dtype=np.uint8).astype(np.float64) - 128.0) * 256.0
    elif fmt.bits == 16:
        x = np.frombuffer(raw, dtype="<i2").astype(np.float64)
    elif fmt.bits == 24:
        b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        v = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        x = (np.where(v >= 1 << 23, v - (1 << 24), v) / 256.0).astype(np.float64)
    else:
        x = np.frombuffer(raw, dtype="<i4").astype(np.float64) / 65536.0
    if fmt.channels == 1:
        return x
    return np.asarray(x.reshape(frames, fmt.channels).mean(axis=1), dtype=np.float64)
