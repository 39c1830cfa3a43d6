"""The tree shows the design: packages per stage, no import circles, dependencies pointing inward to the coach."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "voice_coach"
BASE = {"errors", "paths", "datafile", "terminal_text", "day_bounds", "private_files", "stop_signals"}
"""Top-level modules every stage may use: the error family, where files live, reading data files, writing
private files, text safe for the terminal, dates within bounds, signals that end a run."""
STAGES = {"coach", "speech", "journal", "plan", "report", "access", "session", "listen", "cli"}
ALLOWED: dict[str, set[str]] = {
    "coach": set(),
    "journal": {"coach"},
    "plan": {"coach", "journal"},
    "speech": {"coach"},
    "report": {"coach", "journal", "plan", "access"},
    "access": {"coach", "speech", "journal"},
    "session": {"coach", "speech", "journal", "plan", "access"},
    "listen": {"coach", "speech", "journal", "plan", "access", "session", "report"},
    "cli": STAGES - {"cli"},
}
"""Which other stages each stage may import: inward, toward the pure coach."""


def modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def imports_of(path: Path, name: str, known: set[str]) -> Iterator[str]:
    """Every voice_coach module `name` imports, at the top or inside a function."""
    is_pkg = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".") if is_pkg else name.split(".")[:-1]
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [base] + [f"{base}.{a.name}" for a in node.names]
        else:
            continue
        for t in targets:
            if t.startswith("voice_coach.") and t in known:
                yield t


def graph() -> dict[str, set[str]]:
    mods = modules()
    return {name: set(imports_of(path, name, set(mods))) - {name} for name, path in mods.items()}


def stage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 else "base" if len(parts) == 2 and parts[1] in BASE else parts[-1]


def cycle(edges: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n: str) -> list[str] | None:
        state[n] = 1
        stack.append(n)
        for m in sorted(edges.get(n, ())):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if m not in state and (found := visit(m)):
                return found
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(edges):
        if n not in state and (found := visit(n)):
            return found
    return None


def test_every_module_sits_in_a_stage_or_the_base() -> None:
    loose = [m for m in modules() if m.count(".") == 1 and m.split(".")[1] not in BASE | STAGES]
    assert loose == [], f"modules outside any stage: {loose}"


def circles(edges: dict[str, set[str]]) -> list[set[str]]:
    """Every group of modules that import each other, directly or round about (Tarjan's components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while True:
                w = stack.pop()
                group.add(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(group)

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_no_import_circle_between_modules() -> None:
    """The recognizer factory and its adapters once imported each other (inside functions); the complete
    recognizer port (speech/recognition.py) and the second opinion as a wrapper broke that circle: none may return."""
    assert circles(graph()) == []


def test_the_recognizer_port_is_probed_by_no_one() -> None:
    """The listener, the wrappers and the wake detector use the Recognizer protocol's members, never getattr."""
    for module in ("speech/listener", "speech/second_opinion", "speech/recognizer_wrapper", "speech/voice_templates",
                   "listen/wake"):
        assert "getattr(" not in (PACKAGE / f"{module}.py").read_text(encoding="utf-8"), module


def test_the_circle_finder_finds_circles() -> None:
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_no_import_circle_between_stages_and_dependencies_point_inward() -> None:
    edges: dict[str, set[str]] = {}
    wrong = []
    for m, targets in graph().items():
        s = stage(m)
        for t in targets:
            ts = stage(t)
            if ts in (s, "base") or m == "voice_coach":
                continue
            edges.setdefault(s, set()).add(ts)
            if s in ALLOWED and ts not in ALLOWED[s]:
                wrong.append(f"{m} -> {t}")
    assert cycle(edges) is None, f"stage circle: {' -> '.join(cycle(edges) or [])}"
    assert wrong == [], "imports pointing outward:\n" + "\n".join(sorted(wrong))


def test_the_base_depends_on_no_stage() -> None:
    g = graph()
    outward = [f"{m} -> {t}" for m in g if stage(m) == "base" for t in g[m] if stage(t) != "base"]
    assert outward == []
