"""Every spoken line is data: the prompt file matches the contract, and the coach only says keys it has."""

from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

import pytest

from voice_coach.coach.core import CHECKIN_QUESTIONS, SESSION_QUESTIONS
from voice_coach.coach.intents import SYMPTOM_KINDS
from voice_coach.coach.messages import Say
from voice_coach.coach.prompt_contract import OUTCOMES, PROMPT_SLOTS
from voice_coach.coach.prompts import load_prompts
from voice_coach.errors import PromptError

PACKAGE = Path(__file__).resolve().parent.parent / "voice_coach"
PROMPTS = PACKAGE / "data" / "prompts"
SAYING_CALLS = {"_say", "_caution", "_enter_pause", "Cue"}


def keys_used_in_code() -> set[str]:
    """Every literal prompt key in the package, and the f-string families expanded."""
    used: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "attr", getattr(node.func, "id", ""))
                if name in SAYING_CALLS:
                    for arg in node.args:
                        if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and re.fullmatch(
                                r"[a-z_]+", arg.value):
                            used.add(arg.value)
            if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "key" for t in node.targets):
                value = node.value
                choices = [value.body, value.orelse] if isinstance(value, ast.IfExp) else [value]
                used |= {c.value for c in choices if isinstance(c, ast.Constant) and isinstance(c.value, str)}
    used |= {f"caution_{k}" for k in SYMPTOM_KINDS} | {f"goodbye_{o}" for o in OUTCOMES}
    used |= {q for q, _ in CHECKIN_QUESTIONS + SESSION_QUESTIONS}
    return used


def test_every_key_the_coach_uses_is_in_the_contract_and_the_file() -> None:
    from voice_coach.listen.prompts import LISTEN_SLOTS

    used = keys_used_in_code() - set(LISTEN_SLOTS)  # the listener's own lines (tests/test_listener.py)
    assert len(used) > 40
    assert used <= set(PROMPT_SLOTS), sorted(used - set(PROMPT_SLOTS))
    prompts = load_prompts()
    assert used <= set(prompts.lines)


def test_every_line_renders_with_its_slots() -> None:
    prompts = load_prompts()
    for key, slots in PROMPT_SLOTS.items():
        samples = {"options": ["yes", "stop"], "symptom": "cramp", "side": "left", "side_name": "left",
                   "per_side": "each"}
        values = {s: samples.get(s, "X") for s in slots}
        text = prompts.render(Say(key, values))
        assert text and "{" not in text


@pytest.mark.parametrize("edit, message", [
    (lambda t: t.replace("  hold_half:", "  hold_halve:"), r"lines.hold_halve: unknown key"),
    (lambda t: t.replace("I heard {value}.", "I heard {valu}."),
     r"lines.confirm_number: unknown placeholder \{valu\} \(allowed: value\)"),
    (lambda t: re.sub(r"  safety_stop: .*\n", "", t), r"lines.safety_stop: missing"),
    (lambda t: t.replace("  pain: \"pain\"", ""), r"symptom_words.pain: missing"),
    (lambda t: t + "\n  oops: [\n", r"cannot read prompt file"),
])
def test_broken_prompt_file_fails_at_load(tmp_path: Path, edit, message: str) -> None:
    shutil.copy(PROMPTS / "en.yaml", tmp_path / "en.yaml")
    path = tmp_path / "en.yaml"
    path.write_text(edit(path.read_text()))
    with pytest.raises(PromptError, match=message):
        load_prompts("en", tmp_path)


def test_variants_are_used_in_turn() -> None:
    prompts = load_prompts()
    first, second = (prompts.render(Say("hold_half")) for _ in range(2))
    assert first != second
