"""Slugs: URL path segments made of words, Arabic letters kept as they are.

A slug is the title's words in NFC, lower-cased, joined by single hyphens:

* letters of any script stay (Arabic is never transliterated; "أ" stays one letter);
* harakat and other combining marks, the tatweel, and invisible format characters
  (zero-width joiners, bidi controls) are deleted: they sit inside words;
* every decimal digit becomes ASCII ("٣٠" → "30");
* anything else (spaces, punctuation, symbols) separates words;
* it is cut at a word boundary, never mid-word;
* it is never all digits, because ``/v1/articles/{ref}`` reads a number as an id.
"""

import re
import unicodedata
from contextlib import suppress
from urllib.parse import unquote

from app.text.unicode import nfc

GENERATED_SLUG_LENGTH = 80
SLUG_MAX = 200
ARABIC_TATWEEL = "\u0640"
# Apostrophes join rather than split: "don't" → "dont", "ابن الـ'ـحارث" keeps one word.
_DELETED_PUNCTUATION = frozenset("'\u2019\u02bc")
_PERCENT_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")


def _words(text: str) -> list[str]:
    words: list[str] = []
    current: list[str] = []
    for char in nfc(text.casefold()):
        category = unicodedata.category(char)
        if char == ARABIC_TATWEEL or char in _DELETED_PUNCTUATION:
            continue
        if category[0] == "L":
            current.append(char)
        elif category == "Nd":
            current.append(str(unicodedata.digit(char)))
        elif category[0] == "N":
            current.append(char)
        elif category in {"Mn", "Me", "Mc", "Cf"}:
            continue
        elif current:
            words.append("".join(current))
            current = []
    if current:
        words.append("".join(current))
    return words


def cut_at_word(slug: str, max_length: int) -> str:
    """``slug`` shortened to ``max_length`` at a hyphen (mid-word only for one long word)."""
    if len(slug) <= max_length:
        return slug
    cut = slug[: max_length + 1].rfind("-")
    return slug[:cut] if cut > 0 else slug[:max_length]


def slugify(text: str, *, max_length: int = GENERATED_SLUG_LENGTH) -> str:
    """Turn a title or name into a slug; empty if ``text`` has no letters or digits."""
    slug = cut_at_word("-".join(_words(text)), max_length)
    return f"{slug}-1" if slug.isdigit() else slug


def with_suffix(slug: str, number: int) -> str:
    """The ``number``-th alternative of a taken slug: ``slug-2``, ``slug-3``, ..."""
    suffix = f"-{number}"
    return cut_at_word(slug, SLUG_MAX - len(suffix)) + suffix


def is_valid_slug(slug: str) -> bool:
    """True when ``slug`` is already in the form slugify gives (any length up to the max)."""
    return 0 < len(slug) <= SLUG_MAX and slugify(slug, max_length=SLUG_MAX) == slug


def normalize_ref(ref: str) -> str:
    """The stored form of a slug a client sent: NFC, and percent-decoded if it still is.

    Servers decode a path once; a client (or a proxy) that encoded twice leaves ``%D8%AE``
    in the decoded value, which no real slug contains, since slugs have no ``%``.
    """
    if _PERCENT_ESCAPE.search(ref):
        # Not UTF-8 once decoded, or a NUL or other control hidden behind the second
        # encoding (which PostgreSQL cannot even compare): look it up as sent, and find
        # nothing.
        with suppress(UnicodeDecodeError):
            decoded = unquote(ref, errors="strict")
            if not any(unicodedata.category(char) == "Cc" for char in decoded):
                ref = decoded
    return nfc(ref)
