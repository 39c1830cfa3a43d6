"""The `devices` command: the microphones and speakers PortAudio sees, to pick one by name or index."""

from __future__ import annotations

import json
from dataclasses import asdict

import click

from voice_coach.speech.devices import DeviceInfo, Kind, list_devices
from voice_coach.speech.echo_cancel import echo_cancel_line, pulse_sources

NO_DEVICES = "no sound devices found (no microphone, no speaker): use --input text and --output text, or WAV files"


def render_devices(found: list[DeviceInfo]) -> str:
    """The listing: inputs, then outputs, each with index, name, channels, native rate; * marks the default."""
    if not found:
        return NO_DEVICES
    lines = []
    sections: tuple[tuple[Kind, str], ...] = (("input", "Input (microphones), for --input mic:"),
                                             ("output", "Output (speakers), for --output speaker:"))
    for kind, title in sections:
        lines.append(title)
        rows = [d for d in found if d.channels(kind) > 0]
        for d in rows:
            mark = "*" if (d.default_input if kind == "input" else d.default_output) else " "
            lines.append(f"{mark} {d.index:>3}  {d.name}  ({d.hostapi}, {d.channels(kind)} ch, "
                         f"{d.default_samplerate:.0f} Hz)")
        if not rows:
            lines.append("    none")
    return "\n".join(lines)


@click.command("devices")
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
def devices(as_json: bool) -> None:
    """List the sound input and output devices (* = the default); use the index or a part of the name."""
    found = list_devices()
    if as_json:
        click.echo(json.dumps([asdict(d) for d in found], indent=2))
        return
    click.echo(render_devices(found))
    if found:
        click.echo(echo_cancel_line(pulse_sources()))
