"""Constrained string types for request schemas, named for what they hold.

Text is normalised to NFC (and NUL refused) *before* the length check, because SQLite
ignores VARCHAR lengths: the app checks them, on the text as it will be stored, so both
databases accept and refuse the same input.
"""

import re
import unicodedata
from ipaddress import IPv6Address
from typing import Annotated, Any
from urllib.parse import quote, urlsplit, urlunsplit

from pydantic import AfterValidator, BeforeValidator, StringConstraints

from app.core.lengths import (
    COMMENT_AUTHOR_MAX,
    COMMENT_BODY_MAX,
    EXCERPT_MAX,
    HEADLINE_MAX,
    LABEL_MAX,
    NAME_MAX,
    TITLE_MAX,
    URL_MAX,
)
from app.text.slugs import SLUG_MAX, is_valid_slug
from app.text.unicode import (
    has_bidi_controls,
    has_nul,
    is_blank,
    nfc,
    without_bidi_controls,
    without_bidi_formatting,
)

BODY_MAX = 500_000
DESCRIPTION_MAX = 5_000


def _nfc_without_nul(value: Any) -> Any:
    if not isinstance(value, str):
        return value  # the str schema refuses it with its own message
    if has_nul(value):
        raise ValueError("must not contain NUL characters")
    return nfc(value)


def _one_clean_line(value: Any) -> Any:
    """For short display lines (ticker headlines): bidi controls and marks removed,
    whitespace collapsed to single spaces."""
    value = _nfc_without_nul(value)
    return " ".join(without_bidi_formatting(value).split()) if isinstance(value, str) else value


def _text_without_bidi_controls(value: Any) -> Any:
    """For free text from readers: bidi controls removed rather than refused; the
    implicit marks and ZWNJ/ZWJ are ordinary Arabic and Persian text, and stay."""
    value = _nfc_without_nul(value)
    return without_bidi_controls(value) if isinstance(value, str) else value


def _visible(value: str) -> str:
    # After the length check, which has seen a non-empty string: one made only of
    # invisible characters is empty all the same.
    if is_blank(value):
        raise ValueError("must contain visible characters, not only spaces or invisible ones")
    return value


def _without_bidi_controls(value: str) -> str:
    if has_bidi_controls(value):
        raise ValueError("must not contain bidi embedding, override or isolate controls")
    return value


def _slug_shape(value: str) -> str:
    if not is_valid_slug(value):
        raise ValueError(
            "a slug is lower-case letters and digits (any script) joined by single hyphens, "
            "without diacritics, and not only digits"
        )
    return value


_Clean = BeforeValidator(_nfc_without_nul)
_NoBidi = AfterValidator(_without_bidi_controls)
_Visible = AfterValidator(_visible)


def _line(max_length: int) -> StringConstraints:
    return StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length)


# Order matters: validators further right wrap those to their left, so _Clean (a
# BeforeValidator, last) runs first and the length constraints see the NFC text.
Slug = Annotated[str, _line(SLUG_MAX), _NoBidi, AfterValidator(_slug_shape), _Clean]
Name = Annotated[str, _line(NAME_MAX), _NoBidi, _Visible, _Clean]
Title = Annotated[str, _line(TITLE_MAX), _NoBidi, _Visible, _Clean]
# A picture's text alternative: a sentence or two.
AltText = Annotated[str, _line(NAME_MAX * 2), _NoBidi, _Visible, _Clean]
Excerpt = Annotated[str, StringConstraints(max_length=EXCERPT_MAX), _Clean]
Description = Annotated[str, StringConstraints(max_length=DESCRIPTION_MAX), _Clean]
Body = Annotated[str, StringConstraints(max_length=BODY_MAX), _Clean]
# Characters a URL never holds as such (RFC 3986): where one is stored and echoed into an
# attribute, a quote or an angle bracket would end it.
_NOT_IN_URLS = frozenset('"<>\\^`{|}')
_LABEL = r"[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?"
_HOST = re.compile(rf"{_LABEL}(?:\.{_LABEL})*\.?")


def _web_url(value: str) -> str:
    """An absolute http(s) URL, parsed and written out again: scheme and host in lower
    case (an international host in its IDNA form), any other non-ASCII character
    percent-encoded. No javascript:, data: or relative reference; no space, control,
    invisible or bidi character, quote or angle bracket anywhere in it."""
    if any(char in _NOT_IN_URLS or unicodedata.category(char)[0] in "CZ" for char in value):
        raise ValueError(
            "a URL holds no spaces, quotes, angle brackets or control or invisible characters"
        )
    parts = urlsplit(value)
    host = parts.hostname or ""
    try:
        port = parts.port
        if not host.startswith("[") and not host.isascii():
            host = host.encode("idna").decode("ascii")
    except (ValueError, UnicodeError):
        raise ValueError("not a valid host or port") from None
    if parts.scheme.lower() not in ("http", "https") or not host:
        raise ValueError("an absolute http:// or https:// URL")
    if ":" in host:  # an IPv6 literal, which urlsplit gives without its brackets
        try:
            host = f"[{IPv6Address(host)}]"
        except ValueError:
            raise ValueError("not a valid host") from None
    elif not _HOST.fullmatch(host):
        raise ValueError("not a valid host")
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = (f"{userinfo}@" if userinfo else "") + host + (f":{port}" if port else "")
    # A single quote is allowed in URLs but ends a single-quoted attribute: encoded.
    safe = "/?#[]@!$&()*+,;=:%~-._"
    return urlunsplit(
        (
            parts.scheme.lower(),
            quote(netloc, safe=safe),
            quote(parts.path, safe=safe),
            quote(parts.query, safe=safe),
            quote(parts.fragment, safe=safe),
        )
    )


WebUrl = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=URL_MAX),
    AfterValidator(_web_url),
    _Clean,
]
_CleanLine = BeforeValidator(_one_clean_line)
CommentBody = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=COMMENT_BODY_MAX),
    _Visible,
    BeforeValidator(_text_without_bidi_controls),
]
CommentAuthor = Annotated[str, _line(COMMENT_AUTHOR_MAX), _NoBidi, _Visible, _Clean]
HeadlineText = Annotated[str, _line(HEADLINE_MAX), _Visible, _CleanLine]
HeadlineLabel = Annotated[str, _line(LABEL_MAX), _Visible, _CleanLine]
