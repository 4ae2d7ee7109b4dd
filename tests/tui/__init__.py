"""Tests and helpers for the terminal UI (bpsm_tui)."""
