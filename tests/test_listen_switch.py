"""`voice-coach listen --switch` through the real CLI: a switch interface's `struct input_event` records written
into a FIFO the test creates, and this terminal's space bar through a pseudo-terminal. A long press asks, a short
press answers yes and the session takes the switch; a brushed switch does nothing; no answer starts nothing; a
switch that cannot be read is one line."""

from __future__ import annotations

import contextlib
import os
import pty
import queue
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import termios
import threading
import time
import tty
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest

from voice_coach.access.switch_device import EV_KEY, KEY_SPACE, pack_event
from voice_coach.speech.audio_io import write_wav

ROOT = Path(__file__).resolve().parent.parent
EV_SYN = 0
SCALE = "5"
"""The listener's clock runs 5 times faster (the question's 8 s timeout is 1.6 s); press lengths are the
switch's own times and do not scale."""


def press(at: float, held: float, code: int = KEY_SPACE, repeat: bool = True) -> bytes:
    """A press as the kernel reports it: down, auto-repeat every 33 ms after 250 ms (keys), up; each followed by
    EV_SYN. Times are the events' own, so nothing waits."""
    def event(t: float, value: int) -> bytes:
        return pack_event(t, EV_KEY, code, value) + pack_event(t, EV_SYN, 0, 0)
    out, t = event(at, 1), at + 0.25
    while repeat and t < at + held:
        out, t = out + event(t, 2), t + 0.033
    return out + event(at + held, 0)


class Child:
    """`voice-coach listen` in a subprocess; its stdout and stderr lines, read on threads, awaited by `expect`."""

    def __init__(self, *args: str, stdin: int | None = None) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "voice_coach.cli.main", "listen", *args], cwd=ROOT,
                                     stdin=stdin if stdin is not None else subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        for stream in (self.proc.stdout, self.proc.stderr):
            threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream: IO[str] | None) -> None:
        assert stream is not None
        for line in stream:
            self.lines.put(line)

    def expect(self, text: str, timeout: float = 120) -> str:
        """Wait for a line holding `text` (all lines are kept in `seen`)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                self.proc.kill()
                raise AssertionError(f"no line with {text!r}; saw:\n{''.join(self.seen)}") from None
            self.seen.append(line)
            if text in line:
                return line

    def wait(self) -> int:
        code = self.proc.wait(timeout=120)
        for stream in (self.proc.stdout, self.proc.stderr):
            assert stream is not None
            stream.close()
        while not self.lines.empty():
            self.seen.append(self.lines.get())
        return code


def open_writer(fifo: Path, child: Child) -> int:
    """The write end of the FIFO, opened once the listener opened its read end (a thread, so a listener that died
    first fails the test instead of hanging it)."""
    got: list[int] = []
    opener = threading.Thread(target=lambda: got.append(os.open(fifo, os.O_WRONLY)), daemon=True)
    opener.start()
    opener.join(timeout=120)
    if not got:
        child.proc.kill()
        os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))  # lets the opener go
        raise AssertionError(f"the listener never opened the switch: {child.wait()} {''.join(child.seen)}")
    return got[0]


def kinds(db: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(db) as c:
        return list(c.execute("SELECT kind, source, data FROM entries ORDER BY id"))


@pytest.fixture
def device(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    fifo = tmp_path / "event7"
    os.mkfifo(fifo)
    yield fifo, tmp_path / "journal.db"


def listen_on(fifo: Path, db: Path) -> tuple[Child, int]:
    child = Child("--input", "none", "--switch", str(fifo), "--output", "text", "--db", str(db), "--time-scale",
                  SCALE)
    return child, open_writer(fifo, child)


def test_a_long_press_asks_and_a_short_press_starts_the_session_with_the_switch(device: tuple[Path, Path]) -> None:
    fifo, db = device
    child, fd = listen_on(fifo, db)
    child.expect("Hold the switch down when you want to start")
    os.write(fd, press(5000.0, 1.5))
    child.expect("Start your daily stretching now?")
    child.expect("Press the switch for yes, or wait for no.")
    os.write(fd, press(5010.0, 0.2))
    child.expect("Press the switch when you hear your choice.")  # the session scans: it took the switch
    os.close(fd)  # the switch interface goes: the session ends, then the listener
    assert child.wait() == 0, "".join(child.seen)
    rows = kinds(db)
    names = [k for k, _, _ in rows]
    wake = names.index("wake")
    assert names[wake:wake + 4] == ["wake", "heard", "listen_starts", "session_started"]
    assert '"how": "switch"' in rows[wake][2] and '"request": "start"' in rows[wake][2]
    assert rows[wake + 1][1] == "keyboard" and '"switch": "short"' in rows[wake + 1][2]
    assert '"switch": true' in rows[wake + 2][2]
    assert names[-3:] == ["session_ended", "listen_resumed", "listen_ended"]
    report = subprocess.run([sys.executable, "-m", "voice_coach.cli.main", "report", "--db", str(db), "--format",
                             "text"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert "Listening: woke 1 time (1 by the switch, 0 for nothing)" in report.stdout, report.stdout


def test_after_a_switch_wake_a_spoken_yes_answers_too(device: tuple[Path, Path]) -> None:
    """With speech (typed lines stand in for the microphone's words here) and the switch together."""
    fifo, db = device
    child = Child("--input", "text", "--switch", str(fifo), "--output", "text", "--db", str(db), "--time-scale",
                  SCALE, stdin=subprocess.PIPE)
    fd = open_writer(fifo, child)
    child.expect("Or hold the switch down to start your exercise.")
    os.write(fd, press(100.0, 1.1))
    child.expect("Press the switch for yes")
    assert child.proc.stdin is not None
    child.proc.stdin.write("yes\n")
    child.proc.stdin.flush()
    child.expect("Press the switch when you hear your choice.")  # the session took the switch all the same
    os.close(fd)
    child.proc.stdin.close()
    assert child.wait() == 0, "".join(child.seen)
    rows = kinds(db)
    names = [k for k, _, _ in rows]
    assert names[names.index("wake"):names.index("wake") + 4] == ["wake", "heard", "listen_starts",
                                                                  "session_started"]
    assert rows[names.index("heard")][1] == "keyboard" and '"switch": true' in rows[names.index("listen_starts")][2]


def test_a_brushed_switch_does_nothing(device: tuple[Path, Path]) -> None:
    fifo, db = device
    child, fd = listen_on(fifo, db)
    child.expect("Hold the switch down")
    os.write(fd, press(100.0, 0.02) + press(101.0, 0.4) + press(103.0, 0.9, code=0x100, repeat=False))
    os.close(fd)
    assert child.wait() == 0
    assert sum("short press" in line for line in child.seen) == 3
    names = [k for k, _, _ in kinds(db)]
    assert names == ["listen_started", "listen_ended"]
    assert not any("Start your" in line for line in child.seen)


def test_a_long_press_with_no_answer_starts_nothing(device: tuple[Path, Path]) -> None:
    fifo, db = device
    child, fd = listen_on(fifo, db)
    child.expect("Hold the switch down")
    os.write(fd, press(100.0, 1.2, code=0x100, repeat=False))  # a button box: no repeats, long when let go
    child.expect("Start your daily stretching now?")
    child.expect("Start your daily stretching now?")  # asked once more
    child.expect("Not now, then. Hold the switch down when you want to start.")
    os.close(fd)
    assert child.wait() == 0
    rows = kinds(db)
    names = [k for k, _, _ in rows]
    assert names == ["listen_started", "wake", "wake_cancelled", "listen_ended"]
    assert '"reason": "silence"' in rows[2][2]


def one_line_error(child: Child, code: int = 1) -> str:
    assert child.wait() == code, "".join(child.seen)
    assert len(child.seen) == 1, child.seen
    assert "Traceback" not in child.seen[0]
    return child.seen[0]


def test_a_switch_that_cannot_be_read_is_one_line(tmp_path: Path) -> None:
    db = str(tmp_path / "j.db")
    line = one_line_error(Child("--input", "none", "--switch", "/dev/input/event99", "--output", "text", "--db", db))
    assert "/dev/input/event99: no such device" in line and "/dev/input/by-id" in line
    line = one_line_error(Child("--input", "none", "--switch", str(tmp_path), "--output", "text", "--db", db))
    assert "not an input device" in line
    line = one_line_error(Child("--input", "none", "--switch", "keys", "--output", "text", "--db", db), 2)
    assert "there is no terminal here" in line
    line = one_line_error(Child("--input", "none", "--output", "text", "--db", db), 2)
    assert "--input none listens to the switch alone" in line


def test_a_device_without_permission_says_to_join_the_input_group(tmp_path: Path) -> None:
    """As the kernel's /dev/input/event* are: root:input, mode 0660. The listener runs as a user outside the group
    (as root, the test runs it as nobody with setpriv)."""
    place = Path(tempfile.mkdtemp(prefix="switch-perm-"))
    try:
        place.chmod(0o777)
        dev = place / "event3"
        os.mkfifo(dev, 0o600)
        prefix: list[str] = []
        if os.geteuid() == 0:
            if shutil.which("setpriv") is None:
                pytest.skip("running as root without setpriv to drop to another user")
            prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        env = {**os.environ, "VOICE_COACH_HOME": str(place / "home")}
        done = subprocess.run([*prefix, sys.executable, "-m", "voice_coach.cli.main", "listen", "--input", "none",
                               "--switch", str(dev), "--output", "text", "--db", str(place / "j.db")],
                              capture_output=True, text=True, cwd=ROOT, timeout=120, env=env)
    finally:
        shutil.rmtree(place)
    assert done.returncode == 1, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    assert "permission denied; add yourself to the input group" in done.stderr


def test_switch_and_input_that_cannot_go_together(tmp_path: Path, device: tuple[Path, Path]) -> None:
    db = str(tmp_path / "j.db")
    line = one_line_error(Child("--input", "text", "--switch", "keys", "--output", "text", "--db", db), 2)
    assert "both want this terminal's keys" in line
    line = one_line_error(Child("--input", str(tmp_path / "day.wav"), "--switch", str(device[0]), "--output", "text",
                                "--db", db), 2)
    assert "--switch is for live listening" in line


def hold_key(fd: int, seconds: float) -> None:
    """A key held down, as a terminal sends it: one byte, then after the repeat delay a byte every 30 ms. The
    terminal's timing is real time, so this one helper paces its bytes."""
    os.write(fd, b" ")
    held = 0.4
    time.sleep(held)
    while held < seconds:
        os.write(fd, b" ")
        time.sleep(0.03)
        held += 0.03


def test_keys_on_a_terminal_hold_to_wake_tap_for_yes(tmp_path: Path) -> None:
    db = tmp_path / "journal.db"
    master, slave = pty.openpty()
    try:
        child = Child("--input", "none", "--switch", "keys", "--output", "text", "--db", str(db), "--time-scale",
                      SCALE, stdin=slave)
        child.expect("Hold the switch down when you want to start")  # the terminal is in cbreak mode by now
        os.write(master, b" x\r")  # a tap (and a key that is not a switch): nothing
        child.expect("short press")
        hold_key(master, 1.3)
        child.expect("Start your daily stretching now?")
        child.expect("Press the switch for yes")
        os.write(master, b"\n")  # enter is a switch key too: a tap is yes
        child.expect("Press the switch when you hear your choice.")
        os.write(master, b"\x04")  # ctrl-d: the switch input ends, then the session and the listener
        assert child.wait() == 0, "".join(child.seen)
        assert termios.tcgetattr(slave)[3] & termios.ICANON  # the terminal is given back as it was
    finally:
        os.close(master)
        os.close(slave)
    rows = kinds(db)
    names = [k for k, _, _ in rows]
    assert names.count("wake") == 1 and '"how": "switch"' in rows[names.index("wake")][2]
    assert names[names.index("wake"):names.index("wake") + 4] == ["wake", "heard", "listen_starts",
                                                                  "session_started"]


def test_the_service_reads_the_switch_device_keys_cannot_be_its_switch(tmp_path: Path,
                                                                       device: tuple[Path, Path]) -> None:
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "xdg"), "PATH": "/nonexistent"}  # no systemctl

    def service(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "voice_coach.cli.main", "service", *args], capture_output=True,
                              text=True, cwd=ROOT, timeout=120, env=env)

    done = service("install", "--switch", str(device[0]))
    assert done.returncode == 0, done.stderr
    unit = (tmp_path / "xdg" / "systemd" / "user" / "voice-coach.service").read_text()
    assert f"listen --switch {device[0]}\n" in unit
    done = service("install", "--switch", "keys")
    assert done.returncode == 2 and "a service has no terminal" in done.stderr and done.stderr.count("\n") == 1
    done = service("install", "--switch", "/dev/input/event99")
    assert done.returncode == 0 and "warning: --switch /dev/input/event99: no such device" in done.stdout
    profile = subprocess.run([sys.executable, "-m", "voice_coach.cli.main", "profile", "set", "listen-switch", "keys"],
                             capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert profile.returncode == 0, profile.stderr
    done = service("install")
    assert done.returncode == 2 and "the profile's listen-switch is keys" in done.stderr


def test_the_profile_names_the_switch(device: tuple[Path, Path]) -> None:
    fifo, db = device
    for key, value in (("listen-switch", str(fifo)), ("switch-hold-seconds", "2")):
        done = subprocess.run([sys.executable, "-m", "voice_coach.cli.main", "profile", "set", key, value],
                              capture_output=True, text=True, cwd=ROOT, timeout=120)
        assert done.returncode == 0, done.stderr
    child = Child("--input", "none", "--output", "text", "--db", str(db))
    fd = open_writer(fifo, child)
    child.expect("Hold the switch down")
    os.write(fd, press(100.0, 1.5))  # long enough by default, not for this person's 2 seconds
    child.expect("short press, 1.5")
    os.close(fd)
    assert child.wait() == 0
    assert [k for k, _, _ in kinds(db)] == ["listen_started", "listen_ended"]
    wav = fifo.parent / "quiet.wav"
    write_wav(wav, bytes(32000))
    replay = subprocess.run([sys.executable, "-m", "voice_coach.cli.main", "listen", "--input", str(wav), "--output",
                             "text", "--db", str(fifo.parent / "replay.db")], capture_output=True, text=True,
                            cwd=ROOT, timeout=300)
    assert replay.returncode == 0, replay.stderr  # a replay leaves the profile's switch alone


def test_a_switch_unplugged_and_plugged_in_again(tmp_path: Path) -> None:
    """A character device that goes away (a pseudo-terminal's slave, read raw, stands in for /dev/input/eventN:
    reading it fails once its other side closes) behind a by-id style link; the link then points at a new one, as
    udev does when the switch is plugged in again. The listener says so both times and the switch works again."""
    link = tmp_path / "usb-switch-event-kbd"
    db = tmp_path / "journal.db"
    master, slave = pty.openpty()
    tty.setraw(slave)
    link.symlink_to(os.ttyname(slave))
    child = Child("--input", "text", "--switch", str(link), "--output", "text", "--db", str(db), "--time-scale",
                  SCALE, stdin=subprocess.PIPE)
    try:
        child.expect("Or hold the switch down")
        os.close(master)  # unplugged
        child.expect("I can't feel the switch. I'll keep trying.")
        master, slave2 = pty.openpty()
        tty.setraw(slave2)
        link.unlink()
        link.symlink_to(os.ttyname(slave2))  # plugged in again
        child.expect("The switch works again.")
        os.write(master, press(100.0, 1.2))
        child.expect("Start your daily stretching now?")
    finally:
        assert child.proc.stdin is not None
        child.proc.stdin.close()
        with contextlib.suppress(OSError):  # closed already if it failed while unplugged
            os.close(master)
    child.wait()
    names = [k for k, _, _ in kinds(db)]
    assert names[:4] == ["listen_started", "switch_lost", "switch_back", "wake"]
