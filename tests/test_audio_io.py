"""Reading WAV files: every common layout converted to 16 kHz mono int16; anything broken is one AudioError line."""

from __future__ import annotations

import random
import struct
import time
from pathlib import Path

import numpy as np
import pytest

from voice_coach.errors import AudioError
from voice_coach.speech.audio_io import CHUNK_BYTES, PcmSource, WavSource, read_wav, resample, write_wav

AUDIO = Path(__file__).parent / "audio"


def tone(rate: int, seconds: float = 1.0, hz: float = 440.0, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return amplitude * np.sin(2 * np.pi * hz * t)


def wav_bytes(samples: np.ndarray, rate: int, *, bits: int = 16, channels: int = 1, fmt: int = 1,
              extensible: bool = False) -> bytes:
    """A WAV file in memory; `samples` in -1..1, shape (n,) or (n, channels)."""
    x = np.asarray(samples, dtype=np.float64).reshape(len(samples), -1)
    x = np.repeat(x, channels // x.shape[1], axis=1) if x.shape[1] != channels else x
    if fmt == 3:
        data = x.astype("<f4" if bits == 32 else "<f8").tobytes()
    elif bits == 8:
        data = np.clip(np.round(x * 127 + 128), 0, 255).astype(np.uint8).tobytes()
    elif bits == 16:
        data = np.clip(np.round(x * 32767), -32768, 32767).astype("<i2").tobytes()
    elif bits == 24:
        v = np.clip(np.round(x * 8388607), -8388608, 8388607).astype(np.int32).reshape(-1)
        data = np.stack([v & 255, (v >> 8) & 255, (v >> 16) & 255], axis=1).astype(np.uint8).tobytes()
    else:
        data = np.clip(np.round(x * 2147483647), -2147483648, 2147483647).astype("<i4").tobytes()
    block = channels * bits // 8
    if extensible:
        body = struct.pack("<HHIIHHHHI", 0xFFFE, channels, rate, rate * block, block, bits, 22, bits, 0)
        body += struct.pack("<H", fmt) + b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"
    else:
        body = struct.pack("<HHIIHH", fmt, channels, rate, rate * block, block, bits)
    chunks = b"fmt " + struct.pack("<I", len(body)) + body + b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WAVE" + chunks


def peak_hz(pcm: bytes) -> float:
    x = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.argmax(spectrum) * 16000 / len(x))


def rms(pcm: bytes) -> float:
    x = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    return float(np.sqrt(np.mean(x * x)))


# ----- conversions ---------------------------------------------------------------------------------------------
LAYOUTS = {
    "16-bit 16 kHz mono": {"rate": 16000},
    "8-bit unsigned": {"rate": 16000, "bits": 8},
    "24-bit": {"rate": 16000, "bits": 24},
    "32-bit int": {"rate": 16000, "bits": 32},
    "32-bit float": {"rate": 16000, "bits": 32, "fmt": 3},
    "64-bit float": {"rate": 16000, "bits": 64, "fmt": 3},
    "stereo": {"rate": 16000, "channels": 2},
    "44.1 kHz stereo": {"rate": 44100, "channels": 2},
    "48 kHz extensible": {"rate": 48000, "extensible": True},
    "8 kHz telephone": {"rate": 8000},
    "22.05 kHz 8-bit": {"rate": 22050, "bits": 8},
}


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_every_layout_becomes_16k_mono_int16_with_pitch_and_level_kept(name: str, tmp_path: Path) -> None:
    spec = dict(LAYOUTS[name])
    rate = int(spec.pop("rate"))
    path = tmp_path / "in.wav"
    path.write_bytes(wav_bytes(tone(rate, hz=440.0), rate, **spec))  # type: ignore[arg-type]
    pcm = read_wav(path)
    assert len(pcm) == 2 * 16000  # one second at 16 kHz, 2 bytes a sample
    assert abs(peak_hz(pcm) - 440.0) < 3.0
    assert rms(pcm) == pytest.approx(0.5 * 32767 / np.sqrt(2), rel=0.03)


def test_stereo_is_mixed_down_not_one_channel_kept(tmp_path: Path) -> None:
    left, right = tone(16000, hz=300.0), tone(16000, hz=1200.0)
    path = tmp_path / "lr.wav"
    path.write_bytes(wav_bytes(np.stack([left, right], axis=1), 16000, channels=2))
    spectrum = np.abs(np.fft.rfft(np.frombuffer(read_wav(path), dtype="<i2").astype(float)))
    assert spectrum[300] > 0.3 * spectrum.max() and spectrum[1200] > 0.3 * spectrum.max()


def test_downsampling_does_not_alias_high_frequencies() -> None:
    high = tone(44100, hz=10000.0) * 32767  # above 8 kHz: must vanish, not fold back to 6 kHz
    out = resample(high, 44100, 16000)
    assert np.sqrt(np.mean(out[200:-200] ** 2)) < 0.01 * np.sqrt(np.mean(high ** 2))


def test_the_generated_test_audio_reads_unchanged() -> None:
    path = AUDIO / "clean" / "en-us_175" / "stop.wav"
    raw = path.read_bytes()
    assert read_wav(path) == raw[raw.index(b"data") + 8:]


# ----- hostile files -------------------------------------------------------------------------------------------
def valid_wav() -> bytes:
    return wav_bytes(tone(16000, 0.5), 16000)


HOSTILE = {
    "empty": (b"", "empty"),
    "text": (b"hello, this is not audio\n", "not a WAV"),
    "mp3": (b"ID3\x03\x00\x00\x00" + bytes(200), "not a WAV"),
    "riff but not wave": (b"RIFF\x10\x00\x00\x00AVI LIST" + bytes(8), "not a WAV"),
    "header only": (valid_wav()[:12], "no format chunk"),
    "no data chunk": (valid_wav()[:36], "no audio data"),
    "truncated": (valid_wav()[:3000], "truncated"),
    "zero samples": (valid_wav()[:36] + b"data" + struct.pack("<I", 0), "no audio"),
    "a-law": (valid_wav()[:20] + struct.pack("<H", 6) + valid_wav()[22:], "compressed"),
    "12-bit": (valid_wav()[:34] + struct.pack("<H", 12) + valid_wav()[36:], "sample size"),
    "bad block align": (valid_wav()[:32] + struct.pack("<H", 7) + valid_wav()[34:], "corrupt"),
    "zero channels": (valid_wav()[:22] + struct.pack("<H", 0) + valid_wav()[24:], "corrupt"),
    "data before fmt": (b"RIFF\x20\x00\x00\x00WAVEdata\x04\x00\x00\x00\x00\x00\x00\x00", "before its format"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_broken_file_is_one_line_saying_what_and_what_to_do(name: str, tmp_path: Path) -> None:
    data, what = HOSTILE[name]
    path = tmp_path / f"{name}.wav"
    path.write_bytes(data)
    with pytest.raises(AudioError) as caught:
        read_wav(path)
    message = caught.value.message
    assert "\n" not in message and str(path) in message and what in message
    assert any(fix in message for fix in ("record or export it again", "convert it", "check the path"))


def test_a_missing_file_is_an_audio_error(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match="cannot read the file"):
        read_wav(tmp_path / "nope.wav")


def test_random_damage_gives_audio_or_an_audio_error_never_a_crash(tmp_path: Path) -> None:
    rng = random.Random(3)
    good = valid_wav()
    path = tmp_path / "damaged.wav"
    for _ in range(150):
        data = bytearray(good[:rng.randrange(len(good) + 1)])
        for _ in range(rng.randrange(6)):
            if data:
                data[rng.randrange(len(data))] = rng.randrange(256)
        path.write_bytes(bytes(data))
        try:
            pcm = read_wav(path)
        except AudioError as exc:
            assert "\n" not in exc.message
        else:
            assert len(pcm) % 2 == 0


# ----- sources -------------------------------------------------------------------------------------------------
def test_a_wav_source_gives_30ms_chunks_at_once_then_none(tmp_path: Path) -> None:
    path = tmp_path / "a.wav"
    write_wav(path, bytes(range(256)) * 40)  # 10240 bytes: 10 whole chunks and a short one
    source = WavSource(path)
    started = time.perf_counter()
    chunks = []
    while (chunk := source.read(5.0)) is not None:
        chunks.append(chunk)
    assert time.perf_counter() - started < 1.0, "read() must not wait for real time"
    assert [len(c) for c in chunks] == [CHUNK_BYTES] * 10 + [640]
    assert b"".join(chunks) == bytes(range(256)) * 40 and source.sample_rate == 16000
    assert source.read(1.0) is None


def test_closing_a_source_ends_it() -> None:
    source = PcmSource(bytes(4000))
    assert source.read() is not None
    source.close()
    assert source.read() is None
