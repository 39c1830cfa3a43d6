"""How the person answers: input modes, switch, scanning, own words, profile, voice check."""
