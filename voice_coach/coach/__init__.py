"""The pure coach: its machine, transition table, intents, cues and prompt contract; no I/O."""
