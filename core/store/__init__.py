"""The run store (SQLite) and its bundle format; loading a run never retrains it."""
