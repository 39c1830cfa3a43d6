"""The HTML report in a real headless Chromium (Debian's): it renders the needs-attention box first, loads
nothing from outside, logs no console errors; and a session run by the real coach shows up in it."""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.journals import run_cli
from tests.report_bench import make_demo_journal
from voice_coach.cli.main import app, main
from voice_coach.cli.report import register

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = os.environ.get("VOICE_COACH_TEST_ARTIFACTS")
"""Set it to a folder to keep the screenshots (CI keeps them as artifacts)."""
browser = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")


pytestmark = pytest.mark.usefixtures("utc")


def chromium(tmp_path: Path, page: Path, *mode: str) -> subprocess.CompletedProcess[str]:
    """Headless Chromium, offline: no network, no background services, a throwaway profile."""
    assert CHROMIUM is not None
    profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
    args = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
            "--host-resolver-rules=MAP * ~NOTFOUND", "--enable-logging=stderr", "--v=0",
            f"--user-data-dir={profile}", "--window-size=1280,2000", *mode, page.as_uri()]
    return subprocess.run(args, capture_output=True, text=True, timeout=120)


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def console_errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]


def keep(path: Path) -> None:
    if ARTIFACTS:
        Path(ARTIFACTS).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(ARTIFACTS) / path.name)


@pytest.fixture(scope="module")
def demo_page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("html")
    db = folder / "journal.sqlite3"
    make_demo_journal(db)
    page = folder / "report.html"
    register(app)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TZ", "UTC")
        time.tzset()
        assert main(["report", "--db", str(db), "--until", "2026-02-05", "-o", str(page)]) == 0
    time.tzset()
    yield page


@pytest.mark.browser
@browser
def test_the_report_renders_in_chromium_with_attention_first(demo_page: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report-screenshot.png"
    done = chromium(tmp_path, demo_page, f"--screenshot={shot}")
    assert shot.exists(), done.stderr[-2000:]
    assert png_size(shot) == (1280, 2000) and shot.stat().st_size > 50_000  # a real page, not a blank one
    keep(shot)
    assert console_errors(done.stderr) == []

    dom = chromium(tmp_path, demo_page, "--dump-dom")
    html = dom.stdout
    assert console_errors(dom.stderr) == []
    box = re.search(r'<section id="attention".*?</section>', html, re.S)
    assert box is not None
    assert 'class="item urgent' in box.group(0) and "Stopped for safety: cramp" in box.group(0)
    assert html.index('id="attention"') < html.index('id="week"') < html.index('id="calendar"')
    assert html.count("<svg") == 3 and "No effort ratings yet" not in html
    refs = re.findall(r"""(?:src|href|action|poster|data)=["']?([^"' >]+)""", html)
    refs += re.findall(r"url\(([^)]*)\)", html)
    assert [r for r in refs if re.match(r"\s*(https?:)?//", r)] == []
    assert not re.search(r"<(script|link|iframe|img|object|embed)\b", html)


@pytest.mark.browser
@browser
def test_an_empty_journal_page_says_no_sessions_yet(capsys, tmp_path: Path) -> None:
    from voice_coach.journal.journal import SqliteJournal

    db = tmp_path / "empty.sqlite3"
    SqliteJournal(db).close()
    page = tmp_path / "empty.html"
    assert run_cli(capsys, "report", "--db", str(db), "-o", str(page))[0] == 0
    dom = chromium(tmp_path, page, "--dump-dom")
    assert "No sessions yet" in dom.stdout and console_errors(dom.stderr) == []


@pytest.mark.browser
@browser
def test_a_session_run_by_the_coach_shows_in_the_page(capsys, tmp_path: Path) -> None:
    """Real entries, written by the coach: a replayed session that a cramp stops."""
    db, replies = tmp_path / "journal.sqlite3", tmp_path / "replies.txt"
    replies.write_text("three\nno\nready\nfour\nyes\nmy leg has a cramp\n")
    code, _, err = run_cli(capsys, "session", "--program", "resistance", "--input", str(replies), "--db", str(db))
    assert code == 0 and "stopped for safety" in err
    assert run_cli(capsys, "note", "she felt the cramp in the left calf", "--db", str(db))[0] == 0
    page = tmp_path / "session.html"
    assert run_cli(capsys, "report", "--db", str(db), "-o", str(page))[0] == 0
    shot = tmp_path / "session-report-screenshot.png"
    chromium(tmp_path, page, f"--screenshot={shot}")
    keep(shot)
    dom = chromium(tmp_path, page, "--dump-dom").stdout
    box = re.search(r'<section id="attention".*?</section>', dom, re.S)
    assert box is not None and "Stopped for safety: cramp (said “my leg has a cramp”)" in box.group(0)
    assert "she felt the cramp in the left calf" in dom and "Seated shoulder press" in dom
