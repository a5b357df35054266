"""Custom integrations (kept so the test plugin finds ours)."""
