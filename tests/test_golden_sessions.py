"""Golden whole sessions: what the coach says and logs, turn by turn, for each scenario in the table."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from tests.fakes import Reply
from tests.sessions import run_session

HERE = Path(__file__).parent
SCENARIOS = yaml.safe_load((HERE / "data" / "golden_sessions.yaml").read_text())


def _replies(raw: list) -> list[Reply | str]:
    return [r if isinstance(r, str) else Reply(r["say"], r.get("after", 1.0), r.get("confidence", 1.0),
                                                 r.get("when_asked", True)) for r in raw]


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_golden_session(name: str) -> None:
    spec = SCENARIOS[name]
    run = run_session(spec["program"], _replies(spec["replies"]), spec.get("opening"), **spec.get("settings", {}))
    assert run.result.outcome == spec["expect"]
    assert not run.listener.replies, "every scripted reply was used"
    golden = HERE / "golden" / f"{name}.txt"
    text = run.golden()
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(text)
    assert golden.exists(), f"no golden file {golden}: run with UPDATE_GOLDEN=1 and review it"
    assert text == golden.read_text()
