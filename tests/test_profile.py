"""The profile: every value checked with one clear line, saved atomically, mapped onto the coach's settings."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest

from voice_coach.access import profile as p
from voice_coach.cli.access import register
from voice_coach.cli.main import app, main
from voice_coach.coach.settings import CoachSettings
from voice_coach.errors import ConfigError

register(app)  # until cli._register adds the command groups itself (idempotent)

GOOD = [
    ("speech_rate_wpm", "150", 150),
    ("speech-rate", "120wpm", 120),
    ("volume", "0.8", 0.8),
    ("volume", "60%", 0.6),
    ("voice", "en-us+f3", "en-us+f3"),
    ("end_silence_seconds", "0.3", 0.3),
    ("end-silence", "10s", 10.0),
    ("response_timeout_seconds", "45", 45.0),
    ("reprompts", "0", 0),
    ("effort_stop_threshold", "6", 6),
    ("confirm", "low-confidence", "low-confidence"),
    ("confirm", "Always", "always"),
    ("input_mode", "any_sound", "any-sound"),
    ("input_mode", "scanning", "scanning"),
    ("scan_fallback_after", "0", 0),
    ("scan_with", "sound", "sound"),
    ("scan_pause_seconds", "4", 4.0),
    ("sound_threshold_dbfs", "-55", -55.0),
    ("vad_aggressiveness", "3", 3),
    ("wake-sensitivity", "High", "high"),
]
BAD = [
    ("end_silence_seconds", "0.2", "end_silence_seconds = 0.2: use 0.3 to 10 seconds"),
    ("end_silence_seconds", "10.5", "use 0.3 to 10 seconds"),
    ("end_silence_seconds", "long", "end_silence_seconds = long: use 0.3 to 10 seconds"),
    ("speech_rate_wpm", "1000", "use 80 to 300 words a minute"),
    ("volume", "1.5", "use 0 to 1 (or 0% to 100%)"),
    ("reprompts", "1.5", "use 0 to 5 times"),
    ("effort_stop_threshold", "10", "use 3 to 9 on the zero-to-ten scale"),
    ("confirm", "sometimes", "use always or low-confidence"),
    ("input_mode", "telepathy", "use speech or any-sound or switch or scanning"),
    ("voice", "  ", 'use a voice name or language like "en-us", or "default"'),
    ("response_timeout_seconds", "nan", "use 5 to 300 seconds"),
    ("colour", "blue", "unknown profile key 'colour'"),
    ("wake_sensitivity", "loud", "wake_sensitivity = loud: use normal or high or highest"),
]


@pytest.mark.parametrize("key, value, expected", GOOD)
def test_good_values_are_saved_and_read_back(key: str, value: str, expected: object) -> None:
    name, parsed = p.set_value(key, value)
    assert parsed == expected
    assert getattr(p.load_profile(), name) == expected
    assert tomllib.loads(p.profile_path().read_text())[name] == expected


@pytest.mark.parametrize("key, value, message", BAD)
def test_bad_values_are_one_clear_line_and_change_nothing(key: str, value: str, message: str) -> None:
    p.set_value("reprompts", "3")
    before = p.profile_path().read_bytes()
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)").replace("+", r"\+")):
        p.set_value(key, value)
    assert p.profile_path().read_bytes() == before


def test_only_the_keys_set_are_written_and_reset_forgets_one() -> None:
    p.set_value("volume", "0.5")
    p.set_value("input_mode", "switch")
    assert set(tomllib.loads(p.profile_path().read_text())) == {"volume", "input_mode"}
    assert p.reset_value("volume") == "volume"
    assert p.load_profile().volume == 1.0 and p.load_profile().input_mode == "switch"


def test_the_file_is_private_and_never_half_written(monkeypatch: pytest.MonkeyPatch) -> None:
    p.set_value("volume", "0.5")
    path = p.profile_path()
    assert os.stat(path).st_mode & 0o777 == 0o600
    before = path.read_bytes()

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(ConfigError, match=r"profile.toml: cannot save \(No space left on device\); the old file"):
        p.set_value("volume", "0.9")
    assert path.read_bytes() == before
    assert [f.name for f in path.parent.iterdir()] == ["profile.toml"], "no temp file left behind"


def test_a_read_only_folder_is_one_line(read_only_dir: tuple[Path, object], monkeypatch: pytest.MonkeyPatch) -> None:
    folder, make_read_only = read_only_dir
    make_read_only()  # type: ignore[operator]
    with pytest.raises(ConfigError, match="cannot save"):
        p.set_value("volume", "0.5", folder / "profile.toml")


@pytest.mark.parametrize("text, message", [
    ("volume = 3\n", r"profile.toml: volume = 3: use 0 to 1"),
    ("colour = 'blue'\n", r"profile.toml: unknown key 'colour'; remove it"),
    ("volume = \n", r"profile.toml: not valid TOML"),
    ("reprompts = true\n", r"profile.toml: reprompts = True: use 0 to 5 times"),
    ("wake_sensitivity = 'max'\n", r"profile.toml: wake_sensitivity = max: use normal or high or highest"),
])
def test_a_damaged_file_is_one_line_naming_it(text: str, message: str) -> None:
    path = p.profile_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        p.load_profile()
    with pytest.raises(ConfigError):  # and a set never overwrites a file it could not read
        p.set_value("volume", "0.5")
    assert path.read_text() == text


def test_strings_with_quotes_round_trip() -> None:
    p.set_value("voice", 'Eve "warm" \\ voice')
    assert p.load_profile().voice == 'Eve "warm" \\ voice'


def test_profile_maps_onto_the_coach_speaker_and_endpointing() -> None:
    prof = p.Profile(response_timeout_seconds=40, reprompts=3, effort_stop_threshold=6, confirm="low-confidence",
                     confirm_below=0.7, speech_rate_wpm=140, volume=0.7, voice="default", end_silence_seconds=2.5)
    settings = p.coach_settings(prof, CoachSettings(first_run=True))
    assert (settings.response_timeout_seconds, settings.reprompts, settings.effort_stop_threshold,
            settings.always_confirm_rating, settings.confirm_below, settings.first_run) == (40, 3, 6, False, 0.7, True)
    assert p.speaker_options(prof) == {"rate": 140, "volume": 0.7, "voice": None}
    assert p.endpoint_options(prof) == {"end_silence_seconds": 2.5, "vad_aggressiveness": 2}
    from voice_coach.speech.wiring import endpoint_settings
    assert endpoint_settings(**p.endpoint_options(prof)).end_silence_seconds == 2.5


def test_defaults_are_valid_values() -> None:
    for key in p.FIELDS:
        value = getattr(p.Profile(), key)
        assert p.checked(key, value) == value


def test_cli_show_set_and_bad_value(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["profile", "set", "end-silence", "2.5"]) == 0
    assert "end_silence_seconds = 2.5" in capsys.readouterr().out
    assert main(["profile", "show"]) == 0
    out = capsys.readouterr().out
    assert "end_silence_seconds       2.5" in out and "input_mode" in out and "(default)" in out
    assert main(["profile", "set", "end_silence_seconds", "30"]) == 1
    err = capsys.readouterr().err
    assert err == "voice-coach: end_silence_seconds = 30: use 0.3 to 10 seconds\n"
    assert main(["profile", "set", "nope", "1"]) == 1
    assert capsys.readouterr().err.startswith("voice-coach: unknown profile key 'nope' (known: speech_rate_wpm")
