"""Webhooks: telling frontends and CDNs when content changes."""
