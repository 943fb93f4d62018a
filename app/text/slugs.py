"""Slugs: URL path segments made of words, Arabic letters welcome.

A slug keeps letters and digits of any script (NFC, so "أ" stays one letter), drops
combining marks such as the harakat and the tatweel (they make URLs hard to type and
compare), and joins words with single hyphens. A slug is
never all digits, because ``/v1/articles/{ref}`` reads a number as an id.
"""

import re
import unicodedata
from contextlib import suppress
from urllib.parse import unquote

from app.text.unicode import nfc

ARABIC_TATWEEL = "\u0640"
_SEPARATORS = re.compile(r"[\s\-_]+")
_PERCENT_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")


def _keep(char: str) -> bool:
    category = unicodedata.category(char)
    return category[0] in "LN" and char != ARABIC_TATWEEL


def slugify(text: str, *, max_length: int = 200) -> str:
    """Turn a title or name into a slug; the result may be empty if ``text`` has no words."""
    words = []
    for chunk in _SEPARATORS.split(nfc(text.casefold())):
        word = "".join(c for c in chunk if _keep(c))
        if word:
            words.append(word)
    slug = nfc("-".join(words))[:max_length].strip("-")
    return f"{slug}-1" if slug.isdecimal() else slug


def is_valid_slug(slug: str) -> bool:
    return bool(slug) and slugify(slug, max_length=len(slug) + 2) == slug


def normalize_ref(ref: str) -> str:
    """The stored form of a slug a client sent: NFC, and percent-decoded if it still is.

    Servers decode a path once; a client (or a proxy) that encoded twice leaves ``%D8%AE``
    in the decoded value, which no real slug contains, since slugs have no ``%``.
    """
    if _PERCENT_ESCAPE.search(ref):
        # Not UTF-8 once decoded: look it up as sent, and find nothing.
        with suppress(UnicodeDecodeError):
            ref = unquote(ref, errors="strict")
    return nfc(ref)
