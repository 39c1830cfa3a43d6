"""`voice-coach listen` over a recorded day (real espeak-ng audio, the real CLI in a subprocess): room talk full of
the coach's own words never wakes it, a reminder comes from the plan, a wake starts a short session by voice; a
second listener is refused; the service unit; a lost microphone and a failing speaker while listening."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import wave
from pathlib import Path

import pytest

from tests.fakes import FakeClock, MemoryJournal, RecordingSpeaker
from tests.room import Track, speak
from voice_coach.cli.listen import parse_start_at
from voice_coach.cli.service import unit_text
from voice_coach.coach.intents import Heard, load_phrasebook
from voice_coach.coach.ports import Clock, EndOfInput, Expectation
from voice_coach.coach.prompts import load_prompts
from voice_coach.errors import CoachError, DeviceError, JournalError
from voice_coach.journal import lock as journal_lock
from voice_coach.listen.listener import Facts, Mode, ResidentListener
from voice_coach.listen.prompts import load_listen_prompts
from voice_coach.listen.resident import Resident, Wiring
from voice_coach.speech.audio_io import write_wav

ROOT = Path(__file__).resolve().parent.parent
ROOM_TALK = [("stop the car here please", "en-gb"), ("I'm ready when you are", "en-us+f4"),
             ("we can check in at the hotel at five", "en-gb-x-rp"), ("seven eight nine ten", "en-us+m7"),
             ("okay so what is on the telly tonight", "en-gb"), ("yes I am ready to go", "en-gb-x-rp"),
             ("coach the team to start again", "en-us+f4"), ("okay let's go", "en-gb")]


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "voice_coach.cli.main", *args], capture_output=True, text=True,
                          timeout=600, cwd=ROOT, env={**os.environ, **(env or {})})


def rows(db: Path) -> list[tuple[str, str, str | None, str]]:
    with sqlite3.connect(db) as c:
        return list(c.execute("SELECT at, kind, transcript, data FROM entries ORDER BY id"))


@pytest.fixture(scope="module")
def day_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About two minutes of a day from 09:59:20: room talk, the 10:00 reminder ("later"), a wake, a short
    stretching session by voice (stopped at the first hold), room talk again."""
    t = Track(1)
    for text, voice in ROOM_TALK[:5]:
        t.say(text, voice, 165, after=2.0)
    t.gap(25)
    t.say("later", "en-us+m3", 110, after=0)
    t.gap(8)
    t.say("okay coach", "en-us", 160, after=5)
    t.say("start", "en-us", 160, after=3)
    t.say("yes", "en-us+m3", 110, after=3)
    for reply in ["two", "no", "ready", "stop"]:
        t.say(reply, "en-us+m3", 110, after=6)
    t.gap(6)
    for text, voice in ROOM_TALK[5:]:
        t.say(text, voice, 165, after=2.0)
    t.gap(3)
    path = tmp_path_factory.mktemp("day") / "day.wav"
    write_wav(path, t.pcm())
    return path


def test_a_day_in_a_recording(day_wav: Path, tmp_path: Path, whisper_on: None) -> None:
    db = tmp_path / "journal.db"
    assert cli("profile", "set", "reminder-times", "10:00").returncode == 0
    done = cli("listen", "--input", str(day_wav), "--output", "text", "--db", str(db), "--start-at",
               "2026-01-05T09:59:20")  # a Monday: stretching is planned
    assert done.returncode == 0, done.stderr
    kinds = [k for _, k, _, _ in rows(db)]
    assert kinds[0] == "listen_started" and kinds[-1] == "listen_ended"
    assert kinds.count("wake") == 1  # room talk with "stop", "I'm ready", "check in", numbers never woke it
    reminder = kinds.index("reminder")
    assert kinds[reminder + 1:reminder + 3] == ["heard", "reminder_snoozed"]
    wake = kinds.index("wake")
    assert wake > reminder
    assert kinds[wake:wake + 5] == ["wake", "heard", "heard", "listen_starts", "session_started"]
    heard = [t for _, k, t, _ in rows(db) if k == "heard"]
    assert heard[:3] == ["later", "start", "yes"]
    ended = [d for _, k, _, d in rows(db) if k == "session_ended"]
    assert len(ended) == 1 and '"stopped_by_user"' in ended[0]
    assert kinds[kinds.index("session_ended") + 1] == "listen_resumed"
    assert "session_started" not in kinds[kinds.index("listen_resumed"):]
    assert "Start your daily stretching now?" in done.stdout
    assert "It's time for your daily stretching." in done.stdout
    report = cli("report", "--db", str(db), "--format", "text")
    assert report.returncode == 0, report.stderr
    assert "Listening: woke 1 time (0 for nothing)" in report.stdout
    assert "1 reminder (1 later" in report.stdout


def test_a_second_listener_or_session_is_refused_with_one_line(tmp_path: Path, day_wav: Path) -> None:
    db = tmp_path / "journal.db"
    with journal_lock.hold(db, what="listen"):
        with pytest.raises(JournalError, match="the listening coach .* is already using it"):
            with journal_lock.hold(db, what="listen"):
                pass
        for args in (["listen", "--input", str(day_wav)], ["session", "--input", "text"]):
            done = cli(*args, "--output", "text", "--db", str(db))
            assert done.returncode == 1
            assert done.stderr.count("\n") == 1 and "is already using it" in done.stderr, done.stderr
    with journal_lock.hold(db, what="listen"):  # free again once the first one let go
        pass


def test_start_at_and_bad_input_are_one_line(tmp_path: Path) -> None:
    assert parse_start_at("2026-01-05T09:30").hour == 9
    with pytest.raises(CoachError, match="use HH:MM"):
        parse_start_at("soon")
    done = cli("listen", "--input", str(tmp_path / "nothing.wav"), "--output", "text", "--db", str(tmp_path / "j"))
    assert done.returncode == 1 and done.stderr.count("\n") == 1 and "nothing.wav" in done.stderr


def test_service_unit_is_written_and_valid(tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path / "xdg"), "PATH": "/nonexistent"}  # no systemctl: says what to run
    done = cli("service", "install", env=env)
    assert done.returncode == 0, done.stderr
    unit = tmp_path / "xdg" / "systemd" / "user" / "voice-coach.service"
    text = unit.read_text()
    assert "listen" in text and "Restart=on-failure" in text and "StandardError=journal" in text
    assert "WantedBy=default.target" in text
    assert "systemctl --user enable --now voice-coach.service" in done.stdout
    assert "installed at" in cli("service", "status", env=env).stdout
    analyze = shutil.which("systemd-analyze")
    if analyze is not None:
        check = subprocess.run([analyze, "--user", "verify", str(unit)], capture_output=True, text=True,
                               timeout=60, env={**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "xdg")})
        problems = [line for line in (check.stdout + check.stderr).splitlines() if "voice-coach.service" in line]
        assert not problems, problems
    assert cli("service", "uninstall", env=env).returncode == 0
    assert not unit.exists()
    assert "not installed" in cli("service", "status", env=env).stdout
    assert unit_text().startswith("[Unit]")


class Room:
    """A scripted room for the loop: each listen gives the next item (a Heard, None, or an exception)."""

    def __init__(self, items: list[object]) -> None:
        self.items = list(items)
        self.source = self
        self.reopened = 0

    def reopen(self) -> None:
        self.reopened += 1
        if self.reopened == 1:
            raise DeviceError("input device 'USB mic' is gone")

    def listen(self, until: float | None, clock: Clock, expect: Expectation) -> Heard | None:
        clock.sleep_until(until if until is not None else clock.now() + 1)
        if not self.items:
            raise EndOfInput("done")
        item = self.items.pop(0)
        if isinstance(item, Exception):
            raise item
        return item  # type: ignore[return-value]


class BrokenSpeaker(RecordingSpeaker):
    def say(self, text: str, key: str) -> None:
        super().say(text, key)
        if key == "woken":
            raise RuntimeError("espeak died")


def test_microphone_lost_and_back_and_a_failing_speaker_keep_it_listening() -> None:
    room = Room([None, DeviceError("PortAudio error: device unavailable"), None, Heard("okay coach", 1.0, "voice"),
                 Heard("check in", 1.0, "voice"), None])
    speaker, journal, echoed, runs = BrokenSpeaker(), MemoryJournal(), [], []
    wiring = Wiring(listener=room, recognizer=None, wake=None, speaker=speaker, journal=journal, clock=FakeClock(),
                    run=lambda r: runs.append(r) or "completed", facts=Facts, due=lambda wall: None)
    Resident(ResidentListener("okay coach"), wiring, load_prompts(), load_listen_prompts(), load_phrasebook(), {},
             echo=echoed.append).run()
    kinds = journal.kinds()
    assert kinds.index("input_lost") < kinds.index("input_back") < kinds.index("wake")
    assert kinds.count("input_lost") == 1 and room.reopened == 2  # said once, tried until it came back
    assert "input_lost" in speaker.keys and "input_back" in speaker.keys
    assert any("speech output failed" in line for line in echoed)  # "Yes?" failed: printed, still listening
    assert len(runs) == 1 and runs[0].checkin
    assert kinds[-2:] == ["listen_resumed", "listen_ended"]


def test_replies_without_the_wake_phrase_do_nothing_in_waiting() -> None:
    room = Room([Heard("yes", 1.0, "voice"), Heard("start", 1.0, "voice")])
    journal, machine = MemoryJournal(), ResidentListener("okay coach")
    wiring = Wiring(listener=room, recognizer=None, wake=None, speaker=RecordingSpeaker(), journal=journal,
                    clock=FakeClock(), run=lambda r: "completed", facts=Facts, due=lambda wall: None)
    Resident(machine, wiring, load_prompts(), load_listen_prompts(), load_phrasebook(), {}, echo=print).run()
    # a scripted listener hands "yes" to the waiting state as if it were a wake; the machine needs the wake phrase
    assert "listen_starts" not in journal.kinds() and machine.mode is not Mode.CONFIRMING


def test_learn_wake_keeps_the_persons_tries(tmp_path: Path, whisper_on: None) -> None:
    from voice_coach.speech.voice_templates import load_templates

    folder = tmp_path / "tries"
    folder.mkdir()
    for n, (wpm, pitch) in enumerate([(110, 40), (100, 55), (120, 45)]):
        write_wav(folder / f"try_{n}.wav", Track(n).add(speak("okay coach", "en-us+m3", wpm, pitch=pitch)).gap(0.3)
                  .pcm())
    done = cli("words", "learn-wake", "--input", str(folder))
    assert done.returncode == 0, done.stderr
    assert "learned how you say 1 phrase from 3 tries" in done.stdout
    templates = load_templates()
    assert templates is not None and "okay coach" in templates.takes


def test_typed_lines_wake_it_too(tmp_path: Path) -> None:
    db = tmp_path / "journal.db"
    done = subprocess.run([sys.executable, "-m", "voice_coach.cli", "listen", "--input", "text", "--output", "text",
                           "--db", str(db)], input="yes\nstop\nokay coach\nnever mind\nokay coach check in\nfour\n",
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    kinds = [k for _, k, _, _ in rows(db)]
    assert kinds.count("wake") == 2 and "wake_cancelled" in kinds  # "yes" and "stop" before a wake did nothing
    assert kinds.index("wake_cancelled") < kinds.index("session_started")
    assert "Yes?" in done.stdout and "How tired do you feel" in done.stdout


def test_voice_check_checks_and_learns_the_wake_phrase(tmp_path: Path, whisper_on: None) -> None:
    """`voice-check` asks for the wake phrase like the commands: its tries are judged against the wake phrase
    alone, recorded in the journal, and learned for the listener; a phrase that is not the wake phrase fails."""
    from voice_coach.speech.voice_templates import load_templates

    folder = tmp_path / "tries"
    folder.mkdir()
    for n, (wpm, pitch) in enumerate([(110, 40), (100, 55), (120, 45)], start=1):
        write_wav(folder / f"okay_coach_{n}.wav", Track(n).add(speak("okay coach", "en-us+m3", wpm, pitch=pitch))
                  .gap(0.3).pcm())
        write_wav(folder / f"yes_{n}.wav", Track(n).add(speak("yes", "en-us+m3", wpm, pitch=pitch)).gap(0.3).pcm())
    db = tmp_path / "journal.db"
    done = cli("voice-check", "--input", str(folder), "--db", str(db), "--learn")
    assert done.returncode == 0, done.stderr
    line = next(x for x in done.stdout.splitlines() if "okay coach" in x)
    assert line.split()[0] == "ok" and line.split()[-1] in ("2/3", "3/3"), done.stdout
    data = json.loads(next(d for _, k, _, d in rows(db) if k == "voice_check"))
    assert data["phrases"]["okay coach"]["meaning"] == "wake phrase"
    templates = load_templates()
    assert templates is not None and "okay coach" in templates.takes and "yes" in templates.takes

    wrong = tmp_path / "wrong"
    wrong.mkdir()
    for n in (1, 2):
        write_wav(wrong / f"okay_coach_{n}.wav", Track(n).add(speak("put the kettle on", "en-gb", 150)).gap(0.3).pcm())
    done = cli("voice-check", "--input", str(wrong), "--db", str(db), "--no-learn")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].startswith("poor okay coach  0/2"), done.stdout
    assert 'or choose another wake phrase:  voice-coach words set wake "WORDS"' in done.stdout
    assert "or let the listener take it more readily:  voice-coach profile set wake-sensitivity highest" in done.stdout
    assert cli("profile", "set", "wake-sensitivity", "normal").returncode == 0
    done = cli("voice-check", "--input", str(wrong), "--db", str(db), "--no-learn")
    assert done.returncode == 0 and "poor okay coach  0/2" in done.stdout, done.stdout
    assert "voice-coach profile set wake-sensitivity high\n" in done.stdout  # the next one up
    assert cli("profile", "set", "wake-sensitivity", "highest").returncode == 0
    done = cli("voice-check", "--input", str(wrong), "--db", str(db), "--no-learn")
    assert done.returncode == 0 and "wake-sensitivity" not in done.stdout, done.stdout  # none higher


@pytest.fixture(scope="module")
def wakes_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Room talk, "okay coach, what's today" in one breath, "okay coach" alone and then nothing, and "okay coach,
    check in" in one breath."""
    t = Track(3)
    t.say("stop the car here please", "en-gb", 165, after=1.0)
    t.say("okay coach, what's today", "en-us", 160, after=3)
    t.gap(6)
    t.say("okay coach", "en-us", 160, after=2)
    t.gap(20)
    t.say("okay coach, check in", "en-us", 160, after=2)
    t.gap(4)
    path = tmp_path_factory.mktemp("wakes") / "wakes.wav"
    write_wav(path, t.pcm())
    return path


def test_a_wake_is_answered_by_the_tone_and_the_request_in_the_same_breath_is_acted_on(
        wakes_wav: Path, tmp_path: Path, whisper_on: None) -> None:
    db, out = tmp_path / "journal.db", tmp_path / "out"
    done = cli("listen", "--input", str(wakes_wav), "--output", str(out), "--db", str(db), "--start-at",
               "2026-01-05T10:00")
    assert done.returncode == 0, done.stderr
    wakes = [json.loads(d) for _, k, _, d in rows(db) if k == "wake"]
    assert [(w["request"], w["tone"]) for w in wakes] == [("today", True), (None, True), ("checkin", True)]
    keys = [line.split("\t")[1] for line in (out / "transcript.tsv").read_text().splitlines()[1:]]
    # the tone at once, then the request's answer; "Yes?" only for the wake phrase with nothing after it
    assert keys[1:4] == ["earcon", "plan_today", "plan_next"]
    assert keys[4:6] == ["earcon", "woken"]
    assert keys[keys.index("woken") + 1:].count("earcon") == 1 and keys.count("woken") == 1
    assert keys[keys.index("earcon", 6) + 1] == "welcome_checkin"  # the check-in asked for in the same breath
    tones = sorted(out.glob("*_earcon.wav"))
    assert len(tones) == 3
    with wave.open(str(tones[0]), "rb") as w:
        seconds = w.getnframes() / w.getframerate()
    assert 0.1 <= seconds <= 0.3
    assert done.stderr.count("wake heard (tone)") == 3
    starts = [json.loads(d) for _, k, _, d in rows(db) if k == "listen_starts"]
    assert len(starts) == 1 and starts[0]["checkin"]
