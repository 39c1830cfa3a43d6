"""Long and hostile recordings (issue 19, item 6): hostile WAV headers through the real CLI on every audio input
path (recognize, session/check-in --input FILE.wav and FOLDER, voice-check folders) give one clear line and a
non-zero exit, never a traceback; audio is streamed a block at a time, converted exactly as the whole file would
be; and `recognize` reports every utterance of a recording with more than 256 of them.

Memory on a 10-minute and a 2-hour 48 kHz stereo recording is measured by scripts/bench_memory.py, not here.
"""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path

import numpy as np
import pytest

from tests.test_cli import assert_one_clear_line, cli
from voice_coach.cli.speech import recognize_file
from voice_coach.coach.intents import Heard, load_phrasebook
from voice_coach.errors import AudioError
from voice_coach.speech.audio_io import BLOCK_SECONDS, WavSource, read_wav, resample, to_pcm16, wav_blocks, write_wav
from voice_coach.speech.listener import REPORTS_KEPT

AUDIO = Path(__file__).resolve().parent / "audio"
YES = AUDIO / "clean" / "en-us_175" / "yes.wav"


def fmt_chunk(tag: int = 1, channels: int = 1, rate: int = 16000, bits: int = 16, align: int | None = None,
              size: int = 16) -> bytes:
    align = channels * bits // 8 if align is None else align
    return b"fmt " + struct.pack("<IHHIIHH", size, tag, channels, rate, (rate * align) & 0xFFFFFFFF, align, bits)


def riff(*chunks: bytes) -> bytes:
    body = b"WAVE" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def data_chunk(audio: bytes, declared: int | None = None) -> bytes:
    return b"data" + struct.pack("<I", len(audio) if declared is None else declared) + audio


SECOND = bytes(32000)
HOSTILE: dict[str, tuple[bytes, str]] = {
    "empty": (b"", "empty"),
    "text": (b"hello, this is not audio\n" * 10, "not a WAV"),
    "mp3": (b"ID3\x04\x00\x00\x00\x00\x00\x00" + bytes(4000), "not a WAV"),
    "ogg": (b"OggS\x00\x02" + bytes(4000), "not a WAV"),
    "rf64": (b"RF64\xff\xff\xff\xffWAVE" + fmt_chunk() + data_chunk(SECOND), "not a WAV"),
    "huge data size": (riff(fmt_chunk(), data_chunk(SECOND, declared=0xFFFFFFFF)), "truncated"),
    "huge format chunk": (riff(fmt_chunk(size=0xFFFFFFF0), data_chunk(SECOND)), "no format chunk"),
    "huge chunk before the audio": (riff(fmt_chunk(), b"LIST" + struct.pack("<I", 0xFFFFFFF0), data_chunk(SECOND)),
                                    "no audio data"),
    "zero channels": (riff(fmt_chunk(channels=0, align=2), data_chunk(SECOND)), "corrupt WAV header"),
    "65535 channels": (riff(fmt_chunk(channels=65535, align=2), data_chunk(SECOND)), "corrupt WAV header"),
    "zero rate": (riff(fmt_chunk(rate=0), data_chunk(SECOND)), "corrupt WAV header"),
    "absurd rate": (riff(fmt_chunk(rate=0xFFFFFFFF), data_chunk(SECOND)), "corrupt WAV header"),
    "zero block": (riff(fmt_chunk(align=0), data_chunk(SECOND)), "corrupt WAV header"),
    "zero bits": (riff(fmt_chunk(bits=0, align=0), data_chunk(SECOND)), "sample size"),
    "mp3 in a wav": (riff(fmt_chunk(tag=0x55), data_chunk(SECOND)), "compressed"),
    "extensible mp3": (riff(fmt_chunk(tag=0xFFFE, size=40) + struct.pack("<HHIH", 22, 16, 4, 0x55) + bytes(14),
                            data_chunk(SECOND)), "compressed"),
    "cut off in the audio": (riff(fmt_chunk(), data_chunk(SECOND))[:20000], "truncated"),
    "no samples": (riff(fmt_chunk(), data_chunk(b"")), "no audio"),
    "thousands of chunks": (riff(fmt_chunk(), b"junk\x00\x00\x00\x00" * 5000, data_chunk(SECOND)),
                            "more than 1000 chunks"),
}


def hostile_file(folder: Path, name: str) -> Path:
    path = folder / f"{name.replace(' ', '_')}.wav"
    path.write_bytes(HOSTILE[name][0])
    return path


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_wav_is_one_line_from_the_reader(name: str, tmp_path: Path) -> None:
    path = hostile_file(tmp_path, name)
    with pytest.raises(AudioError) as caught:
        wav_blocks(path)
    message = caught.value.message
    assert "\n" not in message and str(path) in message and HOSTILE[name][1] in message, message
    assert len(message) < 300, "never echoes an unbounded value"


def test_a_folder_a_fifo_and_a_missing_file_are_refused_without_waiting(tmp_path: Path) -> None:
    (tmp_path / "folder.wav").mkdir()
    os.mkfifo(tmp_path / "fifo.wav")  # opening it would block until a writer came
    for name, what in (("folder.wav", "a folder"), ("fifo.wav", "not a regular file"), ("gone.wav", "cannot read")):
        with pytest.raises(AudioError, match=what):
            WavSource(tmp_path / name)


def test_recognize_gives_one_line_per_hostile_file_and_a_valid_json_document(tmp_path: Path) -> None:
    """All the hostile files and one good one in one run: a line each on stderr, the good file still recognised,
    the JSON on stdout whole, exit 1, no traceback."""
    paths = [hostile_file(tmp_path, name) for name in sorted(HOSTILE)]
    (tmp_path / "fifo.wav").unlink(missing_ok=True)
    os.mkfifo(tmp_path / "fifo.wav")
    paths += [tmp_path / "fifo.wav", YES]
    done = cli("recognize", "--backend", "pocketsphinx", "--state", "asking_symptoms", "--json", *map(str, paths))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == len(paths) - 1 + 1, done.stderr  # one per bad file, and the summary
    for path, line in zip(paths[:-1], lines[:-1], strict=True):
        assert line.startswith(f"voice-coach: {path}:"), line
    assert lines[-1] == f"voice-coach: {len(paths) - 1} of {len(paths)} file(s) could not be read (see above)"
    files = json.loads(done.stdout)["files"]
    assert [f["file"] for f in files] == list(map(str, paths))
    assert all("error" in f for f in files[:-1]) and files[-1]["utterances"][0]["intent"] == "yes"


@pytest.mark.parametrize("name", ["huge data size", "zero channels", "absurd rate", "not a wav"])
@pytest.mark.parametrize("command", ["session", "checkin"])
def test_session_and_checkin_input_of_a_hostile_wav_is_one_line(command: str, name: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.wav"
    path.write_bytes(HOSTILE.get(name, (b"#!/bin/sh\necho not audio\n", ""))[0])
    db = tmp_path / "journal.sqlite3"
    done = cli(command, "--input", str(path), "--backend", "pocketsphinx", "--db", str(db))
    assert_one_clear_line(done, str(path), code=1)


def test_a_hostile_file_in_a_reply_folder_is_found_before_the_session_starts(tmp_path: Path) -> None:
    folder = tmp_path / "replies"
    folder.mkdir()
    write_wav(folder / "01.wav", read_wav(YES))
    (folder / "02.wav").write_bytes(HOSTILE["huge data size"][0])
    db = tmp_path / "journal.sqlite3"
    done = cli("session", "--program", "resistance", "--input", str(folder), "--backend", "pocketsphinx",
               "--db", str(db))
    assert_one_clear_line(done, str(folder / "02.wav"), "truncated", code=1)
    assert "coach:" not in done.stdout, "refused before the session began"


def test_a_voice_check_folder_with_a_hostile_or_hour_long_take_is_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "takes"
    folder.mkdir()
    write_wav(folder / "next_1.wav", read_wav(YES))
    hostile = folder / "next_2.wav"
    hostile.write_bytes(HOSTILE["absurd rate"][0])
    done = cli("voice-check", "--input", str(folder), "--backend", "pocketsphinx")
    assert_one_clear_line(done, str(hostile), "corrupt WAV header", code=1)
    # an hour declared and present, at 1 kHz 8-bit (3.6 MB): refused from its header, not read into memory
    long = riff(fmt_chunk(rate=1000, bits=8), data_chunk(bytes([128]) * 3_600_000))
    hostile.write_bytes(long)
    done = cli("voice-check", "--input", str(folder), "--backend", "pocketsphinx")
    assert_one_clear_line(done, str(hostile), "3600 s of audio", code=1)


# ----- streaming -------------------------------------------------------------------------------------------------
def test_blocks_of_a_48k_stereo_file_equal_the_whole_file_converted_at_once(tmp_path: Path) -> None:
    """The file is decoded, mixed down and resampled a block at a time; joined, the blocks are what converting
    the whole signal at once gives (no seams at block edges), and each block is about BLOCK_SECONDS long."""
    rng = np.random.default_rng(7)
    seconds = 3.3
    left = rng.normal(0, 3000, int(48000 * seconds))
    right = np.sin(np.arange(len(left)) * 2 * np.pi * 440 / 48000) * 8000
    stereo = np.clip(np.round(np.stack([left, right], axis=1)), -32768, 32767).astype("<i2")
    path = tmp_path / "stereo48k.wav"
    write_wav(path, stereo.tobytes(), rate=48000, channels=2)
    blocks = list(wav_blocks(path))
    whole = to_pcm16(resample(stereo.astype(np.float64).mean(axis=1), 48000, 16000))
    assert b"".join(blocks) == whole and len(whole) == int(seconds * 16000) * 2
    assert len(blocks) == 7 and {len(b) for b in blocks[1:-1]} == {int(BLOCK_SECONDS * 32000)}


class EveryUtteranceIsYes:
    """A recognizer that takes every utterance as "yes" (the streaming path is what is under test, not
    recognition: a real engine on hundreds of utterances is the bench's job)."""

    name = "every-utterance-is-yes"
    last = None
    verify_seconds = 0.0
    phrases = frozenset({"yes"})

    def __init__(self) -> None:
        self.utterances = 0

    def begin(self, phrases: tuple[str, ...]) -> None:
        self.utterances += 1

    def feed(self, pcm: bytes) -> str | None:
        return None

    def prepare(self) -> bool:
        return False

    def end(self) -> Heard | None:
        return Heard("yes", 1.0, "voice")


def test_recognize_streams_every_utterance_of_a_recording_with_more_than_256(tmp_path: Path) -> None:
    """300 spoken "yes" in a 48 kHz stereo recording, through the real endpointer (webrtcvad) and the recognize
    command's own function: all 300 come out, in order and as they are cut, none held back or dropped."""
    count = REPORTS_KEPT + 44
    word = np.frombuffer(read_wav(YES), dtype="<i2")
    word = word[np.flatnonzero(np.abs(word) > 300)[0]:np.flatnonzero(np.abs(word) > 300)[-1]]  # the voiced part
    one = np.concatenate([word, np.zeros(int(1.3 * 16000), dtype="<i2")])
    mono = np.repeat(np.tile(one, count), 3)  # 16 kHz → 48 kHz by repetition: band-limited again on reading
    path = tmp_path / "many.wav"
    write_wav(path, np.stack([mono, mono], axis=1).astype("<i2").tobytes(), rate=48000, channels=2)
    seen: list[float] = []
    recognizer = EveryUtteranceIsYes()
    result = recognize_file(path, recognizer, ("yes",), "asking_symptoms", load_phrasebook(),
                            on_utterance=lambda u: seen.append(u["start_seconds"]))
    assert len(seen) == count == recognizer.utterances and result["utterances"] == []
    assert seen == sorted(seen) and seen[-1] > (count - 1) * len(one) / 16000 - 0.5


def test_recognize_prints_each_utterance_with_where_it_starts(tmp_path: Path) -> None:
    """The real CLI and pocketsphinx on a short 48 kHz stereo recording of three replies: a line each."""
    gap = np.zeros(24000, dtype="<i2")
    words = [np.frombuffer(read_wav(AUDIO / "clean" / "en-us_175" / f"{w}.wav"), dtype="<i2")
             for w in ("yes", "no", "yes")]
    mono = np.repeat(np.concatenate([gap, words[0], gap, words[1], gap, words[2], gap]), 3)
    path = tmp_path / "three.wav"
    write_wav(path, np.stack([mono, mono], axis=1).astype("<i2").tobytes(), rate=48000, channels=2)
    done = cli("recognize", "--backend", "pocketsphinx", "--state", "asking_symptoms", str(path))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert [line.rsplit("→ ", 1)[-1] for line in lines] == ["yes", "no", "yes"], lines
    assert all(line.startswith(f"{path} [") for line in lines)
