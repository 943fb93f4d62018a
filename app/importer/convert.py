"""WordPress content in Akhbar's terms: shortcodes, paragraphs, slugs, statuses.

Nothing here touches the database: each function takes WordPress's text and returns
Akhbar's, so that a dry run sees exactly what an import would write.
"""

import html
import re
from urllib.parse import unquote

from app.importer.wordpress import WpAttachment
from app.text.html import html_to_text
from app.text.slugs import SLUG_MAX, is_valid_slug, slugify
from app.text.unicode import nfc, without_bidi_formatting

# WordPress encodes a slug's UTF-8 bytes as %XX and cuts the encoded form at 200
# characters, on a character boundary: a slug this long was (almost certainly) cut.
WP_SLUG_LIMIT = 200
_CUT_SLUG_LENGTH = WP_SLUG_LIMIT - 6

# A shortcode: ASCII name, attributes (quoted values may hold brackets), optional "/".
_ATTRIBUTES = r"""(?P<attrs>(?:[^\[\]"']|"[^"]*"|'[^']*')*?)"""
_ENCLOSING = re.compile(
    rf"\[(?P<name>[A-Za-z][\w-]*)\b{_ATTRIBUTES}\](?P<inner>(?:(?!\[(?P=name)\b).)*?)\[/(?P=name)\]",
    re.DOTALL,
)
_SINGLE = re.compile(rf"\[/?[A-Za-z][\w-]*\b{_ATTRIBUTES}/?\]")
_ESCAPED = re.compile(r"\[(\[([A-Za-z][\w-]*)\b[^\[\]]*\](?:[^\[]*?\[/\2\])?)\]")
_ATTRIBUTE = re.compile(r"""([\w-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|(\S+))""")
_IMAGE_THEN_TEXT = re.compile(
    r"^\s*((?:<a\b[^>]*>\s*)?<img\b[^>]*>(?:\s*</a>)?)(.*)$", re.DOTALL | re.IGNORECASE
)
_BLOCK_START = re.compile(
    r"^\s*<(?:p|div|h[1-6]|ul|ol|li|blockquote|figure|table|pre|hr|iframe|script|style|!--)\b",
    re.IGNORECASE,
)
_URL_LINE = re.compile(r"^[ \t]*(https?://[^\s<>\"]+)[ \t]*$", re.MULTILINE)
# A placeholder for escaped shortcodes while the others are processed.
_KEEP = "\u0000{}\u0000"


def _attributes(text: str) -> dict[str, str]:
    return {m[1].lower(): m[2] or m[3] or m[4] or "" for m in _ATTRIBUTE.finditer(text)}


def _link(url: str) -> str:
    url = html.escape(url.strip(), quote=True)
    return f'<p><a href="{url}">{url}</a></p>'


def _render(name: str, attrs: dict[str, str], inner: str, media: dict[int, WpAttachment]) -> str:
    name = name.lower()
    if name in ("caption", "wp_caption"):
        match = _IMAGE_THEN_TEXT.match(inner)
        image, text = (match[1], match[2]) if match else ("", inner)
        caption = (text.strip() or attrs.get("caption", "")).strip()
        figcaption = f"<figcaption>{caption}</figcaption>" if caption else ""
        return f"<figure>{image}{figcaption}</figure>"
    if name == "embed":
        return _link(inner) if inner.strip() else ""
    if name in ("video", "audio", "playlist"):
        source = attrs.get("src") or next(
            (v for k, v in attrs.items() if k in ("mp4", "m4v", "webm", "mp3", "ogg")), inner
        )
        return _link(source) if source.strip() else ""
    if name == "gallery":
        return _gallery(attrs, media)
    return inner  # any other: its content stays, the tags go


def _gallery(attrs: dict[str, str], media: dict[int, WpAttachment]) -> str:
    images = []
    for text in attrs.get("ids", "").split(","):
        attachment = media.get(int(text)) if text.strip().isdigit() else None
        if attachment is not None and attachment.url:
            source, alt = html.escape(attachment.url), html.escape(attachment.alt)
            images.append(f'<img src="{source}" alt="{alt}">')
    return f"<figure>{''.join(images)}</figure>" if images else ""


def render_shortcodes(text: str, media: dict[int, WpAttachment] | None = None) -> str:
    """Shortcodes rendered to plain HTML (captions, galleries, embeds, audio and video) or
    removed (any other, keeping what it encloses); ``[[x]]`` is the literal ``[x]``."""
    media = media or {}
    kept: list[str] = []

    def keep(match: re.Match[str]) -> str:
        kept.append(match[1])
        return _KEEP.format(len(kept) - 1)

    text = _ESCAPED.sub(keep, text)
    for _ in range(20):  # innermost first; nesting deeper than this is not content
        text, count = _ENCLOSING.subn(
            lambda m: _render(m["name"], _attributes(m["attrs"]), m["inner"], media), text
        )
        if not count:
            break

    def single(match: re.Match[str]) -> str:
        if match[0].startswith("[/"):
            return ""  # a closing tag left alone
        name = match[0].strip("[]/").split()[0]
        return _render(name, _attributes(match["attrs"]), "", media)

    text = _SINGLE.sub(single, text)
    for index, literal in enumerate(kept):
        text = text.replace(_KEEP.format(index), literal)
    return text


def autop(text: str) -> str:
    """WordPress's paragraphs: classic-editor text keeps paragraphs as blank lines and line
    breaks as new lines, and WordPress adds the tags when it shows it. Block-editor text
    (``<!-- wp:`` comments) has its tags already. A URL alone on its line becomes a link
    (WordPress embeds it)."""
    if "<!-- wp:" in text:
        return text
    text = _URL_LINE.sub(lambda m: _link(m[1]), text.replace("\r\n", "\n").replace("\r", "\n"))
    paragraphs = []
    for chunk in re.split(r"\n\s*\n", text):
        chunk = chunk.strip()
        if not chunk:
            continue
        if _BLOCK_START.match(chunk):
            paragraphs.append(chunk)
        else:
            paragraphs.append("<p>" + chunk.replace("\n", "<br>\n") + "</p>")
    return "\n".join(paragraphs)


def body_html(content: str, media: dict[int, WpAttachment] | None = None) -> str:
    """A post's content as Akhbar stores it before sanitising."""
    return autop(render_shortcodes(content, media))


def _clean(text: str) -> str:
    """NFC, without NUL or bidi controls (Akhbar refuses both in names and titles)."""
    return without_bidi_formatting(nfc(text.replace("\x00", "")))


def plain_line(text: str) -> str:
    """A title or name: tags and entities gone, white space collapsed."""
    return _clean(" ".join(html.unescape(re.sub(r"<[^>]*>", " ", text)).split()))


def plain_text(text: str) -> str:
    """An excerpt or a comment: text, with its line breaks."""
    return _clean(html_to_text(render_shortcodes(autop(text))).strip())


def decode_slug(raw: str) -> str:
    """WordPress's percent-encoded slug as text (what a browser shows in the address)."""
    return nfc(unquote(raw.strip(), errors="ignore")).strip("-")


def article_slugs(raw: str, title: str) -> tuple[str | None, str | None]:
    """The slug an imported post gets and an old one that must keep resolving to it.

    A slug WordPress cut short gets the full slug from the title and keeps the cut one as
    an old slug; a slug in a form Akhbar does not make (capitals, marks) gets its
    slugified form and keeps the original. (None, None): make one from the title."""
    decoded = decode_slug(raw)
    if not decoded:
        return None, None
    if len(raw.strip()) >= _CUT_SLUG_LENGTH:
        full = slugify(title, max_length=SLUG_MAX) or slugify(decoded)
        return full, (decoded if decoded != full else None)
    if is_valid_slug(decoded):
        return decoded, None
    fixed = slugify(decoded, max_length=SLUG_MAX) or slugify(title)
    return (fixed or None), decoded


def term_slug(raw: str, name: str) -> str:
    """A category's or tag's slug: WordPress's decoded, or one made from it or the name."""
    decoded = decode_slug(raw)
    if is_valid_slug(decoded):
        return decoded
    return slugify(decoded, max_length=SLUG_MAX) or slugify(name)
