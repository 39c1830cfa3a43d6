"""Build the real adapters from command-line choices and the user's profile: the only place that knows
every engine."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from voice_coach.access.profile import INPUT_MODES, Profile, endpoint_options, speaker_options
from voice_coach.access.switch import KeySwitch
from voice_coach.coach.clocks import SystemClock, VirtualClock
from voice_coach.coach.intents import PhraseBook
from voice_coach.coach.ports import AudioSource, Clock, Listener, Speaker
from voice_coach.errors import CoachError
from voice_coach.speech.text_io import TextListener, TextSpeaker

LIVE_INPUTS = ("text", "mic", "caregiver", *INPUT_MODES)


@dataclass
class Input:
    """The listener for --input, whether it replays (virtual clock), and what to close at the end."""

    listener: Listener
    replaying: bool
    closers: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        for close in self.closers:
            close()


def make_input(spec: str, profile: Profile, *, speaker: Speaker, phrasebook: PhraseBook, aliases: dict[str, str],
               backend: str = "auto", model: Path | None = None) -> Input:
    """--input: auto (the profile's input mode), text, caregiver, mic/speech, switch, any-sound, scanning, a .txt
    reply script, a WAV file or a folder of WAVs."""
    mode = profile.input_mode if spec == "auto" else ("speech" if spec == "mic" else spec)
    if mode == "text":
        return Input(TextListener.keyboard("keyboard"), False)
    if mode in ("caregiver", *INPUT_MODES):
        from voice_coach.access.input_modes import make_input_listener

        closers: list[Callable[[], None]] = []

        def speech(on_rejected: Callable[[], None]) -> Listener:
            from voice_coach.speech.wiring import microphone_listener
            return microphone_listener(backend, model, on_rejected=on_rejected, **endpoint_options(profile))

        def microphone() -> AudioSource:
            from voice_coach.speech.microphone import MicrophoneSource
            return MicrophoneSource(device=None)

        def switch() -> KeySwitch:
            key = KeySwitch(sys.stdin).open()
            closers.append(key.close)
            return key

        listener = make_input_listener(mode, profile, speaker=speaker, phrasebook=phrasebook, aliases=aliases,
                                       speech=speech, audio=microphone,
                                       switch=switch if sys.stdin.isatty() else None)
        return Input(listener, False, closers)
    path = Path(spec)
    if path.suffix == ".txt" and path.is_file():
        from voice_coach.speech.replay import TextReplayListener
        return Input(TextReplayListener(path, echo=sys.stdout), True)
    if path.exists() or path.suffix.lower() == ".wav":
        from voice_coach.speech.wiring import audio_replay_listener
        return Input(audio_replay_listener(path, backend, model, **endpoint_options(profile)), True)
    raise CoachError(f"--input {spec}: use {', '.join(LIVE_INPUTS)}, a .txt reply script, a WAV file or a folder "
                     "of WAVs", code="usage")


def make_speaker(spec: str, profile: Profile | None = None) -> Speaker:
    """The speaker for --output: text, speaker (spoken aloud, and printed), or a folder for one WAV per line."""
    if spec == "text":
        return TextSpeaker()
    from voice_coach.speech.speech_out import speech_speaker
    return speech_speaker(spec, **speaker_options(profile or Profile()))


def make_clock(replaying: bool, time_scale: float) -> Clock:
    """A replay runs on a virtual clock (instant, deterministic); live input on the real one."""
    if replaying:
        return VirtualClock(start=SystemClock().wall())
    return SystemClock(scale=time_scale)
