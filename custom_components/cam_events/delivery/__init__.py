"""Event handlers: transports, schedules, file names and the outbox (no Home Assistant imports)."""
