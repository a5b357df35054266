"""The dashboard card in a real Home Assistant and a headless Chromium."""
