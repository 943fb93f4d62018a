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
    """``text`` without bidi embedding, override and isolate controls. The implicit marks
    (LRM, RLM, ALM) stay: they are how Arabic text places a Latin word or a number."""
    return text.translate(_CONTROLS_REMOVAL)


def without_bidi_formatting(text: str) -> str:
    """``text`` without bidi controls or direction marks: for one-line labels laid out
    by the page (ticker headlines), where a stray mark only misplaces punctuation."""
    return text.translate(_FORMATTING_REMOVAL)


def is_blank(text: str) -> bool:
    """Nothing a reader would see: only spaces and invisible format characters (ZWSP,
    ZWNJ, ZWJ, direction marks, word joiner, BOM, soft hyphen…)."""
    return all(char.isspace() or unicodedata.category(char) == "Cf" for char in text)


_CONTROLS_REMOVAL = dict.fromkeys(map(ord, BIDI_CONTROLS))
_FORMATTING_REMOVAL = dict.fromkeys(map(ord, BIDI_CONTROLS | BIDI_MARKS))
