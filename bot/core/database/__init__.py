"""The database every part stands on: the store (engine, sessions, migrations), how an address
becomes an engine, SQLite's fair write gate, and directory reads kept for the next process."""
