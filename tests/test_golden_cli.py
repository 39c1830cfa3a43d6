"""Golden sessions through the real CLI: a reply script (text input on a virtual clock), what the coach printed.

Each scenario of tests/data/cli_sessions.yaml runs `voice-coach` in a subprocess with its own HOME; earlier runs
of a scenario (`before`) fill the journal first. stdout must match tests/golden/cli/<name>.txt
(UPDATE_GOLDEN=1 rewrites it); `expect` lines must each appear in it and `never` lines must not."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

HERE = Path(__file__).parent
ROOT = HERE.parent
SCENARIOS = yaml.safe_load((HERE / "data" / "cli_sessions.yaml").read_text())


def run_cli(args: list[str], replies: list[str], home: Path, db: Path) -> subprocess.CompletedProcess[str]:
    script = home / "replies.txt"
    script.write_text("\n".join(replies) + "\n")
    env = {**os.environ, "HOME": str(home), "VOICE_COACH_HOME": str(home / "vc")}
    return subprocess.run([sys.executable, "-m", "voice_coach.cli", *args, "--input", str(script), "--output", "text",
                           "--db", str(db)], capture_output=True, text=True, timeout=120, cwd=ROOT, env=env)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_cli_golden_session(name: str, tmp_path: Path) -> None:
    spec = SCENARIOS[name]
    db = tmp_path / "journal.sqlite3"
    for earlier in spec.get("before", []):
        done = run_cli(earlier["args"], earlier["replies"], tmp_path, db)
        assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    done = run_cli(spec["args"], spec["replies"], tmp_path, db)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    for line in spec.get("expect", []):
        assert line in done.stdout, line
    for line in spec.get("never", []):
        assert line not in done.stdout, line
    golden = HERE / "golden" / "cli" / f"{name}.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(done.stdout)
    assert golden.exists(), f"no golden file {golden}: run with UPDATE_GOLDEN=1 and review it"
    assert done.stdout == golden.read_text()


def test_a_yes_to_new_cramps_is_kept_when_the_follow_up_gets_no_answer(tmp_path: Path) -> None:
    """Silence (here: the input closes) after "yes" to "any new cramps?": the yes is already in the journal."""
    import json

    db = tmp_path / "journal.sqlite3"
    done = run_cli(["session", "--program", "resistance"], ["two", "yes"], tmp_path, db)
    assert done.returncode == 0, done.stderr
    report = subprocess.run([sys.executable, "-m", "voice_coach.cli", "report", "--db", str(db), "--format", "json"],
                            capture_output=True, text=True, cwd=ROOT, env={**os.environ, "HOME": str(tmp_path)})
    (s,) = json.loads(report.stdout)["sessions"]
    assert {"question": "new_cramps_or_twitching", "value": "yes"}.items() <= s["answers"][1].items()


def test_a_caregiver_reads_the_report_as_text_without_typed_misses_or_a_false_stop(tmp_path: Path) -> None:
    """Item 8: `report` prints text; a typed miss is not "misheard"; a closed input is not the person's stop."""
    import json

    db = tmp_path / "journal.sqlite3"
    assert run_cli(["session", "--program", "resistance"], ["mumble", "two"], tmp_path, db).returncode == 0
    env = {**os.environ, "HOME": str(tmp_path)}

    def report(*args: str) -> str:
        return subprocess.run([sys.executable, "-m", "voice_coach.cli", "report", "--db", str(db), *args],
                              capture_output=True, text=True, cwd=ROOT, env=env).stdout

    (s,) = json.loads(report("--format", "json"))["sessions"]
    assert s["recognition"]["unrecognised"] == 0 and s["recognition"]["replies"] == 0  # both typed
    assert s["outcome"] == "input_ended"
    text = report()
    assert "cut off (the input" in text and "stopped by the person" not in text
    assert text.startswith("Exercise report from ") and " to " in text.splitlines()[0]
