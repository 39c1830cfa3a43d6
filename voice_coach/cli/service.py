"""`voice-coach service install|uninstall|status`: the listener as a systemd user unit that starts at login."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

UNIT_NAME = "voice-coach.service"


def unit_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "systemd" / "user" / UNIT_NAME


def unit_text(db: Path | None = None, switch: str | None = None) -> str:
    """A systemd user unit: `voice-coach listen` at login, restarted on failure, logging to the system journal;
    `switch` an input device it also wakes by (None: the profile's listen-switch)."""
    command = (f"{sys.executable} -m voice_coach.cli.main listen" + (f" --db {db}" if db else "")
               + (f" --switch {switch}" if switch else ""))
    env = "".join(f"Environment={k}={os.environ[k]}\n" for k in ("VOICE_COACH_HOME",) if os.environ.get(k))
    return ("[Unit]\n"
            "Description=voice-coach resident listener (hands-free exercise coach)\n"
            "After=pipewire-pulse.service pulseaudio.service sound.target\n"
            "StartLimitIntervalSec=300\nStartLimitBurst=10\n\n"
            "[Service]\nType=simple\n"
            f"ExecStart={command}\n"
            f"{env}Environment=PYTHONUNBUFFERED=1\n"
            "Restart=on-failure\nRestartSec=10\nRestartPreventExitStatus=2\n"
            "StandardOutput=journal\nStandardError=journal\n\n"
            "[Install]\nWantedBy=default.target\n")


def _systemctl(*args: str) -> tuple[bool, str]:
    import shutil
    import subprocess

    exe = shutil.which("systemctl")
    if exe is None:
        return False, "systemctl is not available"
    try:
        done = subprocess.run([exe, "--user", *args], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, str(exc)
    text = (done.stdout.strip() or done.stderr.strip()).splitlines()
    return done.returncode == 0, text[0] if text else ""


@click.group()
def service() -> None:
    """Run the listener as a service that starts at login (a systemd user unit)."""


@service.command("install")
@click.option("--db", type=click.Path(path_type=Path), help="Journal file for the listener (default: yours).")
@click.option("--switch", default=None,
              help="A switch device that wakes it too (/dev/input/by-id/…-event-kbd), or none. Default: the "
                   "profile's listen-switch.")
def service_install(db: Path | None, switch: str | None) -> None:
    """Write the unit and enable it (systemctl --user), so the listener starts at every login."""
    from voice_coach.datafile import write_atomically

    check_service_switch(switch)
    path = unit_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, unit_text(db, switch))
    click.echo(f"wrote {path}")
    ok, why = _systemctl("daemon-reload")
    if ok:
        ok, why = _systemctl("enable", "--now", UNIT_NAME)
    if ok:
        click.echo("enabled and started: it now starts at every login (logs: journalctl --user -u voice-coach)")
    else:
        click.echo(f"could not enable it here ({why}); run: systemctl --user daemon-reload && "
                   f"systemctl --user enable --now {UNIT_NAME}")


def check_service_switch(switch: str | None) -> None:
    """A service has no terminal: keys cannot be its switch (one usage line); a device it cannot read is said now,
    not at the next login."""
    from voice_coach.access.profile import load_profile
    from voice_coach.access.switch_device import open_device
    from voice_coach.errors import CoachError, DeviceError

    spec = switch or load_profile().listen_switch
    given = "--switch" if switch else "the profile's listen-switch"
    if spec == "keys":
        raise CoachError(f"{given} is keys, but a service has no terminal: give it the switch's device, like "
                         "--switch /dev/input/by-id/usb-…-event-kbd", code="usage")
    if spec == "none":
        return
    if not spec.startswith("/") or any(c.isspace() for c in spec):
        raise CoachError(f"{given} {spec}: use a device path like /dev/input/by-id/usb-…-event-kbd (no spaces), "
                         "or none", code="usage")
    try:
        os.close(open_device(spec, nonblocking=True))
    except DeviceError as exc:
        click.echo(f"warning: {exc.message}")


@service.command("uninstall")
def service_uninstall() -> None:
    """Stop and disable the service, and remove its unit."""
    path = unit_path()
    _systemctl("disable", "--now", UNIT_NAME)
    if path.exists():
        path.unlink()
        _systemctl("daemon-reload")
        click.echo(f"removed {path}")
    else:
        click.echo("the service is not installed")


@service.command("status")
def service_status() -> None:
    """Whether the service is installed, enabled and running."""
    path = unit_path()
    if not path.exists():
        click.echo("not installed (install it with: voice-coach service install)")
        return
    enabled = _systemctl("is-enabled", UNIT_NAME)[1] or "unknown"
    active = _systemctl("is-active", UNIT_NAME)[1] or "unknown"
    click.echo(f"installed at {path}; enabled: {enabled}; running: {active}")


