"""Tests for the video pipeline."""
