"""Draw the coach's transition table: mermaid text for the README, Graphviz SVG when `dot` is present."""

from __future__ import annotations

import shutil
import subprocess
from collections import defaultdict

from voice_coach.coach.table import TRANSITIONS, State


def edges() -> dict[tuple[str, str], list[str]]:
    """(source, destination) → trigger labels; internal transitions loop on their source."""
    out: dict[tuple[str, str], list[str]] = defaultdict(list)
    for row in TRANSITIONS:
        sources = row["source"] if isinstance(row["source"], list) else [row["source"]]
        for src in sources:
            dest = row["dest"] or src
            label = row["trigger"]
            if label not in out[(src.name, dest.name)]:
                out[(src.name, dest.name)].append(label)
    return out


def mermaid() -> str:
    lines = ["stateDiagram-v2", f"    [*] --> {State.IDLE.name}"]
    for (src, dest), labels in sorted(edges().items()):
        lines.append(f"    {src} --> {dest}: {', '.join(labels)}")
    lines.append(f"    {State.ENDED.name} --> [*]")
    return "\n".join(lines) + "\n"


def dot() -> str:
    lines = ["digraph coach {", '  rankdir=LR; node [shape=box, style=rounded, fontname="sans-serif"];']
    for (src, dest), labels in sorted(edges().items()):
        lines.append(f'  {src} -> {dest} [label="{", ".join(labels)}", fontsize=9];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def svg() -> str | None:
    """SVG text, or None when Graphviz is not installed."""
    exe = shutil.which("dot")
    if exe is None:
        return None
    done = subprocess.run([exe, "-Tsvg"], input=dot(), capture_output=True, text=True, check=True, timeout=60)
    return done.stdout
