"""The `voice-coach` command, one module per command group; wiring only."""
