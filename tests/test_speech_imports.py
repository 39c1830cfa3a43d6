"""The speech stack's modules import each other without a circle (imports inside functions count too)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "voice_coach"
SPEECH = ("audio_signal", "recognition", "recognizers", "recognizer_sphinx", "recognizer_vosk", "second_opinion",
          "opinion_rules", "whisper_check", "whisper_features", "voice_templates", "talk_focus", "endpointing",
          "audio_listener", "ports", "audio_io", "recognizer_wrapper", "korean_bridge")


def imports_of(module: str) -> set[str]:
    """The voice_coach modules `module` imports, anywhere in its source."""
    tree = ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.level == 1:
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("voice_coach."):
            found.add((node.module or "").split(".")[1])
    return {m for m in found if (PACKAGE / f"{m}.py").is_file()}


def cycle_from(start: str, graph: dict[str, set[str]]) -> list[str] | None:
    """A path of imports from `start` back to itself, if there is one."""
    stack, seen = [(start, [start])], set()
    while stack:
        node, path = stack.pop()
        for nxt in graph.get(node, set()):
            if nxt == start:
                return [*path, start]
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, [*path, nxt]))
    return None


def test_the_speech_stack_has_no_import_circle() -> None:
    graph: dict[str, set[str]] = {}
    todo = list(SPEECH)
    while todo:  # every module the speech stack reaches, so that a circle through another module shows too
        module = todo.pop()
        if module not in graph:
            graph[module] = imports_of(module)
            todo.extend(graph[module])
    circles = [c for m in SPEECH if (c := cycle_from(m, graph)) is not None]
    assert not circles, circles


def test_the_recognizer_port_is_probed_by_no_one() -> None:
    """The listener and the wrappers use the Recognizer protocol's members, never getattr on a recognizer."""
    for module in ("audio_listener", "second_opinion", "voice_templates"):
        assert "getattr(" not in (PACKAGE / f"{module}.py").read_text(encoding="utf-8"), module
