"""`listen --input FOLDER`: the WAVs are played one after another, streamed (never the whole folder in memory), and
a damaged one is found before anything is heard."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from voice_coach.cli.listen import listen_source
from voice_coach.errors import AudioError
from voice_coach.speech.audio_io import PcmSource, write_wav


def test_a_folder_is_streamed_in_order(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    parts = [rng.integers(-3000, 3000, n, dtype="<i2").tobytes() for n in (16000, 8000)]
    for i, pcm in enumerate(parts):
        write_wav(tmp_path / f"{i:02d}.wav", pcm)
    source = listen_source(str(tmp_path))
    assert not isinstance(source, PcmSource)  # not read and joined up front
    heard = bytearray()
    while (chunk := source.read(0.0)) is not None:
        heard += chunk
    assert bytes(heard) == b"".join(parts)


def test_a_damaged_wav_in_the_folder_is_an_error_at_once(tmp_path: Path) -> None:
    write_wav(tmp_path / "01.wav", b"\0\0" * 1600)
    (tmp_path / "02.wav").write_bytes(b"RIFF....WAVEjunk")
    with pytest.raises(AudioError):
        listen_source(str(tmp_path))
