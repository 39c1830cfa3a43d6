"""The journal: the append-only SQLite record of everything the person did and reported."""
