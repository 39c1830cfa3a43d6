"""Speech input wired from command-line choices: a WAV or a folder of WAVs, or the microphone, to a Listener."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from voice_coach.coach.ports import Listener
from voice_coach.errors import AudioError
from voice_coach.speech.audio_io import WavSource
from voice_coach.speech.endpointing import EndpointSettings
from voice_coach.speech.listener import AudioReplayListener, StreamListener, wav_files
from voice_coach.speech.recognizers import make_recognizer


def audio_replay_listener(path: Path, backend: str = "auto", model: Path | None = None, *,
                          end_silence_seconds: float | None = None, vad_aggressiveness: int | None = None,
                          on_rejected: Callable[[], None] | None = None) -> Listener:
    """--input FOLDER (one WAV per reply, given when the coach asks) or --input FILE.wav (streamed as if from a
    microphone); both through endpointing and the recognizer, on the virtual clock."""
    settings = endpoint_settings(end_silence_seconds, vad_aggressiveness)
    path = Path(path)
    if path.is_dir():
        wav_files(path)  # every file's header checked before the model loads
        return AudioReplayListener(path, make_recognizer(backend, model), settings, on_rejected=on_rejected)
    if not path.exists():
        raise AudioError(f"{path}: no such WAV file or folder; check the path")
    source = WavSource(path)  # its header checked before the model loads; the audio is streamed
    return StreamListener(source, make_recognizer(backend, model), settings, on_rejected=on_rejected)


def microphone_listener(backend: str = "auto", model: Path | None = None, *, device: str | int | None = None,
                        end_silence_seconds: float | None = None, vad_aggressiveness: int | None = None,
                        on_rejected: Callable[[], None] | None = None) -> Listener:
    """--input mic: the microphone (default device unless named) through endpointing and the recognizer. Audio
    recorded while the coach was speaking (its own voice) is dropped before each listening turn; while it speaks,
    a spotter listens for "stop" so that barge-in can cut the line before the full decode."""
    from voice_coach.speech.microphone import MicrophoneSource
    from voice_coach.speech.stop_spotter import stop_spotter

    settings = endpoint_settings(end_silence_seconds, vad_aggressiveness)
    recognizer = make_recognizer(backend, model)  # load the model first: a missing one is the likelier error
    return StreamListener(MicrophoneSource(device=device), recognizer, settings, on_rejected=on_rejected,
                          drain_on_listen=True, spotter=stop_spotter())


def endpoint_settings(end_silence_seconds: float | None = None, vad_aggressiveness: int | None = None
                      ) -> EndpointSettings:
    """Endpointing with the user's values where given (profile.endpoint_options), the defaults otherwise."""
    base = EndpointSettings()
    return EndpointSettings(
        end_silence_seconds=base.end_silence_seconds if end_silence_seconds is None else end_silence_seconds,
        vad_aggressiveness=base.vad_aggressiveness if vad_aggressiveness is None else vad_aggressiveness)
