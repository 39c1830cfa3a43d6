"""No network: whole replayed sessions and every report format run with sockets blocked, in this process, in a
child process whose sockets are blocked before anything is imported, and in a namespace with no network at all."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from tests import netguard
from voice_coach.cli import main as cli

ROOT = Path(__file__).resolve().parent.parent
DEMO = str(ROOT / "scripts" / "demo_replies.txt")
FORMATS = ("text", "csv", "json", "html", "fhir")
"""Every report format planned; those the CLI does not offer yet must be refused with a clear usage line."""


def report_formats() -> tuple[str, ...]:
    """The formats `voice-coach report --format` accepts right now."""
    command = cli.app.commands["report"]
    for param in command.params:
        if isinstance(param, click.Option) and "--format" in param.opts and isinstance(param.type, click.Choice):
            return tuple(param.type.choices)
    return ()


@pytest.fixture
def no_network() -> Iterator[list[str]]:
    """socket.socket (except AF_UNIX), create_connection and getaddrinfo raise; every attempt must be none."""
    with netguard.blocked() as attempts:
        yield attempts
    assert attempts == [], f"network access was attempted: {attempts}"


@pytest.fixture(scope="module")
def journal(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A journal with a replayed session and a check-in, written with the network blocked."""
    db = tmp_path_factory.mktemp("offline") / "journal.sqlite3"
    replies = db.parent / "checkin.txt"
    replies.write_text("four\nno\nno\nno\n")
    with netguard.blocked() as attempts:
        assert cli.main(["session", "--program", "resistance", "--input", DEMO, "--db", str(db)]) == 0
        assert cli.main(["checkin", "--input", str(replies), "--db", str(db)]) == 0
    assert attempts == []
    return db


def test_the_guard_refuses_the_network() -> None:
    import socket
    import urllib.request

    with netguard.blocked() as attempts:
        for attempt in (lambda: socket.socket(), lambda: socket.create_connection(("192.0.2.1", 80)),
                        lambda: socket.getaddrinfo("example.org", 443),
                        lambda: urllib.request.urlopen("http://example.org", timeout=1)):
            with pytest.raises(OSError, match="refused by tests.netguard"):
                attempt()
        socket.socketpair()[0].close()  # local sockets are not network
    assert len(attempts) == 4
    socket.socket().close()  # and all is back afterwards


def test_a_whole_session_runs_offline(no_network: list[str], tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "journal.sqlite3"
    assert cli.main(["session", "--program", "resistance", "--input", DEMO, "--db", str(db)]) == 0
    out = capsys.readouterr()
    assert "coach: That's all for now." in out.out and "completed" in out.err
    assert cli.main(["report", "--db", str(db), "--format", "json"]) == 0
    (session,) = json.loads(capsys.readouterr().out)["sessions"]
    assert session["outcome"] == "completed"


def test_an_audio_replay_runs_offline(no_network: list[str], tmp_path: Path) -> None:
    """The recognizer adapters are where a lazy import could reach for the network (model downloads)."""
    folder = ROOT / "tests" / "audio" / "sessions" / "checkin"
    if importlib.util.find_spec("voice_coach.speech.wiring") is None or not folder.is_dir():
        pytest.skip("replaying audio is not wired into the CLI yet (voice_coach.speech.wiring)")
    pytest.importorskip("pocketsphinx")
    code = cli.main(["checkin", "--input", str(folder), "--backend", "pocketsphinx", "--db",
                     str(tmp_path / "journal.sqlite3")])
    assert code == 0


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_report_format_runs_offline(fmt: str, journal: Path, no_network: list[str], tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / f"report.{fmt}"
    code = cli.main(["report", "--db", str(journal), "--format", fmt, "-o", str(out)])
    err = capsys.readouterr().err
    if fmt not in report_formats():
        assert code == 2 and len(err.strip().splitlines()) == 1 and "--format" in err
        pytest.skip(f"report --format {fmt} is not offered yet (refused with a clear line)")
    assert code == 0, err
    assert out.stat().st_size > 0


# ----- a child process: blocked before anything is imported --------------------------------------------------

SITECUSTOMIZE = f"""
import sys
sys.path.insert(0, {str(ROOT)!r})
from tests import netguard
netguard.block()
"""


@pytest.fixture
def offline_env(tmp_path: Path) -> Iterator[tuple[dict[str, str], Path]]:
    """Environment for a child whose sockets are blocked by a sitecustomize, before any import of the app;
    every refused attempt is logged to a file (a library may swallow the error)."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE)
    log = tmp_path / "network-attempts.log"
    path = os.pathsep.join(p for p in (str(site), os.environ.get("PYTHONPATH")) if p)
    env = {**os.environ, "PYTHONPATH": path, netguard.LOG_ENV: str(log)}
    probe = subprocess.run([sys.executable, "-c", "import socket; socket.create_connection(('192.0.2.1', 9), 1)"],
                           env=env, capture_output=True, text=True, timeout=60)
    assert "refused by tests.netguard" in probe.stderr, probe.stderr  # the guard is really on
    log.unlink()
    yield env, log
    assert not log.exists(), f"network access was attempted: {log.read_text()}"


def run_offline(env: dict[str, str], *args: str, prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*prefix, sys.executable, "-m", "voice_coach.cli.main", *args], env=env, capture_output=True,
                          text=True, timeout=120, cwd=ROOT, stdin=subprocess.DEVNULL)


def session_and_reports(env: dict[str, str], folder: Path, prefix: tuple[str, ...] = ()) -> None:
    """A replayed session, then the report in each planned format: written, or (not offered yet) refused with one
    usage line."""
    db = str(folder / "journal.sqlite3")
    done = run_offline(env, "session", "--program", "resistance", "--input", DEMO, "--db", db, prefix=prefix)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    written = []
    for fmt in FORMATS:
        out = folder / f"report.{fmt}"
        done = run_offline(env, "report", "--db", db, "--format", fmt, "-o", str(out), prefix=prefix)
        assert "Traceback" not in done.stderr, (fmt, done.stderr)
        if done.returncode == 2 and "--format" in done.stderr and len(done.stderr.strip().splitlines()) == 1:
            continue  # not offered (yet)
        assert done.returncode == 0 and out.stat().st_size > 0, (fmt, done.stderr)
        written.append(fmt)
    assert "json" in written


def test_the_cli_runs_offline_in_a_child_with_sockets_blocked_from_the_start(
        offline_env: tuple[dict[str, str], Path], tmp_path: Path) -> None:
    env, _ = offline_env
    session_and_reports(env, tmp_path)


def test_the_cli_runs_with_no_network_at_all(tmp_path: Path) -> None:
    """A network namespace of its own has no interface but a loopback that is down: nothing can get out."""
    unshare = shutil.which("unshare")
    if unshare is None or os.geteuid() != 0:
        pytest.skip("a private network namespace needs unshare(1) and root (CI runs as root)")
    if subprocess.run([unshare, "-n", "true"], capture_output=True).returncode != 0:
        pytest.skip("unshare -n is not permitted here")
    session_and_reports(dict(os.environ), tmp_path, prefix=(unshare, "-n", "--"))
