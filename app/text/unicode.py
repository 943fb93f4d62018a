"""Unicode hygiene for everything Akhbar stores or looks up.

Text is stored in NFC so that the same words typed on different keyboards (a macOS
client sends NFD) are the same bytes. NUL is refused because PostgreSQL cannot store it
and SQLite can: the two databases must behave alike. Bidi embedding, override and
isolate controls are refused in short labels (names, slugs, headlines): in a right-to-left
page they can reorder what a reader sees ("Trojan Source").
"""

import unicodedata

NUL = "\x00"
BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e"  # LRE RLE PDF LRO RLO
    "\u2066\u2067\u2068\u2069"  # LRI RLI FSI PDI
)


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def has_nul(text: str) -> bool:
    return NUL in text


def has_bidi_controls(text: str) -> bool:
    return not BIDI_CONTROLS.isdisjoint(text)
