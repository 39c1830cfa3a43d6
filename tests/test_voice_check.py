"""Voice check on committed recordings: rates per phrase, suggestions for failing ones, a journal entry."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.fakes import MemoryJournal, RecordingSpeaker, ScriptedListener
from voice_coach.access.voice_check import (
    PhraseResult,
    VoiceCheckResult,
    check_folder,
    check_live,
    folder_takes,
    judge,
    record,
    trend,
)
from voice_coach.cli.access import register
from voice_coach.cli.main import app, main
from voice_coach.coach.clocks import VirtualClock
from voice_coach.coach.intents import Heard, load_phrasebook
from voice_coach.errors import AudioError, CoachError
from voice_coach.journal.journal import SqliteJournal
from voice_coach.paths import default_db
from voice_coach.speech.recognizers import make_recognizer

register(app)
AUDIO = Path(__file__).parent / "audio"
VOICES = ("en-us_175", "en-us-f3_175", "en-us-m3_110")


@pytest.fixture(scope="module")
def sphinx():  # type: ignore[no-untyped-def]
    return make_recognizer("pocketsphinx")


def arrange(folder: Path, takes: dict[str, list[str]]) -> Path:
    """Copy committed clips into <phrase>_<n>.wav files."""
    folder.mkdir(exist_ok=True)
    for phrase, clips in takes.items():
        for n, clip in enumerate(clips, start=1):
            shutil.copy(AUDIO / clip, folder / f"{phrase.replace(' ', '_')}_{n}.wav")
    return folder


def test_clear_recordings_are_recognised(tmp_path: Path, sphinx: object) -> None:
    folder = arrange(tmp_path / "check", {w: [f"clean/{v}/{w}.wav" for v in VOICES] for w in ("yes", "stop", "no")})
    result = check_folder(folder, sphinx)  # type: ignore[arg-type]
    rates = {r.phrase: (r.recognised, r.said) for r in result.results}
    assert rates == {"no": (3, 3), "stop": (3, 3), "yes": (3, 3)}
    assert result.overall_rate == 1.0 and result.backend == "pocketsphinx"
    assert all(not r.suggestions for r in result.results)


def test_a_failing_command_gets_clearer_words(tmp_path: Path, sphinx: object) -> None:
    """Speech that is not the command (out-of-grammar sentences, silence) stands in for words not understood."""
    oog = sorted((AUDIO / "oog" / "en-us_175").glob("*.wav"))[:2]
    folder = arrange(tmp_path / "check", {"skip": [str(p.relative_to(AUDIO)) for p in oog] +
                                          ["silence/silence_3s.wav"],
                                          "short of breath": ["clean/en-us_175/short_of_breath.wav"]})
    result = check_folder(folder, sphinx)  # type: ignore[arg-type]
    skip = next(r for r in result.results if r.phrase == "skip")
    assert skip.recognised == 0 and skip.said == 3 and not skip.passed
    assert skip.suggestions, "clearer words are offered"
    book = load_phrasebook()
    assert all(book.phrases.get(s, book.phrases["skip"]) == book.phrases["skip"] for s in skip.suggestions)
    assert any("voice-coach words set skip" in line or "already means skip" in line for line in result.lines())
    breath = next(r for r in result.results if r.phrase == "short of breath")
    assert breath.meaning == "short of breath" and breath.said == 1


def test_judge_counts_only_the_right_meaning() -> None:
    book = load_phrasebook()
    result = judge("yes", [Heard("yes"), Heard("yeah"), Heard("no"), None], book, {})
    assert (result.recognised, result.said, result.heard) == (2, 4, ["yes", "yeah", "no", None])
    assert result.passed is False or result.rate >= 2 / 3


def test_own_words_are_checked_too() -> None:
    book = load_phrasebook()
    result = judge("onward", [Heard("onward")] * 3, book, {"onward": "next"})
    assert result.meaning == "next" and result.recognised == 3


@pytest.mark.parametrize("names, message", [
    ([], "no WAVs here"),
    (["next.wav"], "name it <phrase>_<number>.wav"),
])
def test_badly_named_folders_are_one_line(tmp_path: Path, names: list[str], message: str) -> None:
    for name in names:
        shutil.copy(AUDIO / "clean" / "en-us_175" / "next.wav", tmp_path / name)
    with pytest.raises(AudioError, match=message):
        folder_takes(tmp_path)


def test_an_unknown_phrase_is_one_line(tmp_path: Path, sphinx: object) -> None:
    shutil.copy(AUDIO / "clean" / "en-us_175" / "next.wav", tmp_path / "jump_1.wav")
    with pytest.raises(CoachError, match="'jump' is not a command the coach knows"):
        check_folder(tmp_path, sphinx)  # type: ignore[arg-type]


def test_live_check_asks_each_phrase_three_times() -> None:
    clock, speaker = VirtualClock(), RecordingSpeaker()
    listener = ScriptedListener(["yes", "yes", "no", "stop", "stop", "stop"], transcript=[])
    result = check_live(["yes", "stop"], listener, speaker, clock, backend="fake")
    assert [(r.phrase, r.recognised) for r in result.results] == [("yes", 2), ("stop", 3)]
    assert speaker.keys == ["voice_check_intro", *["voice_check_say"] * 6, "voice_check_done"]
    assert speaker.lines[1] == "Please say: yes." and speaker.lines[2] == "Again: yes."


def test_the_result_goes_to_the_journal_for_the_trend() -> None:
    result = VoiceCheckResult([PhraseResult("next", "next", ["next", None, "text"], 1, ["carry on"])], "mic", "vosk")
    journal = MemoryJournal()
    record(journal, result, VirtualClock().wall())
    row = journal.rows[0]
    assert (row["session_id"], row["kind"], row["source"]) == ("voice_check", "voice_check", "coach")
    assert row["data"]["phrases"]["next"] == {"meaning": "next", "said": 3, "recognised": 1, "rate": 0.333,
                                              "heard": ["next", None, "text"]}
    assert row["data"]["suggestions"] == {"next": ["carry on"]}


def test_cli_voice_check_on_a_folder_writes_the_journal(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = arrange(tmp_path / "check", {"next": [f"clean/{v}/next.wav" for v in VOICES]})
    assert main(["voice-check", "--input", str(folder), "--backend", "pocketsphinx"]) == 0
    out = capsys.readouterr().out
    assert any(line.startswith("recognised") for line in out.splitlines()) and "next" in out
    journal = SqliteJournal(default_db(), readonly=True)
    entries = list(journal.entries())
    assert [e.kind for e in entries] == ["voice_check"]
    assert trend(entries)[0]["rates"]["next"] is not None


def test_cli_voice_check_bad_input_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["voice-check", "--input", "/no/such/folder"]) == 2
    assert capsys.readouterr().err == ("voice-coach: --input /no/such/folder: not 'mic' or a folder of WAVs "
                                       "named like next_1.wav\n")
