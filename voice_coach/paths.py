"""Where the bundled data (prompts, programs, models) and the user's own files live."""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

import platformdirs

DATA_DIR = Path(str(files("voice_coach") / "data"))
"""The data shipped inside the package: prompts, programs, plans, rules, the model catalog, the demo."""

PROMPTS_DIR = DATA_DIR / "prompts"
PROGRAMS_DIR = DATA_DIR / "programs"
PLANS_DIR = DATA_DIR / "plans"
RULES_DIR = DATA_DIR / "rules"
CATALOG_PATH = DATA_DIR / "catalog.toml"
DEMO_AUDIO = DATA_DIR / "demo_stretching"
"""One WAV per reply: a person answering a short stretching session (`voice-coach demo`)."""


def data_dir() -> Path:
    """The user's data directory (journal); VOICE_COACH_HOME overrides it, for tests and kiosks."""
    home = os.environ.get("VOICE_COACH_HOME")
    return Path(home) / "data" if home else Path(platformdirs.user_data_dir("voice-coach"))


def config_dir() -> Path:
    """The user's config directory (profile, own programs, own words)."""
    home = os.environ.get("VOICE_COACH_HOME")
    return Path(home) / "config" if home else Path(platformdirs.user_config_dir("voice-coach"))


def default_db() -> Path:
    """The journal used when --db is not given."""
    return data_dir() / "journal.sqlite3"
