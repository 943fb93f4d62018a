"""Bringing content over from other systems (WordPress)."""
