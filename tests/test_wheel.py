"""The wheel built from this tree, installed with pip into a fresh venv, runs a session and a report from any folder."""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv holding only the wheel (not editable); its dependencies come from the test venv by a .pth line."""
    work = tmp_path_factory.mktemp("wheel")
    src = work / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "voice_coach", src / "voice_coach", ignore=shutil.ignore_patterns("__pycache__"))
    out = work / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(out),
                    str(src)], check=True, capture_output=True, timeout=300)
    wheel = next(out.glob("voice_coach-*.whl"))
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    py = venv / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "-q", "--no-deps", str(wheel)],
                   check=True, capture_output=True, timeout=300)
    purelib = Path(subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                                  check=True, capture_output=True, text=True).stdout.strip())
    deps = [sysconfig.get_path("purelib"), *site.getsitepackages()]
    (purelib / "zz_test_deps.pth").write_text("\n".join(dict.fromkeys(deps)) + "\n")
    return venv


def run(venv: Path, cwd: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "VOICE_COACH_HOME": str(cwd / "home"), "VOICE_COACH_OUTPUT": "text",
           "PYTHONPATH": ""}
    return subprocess.run([str(venv / "bin" / "voice-coach"), *args], cwd=cwd, input=stdin, env=env,
                          capture_output=True, text=True, timeout=300)


def test_the_installed_wheel_is_the_one_that_runs(installed: Path, tmp_path: Path) -> None:
    py = installed / "bin" / "python"
    where = subprocess.run([str(py), "-c", "import voice_coach; print(voice_coach.__file__)"], cwd=tmp_path,
                           capture_output=True, text=True, check=True).stdout.strip()
    assert where.startswith(str(installed)), where


def test_a_session_and_a_report_from_an_unrelated_folder(installed: Path, tmp_path: Path) -> None:
    db = tmp_path / "journal.sqlite3"
    replies = "ready\n3\nnext\nstop\n"
    done = run(installed, tmp_path, "session", "--program", "stretching", "--input", "text", "--output", "text",
               "--db", str(db), stdin=replies)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    report = run(installed, tmp_path, "report", "--db", str(db), "--format", "text")
    assert report.returncode == 0, report.stderr
    assert "stretch" in report.stdout.lower()
    plan = run(installed, tmp_path, "plan", "--db", str(db), "--output", "text")
    assert plan.returncode == 0, plan.stderr
    programs = run(installed, tmp_path, "programs")
    assert programs.returncode == 0 and "resistance" in programs.stdout
