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
BIDI_MARKS = frozenset("\u200e\u200f\u061c")  # LRM RLM ALM


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def has_nul(text: str) -> bool:
    return NUL in text


def has_bidi_controls(text: str) -> bool:
    return not BIDI_CONTROLS.isdisjoint(text)


def without_bidi_controls(text: str) -> str:
    """``text`` without bidi controls or the invisible direction marks (LRM, RLM, ALM)."""
    return text.translate(_BIDI_REMOVAL)


_BIDI_REMOVAL = dict.fromkeys(map(ord, BIDI_CONTROLS | BIDI_MARKS))
