"""Hostile and careless files and arguments, run as a person would: one clear line, the documented exit code, no
traceback, no hang, nothing else touched; "stop" and the symptom words work whatever the words file says."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_cli import ROOT

EXE = [sys.executable, "-m", "voice_coach.cli.main"]
LOL = "lol: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"l{i}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]\n" for i in range(9))
"""A "billion laughs" document: 10^10 values once its aliases are expanded, 300 bytes on disk."""
BIG = "9" * 5000
"""A number Python refuses to convert to text (over 4300 digits)."""
ESC = "\x1b[2J\x1b[H\x1b]0;owned\x07\u202e"
"""Clears the screen, moves the cursor, retitles the window, reverses the text."""
ESC_YAML = "\\e[2J\\e[H\\e]0;owned\\a\\u202e"
"""The same in a YAML double-quoted string (a raw control character is not allowed in YAML at all)."""
LONGEST_LINE = 600
"""No error line echoes an unbounded value."""


def cli(home: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(home / "user"), "VOICE_COACH_HOME": str(home), "VOICE_COACH_INPUT": "text",
           "VOICE_COACH_OUTPUT": "text", "VOICE_COACH_WHISPER": "off"}
    return subprocess.run([*EXE, *args], input=stdin, capture_output=True, text=True, timeout=60, cwd=ROOT, env=env)


def one_line(done: subprocess.CompletedProcess[str], code: int, *needles: str) -> str:
    """The one stderr line of a refused command, checked."""
    assert "Traceback" not in done.stderr and "Error:" not in done.stderr.replace("voice-coach:", "")
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr[:2000]
    assert done.returncode == code, (done.returncode, lines[0])
    assert len(lines[0]) <= LONGEST_LINE and "\x1b" not in lines[0]
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def tree(home: Path) -> dict[str, tuple[int, int]]:
    """Every file of ours under `home` with its size and modification time (to show nothing was touched); the
    journal's -wal and -shm files come and go as SQLite opens it, its .lock file is written by each session that
    holds it (`journal_lock`), HOME (user/) holds the sound server's."""
    return {str(p.relative_to(home)): (p.lstat().st_size, p.lstat().st_mtime_ns) for p in home.rglob("*")
            if not p.is_dir() and not p.name.endswith(("-wal", "-shm", ".lock"))
            and p.relative_to(home).parts[0] != "user"}


@pytest.fixture
def home(tmp_path: Path) -> Path:
    (tmp_path / "config" / "programs").mkdir(parents=True)
    (tmp_path / "config" / "plans").mkdir()
    return tmp_path


def put(home: Path, relative: str, text: str) -> Path:
    path = home / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


PROGRAM = """name: mine
kind: resistance
title: my program
exercises:
""" + "".join(f"""  - name: lift {i}
    description: lift it
    reps: 10
    weight: a can of soup
    tempo: {{up_seconds: 2, down_seconds: 2, up_cue: up, down_cue: down}}
""" for i in range(6))


# ----- refused files: one line, exit 1, nothing touched --------------------------------------------------------
FILES = {
    "billion laughs program": ("config/programs/mine.yaml", LOL, ["session", "--program", "mine"],
                               ["mine.yaml", "expands to more than 100000 values"]),
    "self-referring program": ("config/programs/mine.yaml", "a: &a [*a]\n", ["session", "--program", "mine"],
                               ["contains itself"]),
    "alias chain 3000 deep": ("config/programs/mine.yaml",
                              "a0: &a0 [x]\n" + "".join(f"a{i}: &a{i} [*a{i - 1}]\n" for i in range(1, 3000)),
                              ["session", "--program", "mine"], ["nested more than 64 levels deep"]),
    "program with a 5000-digit number": ("config/programs/mine.yaml", PROGRAM.replace("reps: 10", f"reps: {BIG}"),
                                         ["session", "--program", "mine"], ["a number too large"]),
    "program with reps 1e999": ("config/programs/mine.yaml", PROGRAM.replace("reps: 10", "reps: 1.0e+999"),
                                ["session", "--program", "mine"], ["reps: must be a whole number (got inf)"]),
    "program with a date that does not exist": ("config/programs/mine.yaml", "when: 2026-02-30\n",
                                                ["session", "--program", "mine"], ["a date that does not exist"]),
    "program of 2 MB": ("config/programs/mine.yaml", "# " + "x" * 2_000_000 + "\n",
                        ["session", "--program", "mine"], ["larger than 1000 kB"]),
    "program with a huge kind": ("config/programs/mine.yaml",
                                 PROGRAM.replace("kind: resistance", "kind: " + "z" * 10**5),
                                 ["session", "--program", "mine"], ["kind: must be one of", "…"]),
    "resistance above 12 reps": ("config/programs/mine.yaml", PROGRAM.replace("reps: 10", "reps: 20"),
                                 ["session", "--program", "mine"], ["reps: must be between 8 and 12"]),
    "resistance in two sets": ("config/programs/mine.yaml", PROGRAM.replace("reps: 10", "reps: 10\n    sets: 2"),
                               ["session", "--program", "mine"], ["one set"]),
    "a 15-minute aerobic bout": ("config/programs/mine.yaml",
                                 "name: mine\nkind: aerobic\ntitle: walk\nexercises:\n"
                                 "  - {name: walk, description: walk, minutes: 15}\n",
                                 ["session", "--program", "mine"], ["minutes: must be between 1 and 10"]),
    "40 aerobic minutes a day": ("config/programs/mine.yaml",
                                 "name: mine\nkind: aerobic\ntitle: walk\nexercises:\n"
                                 + "  - {name: walk, description: walk, minutes: 10}\n" * 4,
                                 ["session", "--program", "mine"], ["add up to 40 minutes; the most is 30"]),
    "billion laughs plan": ("config/plans/weekly.yaml", LOL, ["plan"], ["weekly.yaml", "expands to more than"]),
    "plan above the ACSM aerobic limit": ("config/plans/weekly.yaml",
                                          "name: mine\nlimits: {aerobic_day_minutes: 60}\nweek: {}\n", ["plan"],
                                          ["limits.aerobic_day_minutes: must be between 1 and 30"]),
    "plan nested 10000 deep": ("config/plans/weekly.yaml", "week: " + "[" * 10000 + "]" * 10000 + "\n", ["plan"],
                               ["weekly.yaml: not valid YAML"]),
    "profile with a 30-digit rate": ("config/profile.toml", "speech_rate_wpm = " + "9" * 30 + "\n",
                                     ["profile", "show"], ["profile.toml", "a whole number too large"]),
    "profile with a 5000-digit rate": ("config/profile.toml", f"speech_rate_wpm = {BIG}\n", ["profile", "show"],
                                       ["profile.toml: not valid TOML (it holds a number too large)"]),
    "profile nested 5000 deep": ("config/profile.toml", "a = " + "[" * 5000 + "]" * 5000 + "\n",
                                 ["profile", "show"], ["nested more than 64 levels deep"]),
    "profile with a key 50000 dots long": ("config/profile.toml", "a" + ".a" * 50000 + " = 1\n", ["profile", "show"],
                                           ["a key with more than 64 dots"]),
    "profile turning the effort stop off": ("config/profile.toml", "effort_stop_threshold = 11\n",
                                            ["profile", "show"], ["effort_stop_threshold = 11: use 3 to 9"]),
    "profile with 500 ESC sequences": ("config/profile.toml", 'confirm = "' + "\\u001b[2J" * 500 + '"\n',
                                       ["profile", "show"], ["confirm = [2J[2J", "…: use always or low-confidence"]),
    "words nested 5000 deep": ("config/words.toml", "a = " + "{b=" * 5000 + "1" + "}" * 5000 + "\n",
                               ["words", "list"], ["words.toml: not valid TOML"]),
    "words of 2 MB": ("config/words.toml", "# " + "x" * 2_000_000 + "\n", ["words", "list"], ["larger than 1000 kB"]),
}


@pytest.mark.parametrize("case", FILES, ids=lambda c: c.replace(" ", "-"))
def test_a_hostile_file_is_one_clear_line_and_nothing_is_touched(home: Path, case: str) -> None:
    relative, text, args, needles = FILES[case]
    put(home, relative, text)
    assert cli(home, "note", "before").returncode == 0  # a journal that must stay as it is
    before = tree(home)
    one_line(cli(home, *args), 1, *needles)
    assert tree(home) == before


def test_a_program_or_plan_that_is_a_fifo_does_not_hang(home: Path) -> None:
    fifo = home / "config" / "programs" / "mine.yaml"
    os.mkfifo(fifo)
    one_line(cli(home, "session", "--program", "mine"), 1, "unknown program 'mine'")
    one_line(cli(home, "session", "--program", str(fifo)), 1, "mine.yaml", "not a regular file")
    one_line(cli(home, "plan", "--plan", str(fifo)), 1, "mine.yaml", "not a regular file")


def test_a_reply_script_of_2_mb_is_refused_unread(home: Path) -> None:
    script = put(home, "replies.txt", "next\n" * 400_000)
    one_line(cli(home, "session", "--program", "stretching", "--input", str(script)), 2, "larger than 1000 kB")


@pytest.mark.parametrize("plan", [LOL, "week: [unclosed\n"], ids=["billion-laughs", "damaged"])
def test_a_plan_that_cannot_be_read_says_so_and_the_report_goes_on(home: Path, plan: str) -> None:
    assert cli(home, "note", "slept badly").returncode == 0
    put(home, "config/plans/weekly.yaml", plan)
    done = cli(home, "report", "--format", "json")
    assert done.returncode == 0 and "Traceback" not in done.stderr
    warnings = [line for line in done.stderr.splitlines() if line.startswith("voice-coach: warning:")]
    assert len(warnings) == 1 and "weekly.yaml" in warnings[0] and "built-in ACSM plan" in warnings[0]
    assert "could not be read" in json.loads(done.stdout)["adherence"]["plan"]["name"]


def test_a_session_chosen_by_name_says_when_the_plan_cannot_be_read(home: Path) -> None:
    put(home, "config/plans/weekly.yaml", "week: [unclosed\n")
    done = cli(home, "session", "--program", "stretching", "--db", str(home / "j.sqlite3"), stdin="stop\n")
    assert done.returncode == 0 and "Traceback" not in done.stderr
    (warning,) = [line for line in done.stderr.splitlines() if line.startswith("voice-coach: warning: ")]
    assert "weekly.yaml: not valid YAML" in warning and "goes on without today's plan" in warning


# ----- the words file: "stop" and the symptoms are sacred --------------------------------------------------
HOSTILE_WORDS = '"stop" = "next"\n"quit" = "yes"\n"cramp" = "ready"\n"leg cramp" = "next"\nonward = "next"\n'


@pytest.mark.parametrize("said, outcome", [("stop", "stopped_by_user"), ("cramp", "stopped_for_safety")])
def test_stop_and_a_symptom_still_work_whatever_the_words_file_says(home: Path, said: str, outcome: str) -> None:
    words = put(home, "config/words.toml", HOSTILE_WORDS)
    db = home / "j.sqlite3"
    done = cli(home, "session", "--program", "stretching", "--db", str(db), "--time-scale", "100",
               stdin=f"three\nno\nready\n{said}\n")
    assert done.returncode == 0 and "Traceback" not in done.stderr
    warnings = [line for line in done.stderr.splitlines() if line.startswith("voice-coach: warning:")]
    entries = ["'stop' = 'next'", "'quit' = 'yes'", "'cramp' = 'ready'", "'leg cramp' = 'next'"]
    assert len(warnings) == len(entries)
    assert all(f"{words}: {entry} is ignored" in w for w, entry in zip(warnings, entries, strict=True))
    (session,) = json.loads(cli(home, "report", "--db", str(db), "--format", "json").stdout)["sessions"]
    assert session["outcome"] == outcome


def test_words_reset_mends_a_damaged_words_file(home: Path) -> None:
    put(home, "config/words.toml", "a = " + "[" * 5000 + "]" * 5000 + "\n")
    one_line(cli(home, "words", "list"), 1, "not valid TOML", "voice-coach words reset")
    done = cli(home, "words", "reset")
    assert done.returncode == 0 and done.stderr == "" and done.stdout == "removed 0 own words\n"
    assert cli(home, "words", "list").returncode == 0


def test_words_list_keeps_the_good_entries_of_a_hostile_file(home: Path) -> None:
    put(home, "config/words.toml", HOSTILE_WORDS)
    done = cli(home, "words", "list")
    lines = [line.rstrip() for line in done.stdout.strip().splitlines()]
    assert done.returncode == 0 and lines[0] == 'next  "onward"' and lines[1].startswith('wake  "okay coach"')
    assert len(done.stderr.strip().splitlines()) == 4 and "Traceback" not in done.stderr


# ----- arguments -------------------------------------------------------------------------------------------
ARGS = {
    "--since year 1": (["report", "--since", "0001-01-01"], 2, ["--since '0001-01-01': use a date between"]),
    "--until year 9999": (["report", "--until", "9999-12-31"], 2, ["--until '9999-12-31': use a date between"]),
    "--since with an offset at year 1": (["report", "--since", "0001-01-01T00:00+14:00"], 2, ["use a date between"]),
    "--at year 1": (["note", "--at", "0001-01-01", "hello"], 2, ["--at '0001-01-01': use a date between"]),
    "--at year 9999 with a time": (["log", "--rating", "3", "--at", "9999-12-31 23:59"], 2, ["use a date between"]),
    "--date year 1": (["plan", "--date", "0001-01-01"], 2, ["--date '0001-01-01': use a date between"]),
    "--since of 100000 characters": (["report", "--since", "2" * 100000], 2, ["is not a date", "…"]),
    "--rating of 5000 digits": (["log", "--rating", BIG], 2, ["--rating"]),
    "--rating -5": (["log", "--rating", "-5"], 2, ["not in the range 0<=x<=10"]),
    "--time-scale 1e999": (["session", "--time-scale", "1e999"], 2, ["--time-scale"]),
    "--time-scale nan": (["session", "--time-scale", "nan"], 2, ["--time-scale", "nan is not a number"]),
    "--times 10^20": (["voice-check", "--times", "9" * 20], 2, ["--times"]),
    "speech rate -5": (["profile", "set", "speech_rate_wpm", "-5"], 1, ["speech_rate_wpm = -5: use 80 to 300"]),
    "speech rate of 5000 digits": (["profile", "set", "speech_rate_wpm", BIG], 1, ["use 80 to 300", "…"]),
    "reprompts 1e400": (["profile", "set", "reprompts", "1e400"], 1, ["reprompts = 1e400: use 0 to 5"]),
    "a voice espeak-ng lacks": (["profile", "set", "voice", "no-such-voice"], 1,
                                ["speech voice 'no-such-voice' not found", "espeak-ng --voices"]),
    "a profile key with an ESC": (["profile", "set", ESC, "1"], 1, ["unknown profile key"]),
    "a program name with an ESC": (["session", "--program", ESC], 1, ["unknown program"]),
}


@pytest.mark.parametrize("case", ARGS, ids=lambda c: c.replace(" ", "-"))
def test_a_hostile_argument_is_one_clear_line(home: Path, case: str) -> None:
    args, code, needles = ARGS[case]
    assert cli(home, "note", "before").returncode == 0
    before = tree(home)
    one_line(cli(home, *args), code, *needles)
    assert tree(home) == before


# ----- the terminal ----------------------------------------------------------------------------------------
def test_names_and_notes_from_files_reach_the_terminal_without_control_characters(home: Path) -> None:
    hostile = PROGRAM.replace("title: my program", f'title: "{ESC_YAML}"')
    hostile = hostile.replace("name: lift 0", f'name: "lift{ESC_YAML}"')
    put(home, "config/programs/mine.yaml", hostile)
    outputs = [cli(home, "programs"),
               cli(home, "session", "--program", "mine", "--db", str(home / "j.sqlite3"), "--time-scale", "100",
                   stdin="three\nno\nready\nstop\n"),
               cli(home, "note", f"fell{ESC}", "--db", str(home / "j.sqlite3")),
               cli(home, "report", "--db", str(home / "j.sqlite3"), "--format", "text")]
    for done in outputs:
        assert done.returncode == 0, done.stderr
        for text in (done.stdout, done.stderr):
            assert not any(c in text for c in "\x1b\x07\u202e"), text[:500]
    assert "mine" in outputs[0].stdout
    assert "lift[2J" in outputs[1].stdout and "fell[2J" in outputs[3].stdout
