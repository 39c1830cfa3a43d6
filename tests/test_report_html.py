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


def chromium(tmp_path: Path, page: Path, *mode: str, height: int = 2000) -> subprocess.CompletedProcess[str]:
    """Headless Chromium, offline: no network, no background services, a throwaway profile; a window 1280 px wide
    and `height` tall."""
    assert CHROMIUM is not None
    profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
    args = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
            "--host-resolver-rules=MAP * ~NOTFOUND", "--enable-logging=stderr", "--v=0",
            f"--user-data-dir={profile}", f"--window-size=1280,{height}", *mode, page.as_uri()]
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


PAGE_HEIGHT_AT_MOST = 6000
"""The demo journal's page at 1280 px wide (5 weeks, 64 sessions and check-ins): 12,734 px before issue 20 folded
the details away, now about 5,800."""


def page_height(shot: Path) -> int:
    """Where the page's content ends in a screenshot taller than the page: the last row that is not white."""
    import numpy as np
    from PIL import Image

    pixels = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    rows = np.nonzero((np.abs(pixels - 255).sum(axis=2) > 30).any(axis=1))[0]
    assert len(rows) and rows.max() < len(pixels) - 200, "the screenshot must be taller than the page"
    return int(rows.max()) + 1


@pytest.mark.browser
@browser
def test_the_page_is_compact_with_details_folded(demo_page: Path, tmp_path: Path) -> None:
    """Issue 20 item 8: a caregiver sees the week at a glance; older sessions, weeks, symptoms and caregiver
    entries are folded (open on a click, no script)."""
    shot = tmp_path / "report-compact.png"
    done = chromium(tmp_path, demo_page, f"--screenshot={shot}", height=12000)
    assert shot.exists(), done.stderr[-2000:]
    keep(shot)
    height = page_height(shot)
    assert 2000 < height <= PAGE_HEIGHT_AT_MOST, height
    dom = chromium(tmp_path, demo_page, "--dump-dom").stdout
    sessions = re.search(r'<section id="sessions".*?</section>', dom, re.S)
    assert sessions is not None
    shown, folded = sessions.group(0).split('<details class="older">', 1)
    assert shown.count('<tr class="session">') == 7 and folded.count('<tr class="session">') == 57
    assert "Earlier sessions and check-ins (57)" in folded
    assert dom.count('<details class="older">') == 3  # sessions, calendar weeks, caregiver entries
    assert "<details open" not in dom


@pytest.mark.parametrize("tz, iso, day", [
    ("America/Los_Angeles", "2026-02-04T05:30:00+00:00", "Tue 03 Feb"),  # 21:30 on Tuesday evening there
    ("Asia/Tokyo", "2026-02-03T16:00:00+00:00", "Wed 04 Feb"),  # 01:00 on Wednesday night there
    ("UTC", "2026-02-04T05:30:00+00:00", "Wed 04 Feb"),
])
def test_a_chart_puts_a_session_under_its_own_local_day(monkeypatch: pytest.MonkeyPatch, tz: str, iso: str,
                                                        day: str) -> None:
    """Issue 20 item 8: an evening session showed at the next day's tick. The axis is in the local time zone and
    each day is named under its own noon, so the label nearest the point is the person's own day."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from voice_coach.report.charts import _dates, _t, _x

    monkeypatch.setenv("TZ", tz)
    time.tzset()
    try:
        fig = Figure()
        FigureCanvasAgg(fig)
        ax = fig.subplots()
        when = _t(iso)
        (x,) = _x([when])
        ax.scatter([x], [1])
        _dates(ax, [when])
        fig.canvas.draw()
        labelled = [(t.get_loc(), t.label1.get_text()) for t in ax.xaxis.get_minor_ticks() + ax.xaxis.get_major_ticks()
                    if t.label1.get_visible() and t.label1.get_text()]
        nearest = min(labelled, key=lambda loc_text: abs(loc_text[0] - x))[1]
        assert nearest == day, labelled
    finally:
        monkeypatch.undo()
        time.tzset()
