"""Speech out: espeak-ng/pyttsx3 synthesis, played through sounddevice (cut at once on "stop") or written to WAVs."""

from __future__ import annotations

import contextlib
import ctypes
import io
import os
import re
import sys
import tempfile
import threading
import time
import wave
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path
from queue import Queue
from typing import Any, Protocol, TextIO, runtime_checkable

import numpy as np

from voice_coach.coach.ports import Speaker
from voice_coach.errors import ConfigError, DeviceError
from voice_coach.private_files import append_private, private_dir, write_private
from voice_coach.speech.devices import Clip, PlaybackLine, Player, find_device
from voice_coach.speech.text_io import TextSpeaker
from voice_coach.terminal_text import shown

DEFAULT_RATE_WPM = 175
"""espeak-ng's own default; pyttsx3 would use 200 words a minute, which is fast for many listeners."""
DEFAULT_VOLUME = 1.0


@runtime_checkable
class Interruptible(Protocol):
    """A speaker whose current line can be cut (barge-in): the loop calls this when "stop" is heard."""

    def stop_playback(self) -> None:
        ...


def stop_speech(speaker: object) -> None:
    """Cut whatever `speaker` is saying now, if it can be cut (a text speaker cannot, and needs not)."""
    if isinstance(speaker, Interruptible):
        speaker.stop_playback()


@dataclass(frozen=True)
class Voice:
    """How a line should sound."""

    rate_wpm: int = DEFAULT_RATE_WPM
    """Speaking rate in words per minute."""
    volume: float = DEFAULT_VOLUME
    """0.0 (silent) to 1.0 (the engine's full volume)."""
    voice: str | None = None
    """A voice id, name or language ("en-us", "English (America)"); None = the engine's default."""

    @classmethod
    def checked(cls, rate: int | None, volume: float | None, voice: str | None) -> Voice:
        rate_wpm = DEFAULT_RATE_WPM if rate is None else int(rate)
        level = DEFAULT_VOLUME if volume is None else float(volume)
        if not 40 <= rate_wpm <= 500:
            raise ConfigError(f"speech rate {rate_wpm} is out of range: use 40 to 500 words a minute")
        if not 0.0 <= level <= 1.0:
            raise ConfigError(f"speech volume {level} is out of range: use 0.0 to 1.0")
        return cls(rate_wpm, level, voice or None)


@dataclass(frozen=True)
class VoiceInfo:
    """A voice the engine has."""

    id: str
    """What the engine selects it by ("gmw/en-us" for espeak-ng)."""
    name: str
    """Its display name ("English (America)")."""
    languages: tuple[str, ...]
    """Language codes ("en-us")."""

    def matches(self, wanted: str) -> int:
        """How well `wanted` names this voice: 0 = not at all, higher = better (an exact id beats a language)."""
        w = wanted.strip().lower()
        keys = [self.id.lower(), self.id.lower().rsplit("/", 1)[-1], self.name.lower(),
                *(lang.lower() for lang in self.languages)]
        return next((len(keys) - i + 1 for i, k in enumerate(keys) if k == w), 0)


class _EspeakBackend:
    """espeak-ng through pyttsx3's own ctypes binding, in synchronous mode: `espeak_Synth` returns when the
    whole line is in our buffer. (pyttsx3 2.99's espeak driver uses the asynchronous mode instead: runAndWait()
    can return before the WAV is written, only the last of several say() calls is spoken, and every setProperty
    after the first line is lost, because its endLoop calls espeak_Cancel, which drops the queued change.)"""

    def __init__(self) -> None:
        from pyttsx3.drivers import _espeak

        self._espeak = _espeak
        self.sample_rate = int(_espeak.Initialize(_espeak.AUDIO_OUTPUT_SYNCHRONOUS, 500))
        if self.sample_rate <= 0:
            raise RuntimeError("espeak-ng did not initialise")
        self._chunks: list[bytes] = []
        _espeak.SetSynthCallback(self._on_audio)
        self.voices = [VoiceInfo(v.identifier.decode("utf-8"), v.name.decode("utf-8"),
                                 (v.languages[1:].decode("utf-8", "ignore"),) if v.languages else ())
                       for v in _espeak.ListVoices(None)]
        current = _espeak.GetCurrentVoice()
        self._default_voice = (current and (current.contents.identifier or current.contents.name) or b"en").decode()
        self._voice = self._default_voice

    def _on_audio(self, wav: Any, numsamples: int, _events: Any) -> int:
        if numsamples > 0:
            self._chunks.append(ctypes.string_at(wav, numsamples * 2))
        return 0

    def synthesize(self, text: str, voice: Voice, voice_id: str | None) -> Clip:
        e = self._espeak
        e.SetParameter(e.RATE, voice.rate_wpm, 0)
        e.SetParameter(e.VOLUME, int(round(voice.volume * 100)), 0)
        wanted = voice_id or self._default_voice
        if wanted != self._voice:
            if e.SetVoiceByName(wanted.encode("utf-8")) != 0:
                raise DeviceError(f"espeak-ng cannot load the voice {wanted}")
            self._voice = wanted
        self._chunks = []
        e.Synth(text.encode("utf-8"), flags=e.ENDPAUSE | e.CHARS_UTF8)
        return Clip(np.frombuffer(b"".join(self._chunks), dtype="<i2").copy(), self.sample_rate)


class _DropLines(io.TextIOBase):
    """Stdout minus pyttsx3's own "Audio saved to ..." lines (its espeak driver prints one per file)."""

    def __init__(self, target: TextIO, prefix: str) -> None:
        self.target, self.prefix, self._line = target, prefix, ""

    def write(self, s: str) -> int:
        self._line += s
        while "\n" in self._line:
            line, _, self._line = self._line.partition("\n")
            if not line.startswith(self.prefix):
                self.target.write(line + "\n")
        return len(s)

    def flush(self) -> None:
        if self._line and not (self._line.startswith(self.prefix) or self.prefix.startswith(self._line)):
            self.target.write(self._line)
            self._line = ""
        self.target.flush()


class _Pyttsx3Backend:
    """Any pyttsx3 driver (SAPI5 on Windows, NSSpeechSynthesizer on macOS): save_to_file, then read the WAV."""

    def __init__(self) -> None:
        import pyttsx3

        self._engine = pyttsx3.init()
        self._tmp = tempfile.TemporaryDirectory(prefix="voice-coach-tts-")
        self.voices = [VoiceInfo(str(v.id), str(v.name), tuple(str(x) for x in (v.languages or [])))
                       for v in self._engine.getProperty("voices") or []]

    def synthesize(self, text: str, voice: Voice, voice_id: str | None) -> Clip:
        engine, path = self._engine, Path(self._tmp.name) / "line.wav"
        path.unlink(missing_ok=True)
        engine.setProperty("rate", voice.rate_wpm)
        engine.setProperty("volume", voice.volume)
        if voice_id is not None:
            engine.setProperty("voice", voice_id)
        quiet = _DropLines(sys.stdout, "Audio saved to ")
        with contextlib.redirect_stdout(quiet):
            engine.save_to_file(text, str(path))
            engine.runAndWait()
        quiet.flush()  # what other threads printed meanwhile, minus that line
        for _ in range(200):  # some drivers return from runAndWait before the file is complete
            if path.is_file() and path.stat().st_size > 44:
                break
            time.sleep(0.01)
        return read_wav(path)


class _EngineThread:
    """The process's one speech engine, on a thread of its own.

    espeak-ng (and pyttsx3, which caches one engine per driver) keep process-wide state, so two engines would
    garble each other; one owner thread also keeps COM-based drivers (SAPI5) on one thread, and lets a caller
    give up on a hung engine (a known pyttsx3 failure) instead of hanging with it.
    """

    _instance: _EngineThread | None = None
    _lock = threading.Lock()

    @classmethod
    def shared(cls) -> _EngineThread:
        """The engine, started on first use; a failed start is not retried (it could hang again)."""
        with cls._lock:
            if cls._instance is None:
                cls._instance = cls("espeak" if sys.platform.startswith("linux") else "pyttsx3")
            if cls._instance.broken is not None:
                raise DeviceError(f"speech engine is not working ({cls._instance.broken})")
            return cls._instance

    def __init__(self, backend: str) -> None:
        self.broken: str | None = None
        """Why the engine cannot be used any more, once it cannot."""
        self.backend = backend
        """espeak (espeak-ng, directly) or pyttsx3 (whatever driver pyttsx3 picks)."""
        self.voices: list[VoiceInfo] = []
        self._requests: Queue[tuple[Callable[[Any], Any], Future[Any]]] = Queue()
        started: Future[Any] = Future()
        threading.Thread(target=self._run, args=(started,), name="speech-engine", daemon=True).start()
        try:
            self.voices = started.result(timeout=20)
        except FutureTimeout:
            self.broken = "it did not start within 20 s"
        except Exception as exc:
            self.broken = f"{str(exc) or type(exc).__name__}; is espeak-ng installed?"

    def _run(self, started: Future[Any]) -> None:
        try:
            engine: _EspeakBackend | _Pyttsx3Backend
            if self.backend == "espeak":
                try:
                    from pyttsx3.drivers import _espeak  # noqa: F401 - loads libespeak-ng, or fails
                except Exception:  # no libespeak-ng where pyttsx3 looks: let pyttsx3 find another driver
                    self.backend = "pyttsx3"
            engine = _EspeakBackend() if self.backend == "espeak" else _Pyttsx3Backend()
        except BaseException as exc:  # any failure here means "no speech engine"
            started.set_exception(exc)
            return
        started.set_result(engine.voices)
        while True:
            job, result = self._requests.get()
            if not result.set_running_or_notify_cancel():
                continue
            try:
                result.set_result(job(engine))
            except BaseException as exc:  # handed to the caller, who decides
                result.set_exception(exc)

    def synthesize(self, text: str, voice: Voice, voice_id: str | None) -> Clip:
        if self.broken is not None:
            raise DeviceError(f"speech engine is not working ({self.broken})")
        result: Future[Clip] = Future()
        self._requests.put((lambda engine: engine.synthesize(text, voice, voice_id), result))
        timeout_seconds = 15 + len(text) / 20
        try:
            return result.result(timeout=timeout_seconds)
        except FutureTimeout:
            self.broken = f"no answer within {timeout_seconds:.0f} s"
            raise DeviceError(f"speech engine stopped responding ({self.broken})") from None

    def resolve_voice(self, wanted: str) -> str:
        """The engine's voice id for an id, a name or a language; ConfigError when there is none."""
        score, best = max(((v.matches(wanted), v.id) for v in self.voices), default=(0, ""))
        if score:
            return best
        english = sorted({v.id.rsplit("/", 1)[-1] for v in self.voices if v.id.rsplit("/", 1)[-1].startswith("en")})
        every = "espeak-ng --voices" if self.backend == "espeak" else "your system's speech settings"
        raise ConfigError(f"speech voice {shown(wanted)} not found; try one of: {', '.join(english[:8]) or 'none'} "
                          f"(every voice installed: {every})")


def installed_voice(wanted: str) -> str:
    """The speech engine's id for the voice `wanted` names (as a session will choose it); ConfigError naming some
    voices and how to list them all when there is none, DeviceError when the engine cannot start."""
    return _EngineThread.shared().resolve_voice(wanted)


class Pyttsx3Synth:
    """Turns lines into audio (espeak-ng on Linux, pyttsx3's driver elsewhere), at one voice, rate and volume."""

    def __init__(self, rate: int | None = None, volume: float | None = None, voice: str | None = None) -> None:
        self.voice = Voice.checked(rate, volume, voice)
        self._engine = _EngineThread.shared()
        # A wrong voice name fails now, before the session, not at its first line.
        self.voice_id = self._engine.resolve_voice(self.voice.voice) if self.voice.voice else None

    def synthesize(self, text: str) -> Clip:
        return self._engine.synthesize(text, self.voice, self.voice_id)

    def to_wav(self, text: str) -> bytes:
        """The line as a 16-bit mono WAV file's bytes (22050 Hz with espeak-ng)."""
        return clip_wav(self.synthesize(text) if text.strip() else Clip(np.zeros(0, dtype=np.int16), 22050))


def clip_wav(clip: Clip) -> bytes:
    """A clip as a 16-bit mono WAV file's bytes."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(clip.sample_rate)
        w.writeframes(clip.samples.astype("<i2").tobytes())
    return buffer.getvalue()


def read_wav(path: Path) -> Clip:
    """A 16-bit PCM WAV as a mono clip."""
    try:
        with wave.open(str(path), "rb") as w:
            if w.getsampwidth() != 2:
                raise DeviceError(f"speech engine wrote {8 * w.getsampwidth()}-bit audio; expected 16-bit")
            data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
            channels, rate = w.getnchannels(), w.getframerate()
    except (OSError, wave.Error, EOFError) as exc:
        raise DeviceError(f"speech engine wrote no readable WAV ({exc})") from exc
    if channels > 1:
        data = data.reshape(-1, channels).mean(axis=1)
    return Clip(np.asarray(data, dtype=np.int16), rate)


class Pyttsx3Speaker:
    """Says each line aloud: the engine synthesises it (a few milliseconds), sounddevice plays it. `say` returns
    when the line has been played, or at once when `stop_playback()` cuts it (from another thread: the one
    listening for "stop")."""

    def __init__(self, rate: int | None = None, volume: float | None = None, voice: str | None = None, *,
                 device: str | int | None = None) -> None:
        self.synth = Pyttsx3Synth(rate, volume, voice)
        self.player = Player(device)
        self._line: PlaybackLine | None = None
        self._lock = threading.Lock()
        self.cut_lines = 0
        """How many lines a barge-in cut short."""

    def say(self, text: str, key: str) -> None:
        if not text.strip():
            return
        self._play(lambda: self.synth.synthesize(text))

    def play_clip(self, clip: Clip, key: str, text: str) -> None:
        """Plays a sound that is not a line (the listener's earcon) through the same output."""
        self._play(lambda: clip)

    def _play(self, make: Callable[[], Clip]) -> None:
        line = PlaybackLine()
        with self._lock:
            self._line = line
        try:
            clip = make()
            if line.cut.is_set() or self.player.play(clip, line) is False:
                self.cut_lines += 1
        finally:
            with self._lock:
                if self._line is line:
                    self._line = None

    def stop_playback(self) -> None:
        """Cuts the line being said (or about to be played); the next `say` plays normally."""
        with self._lock:
            line = self._line
        if line is not None:
            line.stop()

    def close(self) -> None:
        """Closes the output stream (it also closes itself after a while without lines)."""
        self.player.close()


class WavSpeaker:
    """Writes each line as a numbered WAV (`0001_<key>.wav`) and a row of `transcript.tsv` (number, key, text),
    for tests and demos. Numbering continues after the files already in the folder."""

    def __init__(self, directory: str | Path, rate: int | None = None, volume: float | None = None,
                 voice: str | None = None, *, synth: Pyttsx3Synth | None = None) -> None:
        self.directory = self.prepare(directory)
        self.synth = synth or Pyttsx3Synth(rate, volume, voice)
        self.transcript = self.directory / "transcript.tsv"
        numbers = [int(m.group(1)) for p in self.directory.glob("*.wav") if (m := re.match(r"(\d{4,})_", p.name))]
        self.number = max(numbers, default=0)
        self.paths: list[Path] = []
        """The WAVs written by this speaker, in order."""

    @staticmethod
    def prepare(directory: str | Path) -> Path:
        """The folder, created private (0700) if needed and checked writable (DeviceError otherwise)."""
        folder = private_dir(Path(directory), DeviceError, what="--output")
        try:
            fd, probe = tempfile.mkstemp(prefix=".voice-coach-write-test.", dir=folder)  # O_EXCL: never a link
            os.close(fd)
            os.unlink(probe)
        except OSError as exc:
            raise DeviceError(f"--output {directory}: cannot write there ({exc.strerror or exc}); "
                              "choose another folder, or --output text") from exc
        return folder

    def say(self, text: str, key: str) -> None:
        """One private (0600) WAV and a transcript row; never written through a planted link or onto a pipe."""
        self._write(self.synth.to_wav(text), key, text)

    def play_clip(self, clip: Clip, key: str, text: str) -> None:
        """A sound that is not a line (the listener's earcon): its WAV, and `text` in the transcript."""
        self._write(clip_wav(clip), key, text)

    def _write(self, wav: bytes, key: str, text: str) -> None:
        self.number += 1
        safe_key = re.sub(r"[^A-Za-z0-9._-]+", "-", key).strip("-") or "line"
        path = self.directory / f"{self.number:04d}_{safe_key}.wav"
        write_private(path, wav, DeviceError, what="--output")
        row = f"{self.number}\t{key}\t{' '.join(text.split())}\n"
        header = "" if os.path.lexists(self.transcript) else "number\tkey\ttext\n"
        append_private(self.transcript, header + row, DeviceError, what="--output")
        self.paths.append(path)


class SilentSpeaker:
    """Says nothing (the fallback when the lines are printed anyway)."""

    def say(self, text: str, key: str) -> None:
        pass

    def play_clip(self, clip: Clip, key: str, text: str) -> None:
        pass


class FallbackSpeaker:
    """Uses `primary` until it fails once; then prints one warning and uses `fallback` for good. Never raises
    for a failing primary: a broken speech engine or a missing speaker must not end a session."""

    def __init__(self, primary: Speaker, fallback: Speaker, *, warnings: TextIO | None = None) -> None:
        self.primary, self.fallback = primary, fallback
        self.warnings = warnings
        self.failure: str | None = None
        """Why the primary was given up, once it was."""

    def say(self, text: str, key: str) -> None:
        if self.failure is None:
            try:
                self.primary.say(text, key)
                return
            except Exception as exc:  # any failure: the person must still get the line
                self.failure = str(exc) or type(exc).__name__
                stream = self.warnings or sys.stderr
                stream.write(f"voice-coach: speech output failed ({self.failure}); continuing with text\n")
                stream.flush()
        self.fallback.say(text, key)

    def play_clip(self, clip: Clip, key: str, text: str) -> None:
        """A sound through the primary while it works (the fallback gets the same mark)."""
        if self.failure is None:
            try:
                play_clip(self.primary, clip, key, text)
                return
            except Exception as exc:  # noqa: BLE001 - as for a line: the person still gets the mark
                self.failure = str(exc) or type(exc).__name__
                stream = self.warnings or sys.stderr
                stream.write(f"voice-coach: speech output failed ({self.failure}); continuing with text\n")
                stream.flush()
        play_clip(self.fallback, clip, key, text)

    def stop_playback(self) -> None:
        stop_speech(self.primary if self.failure is None else self.fallback)


class TeeSpeaker:
    """Says each line through every speaker in turn (the text first, so it shows while the voice speaks)."""

    def __init__(self, *speakers: Speaker) -> None:
        self.speakers = speakers

    def say(self, text: str, key: str) -> None:
        for speaker in self.speakers:
            speaker.say(text, key)

    def play_clip(self, clip: Clip, key: str, text: str) -> None:
        for speaker in self.speakers:
            play_clip(speaker, clip, key, text)

    def stop_playback(self) -> None:
        for speaker in self.speakers:
            stop_speech(speaker)


def play_clip(speaker: Speaker, clip: Clip, key: str, text: str) -> None:
    """Play a sound that is not a line through `speaker`; one that only says lines says `text` instead."""
    play = getattr(speaker, "play_clip", None)
    if play is not None:
        play(clip, key, text)
    else:
        speaker.say(text, key)


def speech_speaker(spec: str, rate: int | None = None, volume: float | None = None, *, voice: str | None = None,
                   device: str | int | None = None, echo: bool = True, text_stream: TextIO | None = None,
                   warnings: TextIO | None = None) -> Speaker:
    """The speaker for `--output speaker` (spoken aloud) or `--output DIR` (one WAV per line).

    With `echo` (the default) every line is printed as well: the person may be hard of hearing, and the
    caregiver can follow. Without a sound output or a speech engine the coach says so once and goes on in
    text. A wrong voice, rate or volume is a ConfigError, an unwritable folder a DeviceError: both are the
    user's to fix before the session starts.
    """
    text = TextSpeaker(text_stream)
    out = warnings or sys.stderr
    folder = None if spec == "speaker" else WavSpeaker.prepare(spec)
    spoken: Speaker
    try:
        if folder is None:
            find_device(device, "output", hint=False)
            spoken = Pyttsx3Speaker(rate, volume, voice, device=device)
        else:
            spoken = WavSpeaker(folder, synth=Pyttsx3Synth(rate, volume, voice))
    except DeviceError as exc:  # no speaker, or no speech engine: text it is (ConfigError goes up)
        out.write(f"voice-coach: cannot speak aloud ({exc.message}); showing the coach's lines as text\n")
        out.flush()
        return text
    if echo:
        return TeeSpeaker(text, FallbackSpeaker(spoken, SilentSpeaker(), warnings=out))
    return FallbackSpeaker(spoken, text, warnings=out)
