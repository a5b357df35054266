"""Tests for the event model and store."""
