"""Event model and SQLite event store (no Home Assistant)."""
