"""Video pipeline: PyAV stream decoding, motion detection and snapshots (no Home Assistant)."""
