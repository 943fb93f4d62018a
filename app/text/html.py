"""Article bodies: sanitised HTML, and what can be derived from it."""

import math
import re
from collections.abc import Callable
from html import escape, unescape

import nh3

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "figcaption", "figure",
    "em", "h2", "h3", "h4", "hr", "i", "img", "li", "ol", "p", "pre", "q", "s", "small",
    "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "*": {"dir", "lang"},
    "a": {"href", "title"},
    # data-media-id: a picture of the media library, whose files the API fills in.
    "img": {"src", "alt", "width", "height", "sizes", "data-media-id"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
}
# Arabic readers average somewhat under the ~240 words a minute quoted for English.
WORDS_PER_MINUTE = 200
EXCERPT_LENGTH = 200
_TAG = re.compile(r"<[^>]*>")
_BLOCK_TAG = re.compile(
    r"</?(?:p|div|br|hr|h[1-6]|li|ul|ol|blockquote|figure|figcaption|table|caption|thead"
    r"|tbody|tr|td|th|pre)\b[^>]*>",
    re.IGNORECASE,
)
_WORDLIKE = re.compile(r"[^\W_]")
# What an HTML parser would read as a tag, a comment or a declaration if the text were put
# into a page as markup: "<" then a letter, "/", "!" or "?", up to ">" or the end.
_MARKUP_LIKE = re.compile(r"<[A-Za-z/!?][^>]*(?:>|$)")


def sanitize_html(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )


def html_to_text(html: str) -> str:
    """The text a reader sees, whitespace collapsed: for search, counts and excerpts."""
    spaced = _BLOCK_TAG.sub(" ", html)  # blocks end words; inline tags (<b>) may sit inside one
    return " ".join(unescape(_TAG.sub("", spaced)).split())


def word_count(text: str) -> int:
    """Words in plain text: runs between spaces holding a letter or digit of any script.

    Punctuation standing alone ("–", "|", "«") is not a word; harakat and tatweel inside
    an Arabic word do not split it, since they are not spaces.
    """
    return sum(1 for token in text.split() if _WORDLIKE.search(token))


def derive_excerpt(text: str, *, max_length: int = EXCERPT_LENGTH) -> str:
    """The opening of ``text``, cut at a word boundary, with an ellipsis if it was cut.

    A body may show markup as text (``&lt;script&gt;`` in its HTML): its text holds the
    characters, and an excerpt cut from it would be markup again wherever a frontend puts
    it into a page unescaped (as WordPress themes do with theirs). So the excerpt leaves
    such runs out; "٣ < ٥" stays, "<img onerror=…>" goes. The body keeps them."""
    text = " ".join(_MARKUP_LIKE.sub(" ", text).split())
    if len(text) <= max_length:
        return text
    cut = text[: max_length + 1].rfind(" ")
    return text[: cut if cut > 0 else max_length].rstrip(" ،,.؛;:") + "…"


def reading_time_minutes(words: int) -> int:
    return max(1, math.ceil(words / WORDS_PER_MINUTE)) if words else 0


# An <img> in sanitised HTML (nh3 writes attributes double-quoted), and one of the media
# library (``data-media-id``: its id).
_IMAGE = re.compile(r"<img\b([^>]*)>")
_MEDIA_ID = re.compile(r'\sdata-media-id="([0-9]{1,10})"')
_ATTRIBUTE = re.compile(r'([a-z-]+)="([^"]*)"')


def media_ids(html: str) -> list[int]:
    """The media library's pictures an (already sanitised) body shows, in order, once."""
    return list(
        dict.fromkeys(
            int(found[1])
            for image in _IMAGE.finditer(html)
            if (found := _MEDIA_ID.search(image[1]))
        )
    )


def replace_images(html: str, replace: Callable[[dict[str, str]], str | None]) -> str:
    """Each ``<img>`` of a sanitised body replaced by what ``replace`` makes of its
    attributes (unescaped); left as it is where that is None."""

    def one(match: re.Match[str]) -> str:
        attributes = {name: unescape(value) for name, value in _ATTRIBUTE.findall(match[1])}
        made = replace(attributes)
        return match[0] if made is None else made

    return _IMAGE.sub(one, html)


def image_tag(attributes: dict[str, str]) -> str:
    return (
        "<img " + " ".join(f'{name}="{escape(value)}"' for name, value in attributes.items()) + ">"
    )
