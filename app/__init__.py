"""Akhbar (أخبار): a headless, Arabic-first content API for a news publication."""
