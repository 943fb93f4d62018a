"""What a feed holds: the newest public articles of a selection, as feed entries that
link to the frontend's pages."""

import re
from urllib.parse import urlencode

from sqlmodel import Session

from app.articles import reads, service
from app.articles.schemas import PublicArticle, article_keys, body_with_pictures
from app.core.site import Site
from app.feeds.render import Entry, Feed, Image, Link, aware
from app.models import Author, Category, Tag
from app.models.media import file_url
from app.taxonomy.service import get_term

FEED_SIZE = 50
_SELECTIONS = (("category", Category), ("tag", Tag), ("author", Author))


def feed_of(
    session: Session,
    site: Site,
    path: str,
    *,
    category: str | None = None,
    tag: str | None = None,
    author: str | None = None,
) -> tuple[Feed, list[str]]:
    """The feed at ``path`` of the articles in every selection given (an unknown slug is
    a 404), and the surrogate keys of what it shows."""
    slugs = {"category": category, "tag": tag, "author": author}
    title, home, keys = site.name, site.url, ["articles"]
    term_ids: dict[str, int] = {}
    for kind, model in _SELECTIONS:
        slug = slugs[kind]
        if slug is None:
            continue
        term = get_term(session, model, slug)
        assert term.id is not None
        term_ids[f"{kind}_id"] = term.id
        keys.append(f"{kind}-{term.id}")
        title = f"{title} — {term.name}"
        home = site.term_url(kind, term)  # type: ignore[arg-type]
    articles = reads.latest_public(session, service.in_terms(**term_ids), limit=FEED_SIZE)
    query = urlencode({kind: slug for kind, slug in slugs.items() if slug is not None})
    feed = Feed(
        title=title,
        description=f"أحدث ما نشر {title}" if term_ids else f"أحدث ما نشر في {site.name}",
        home_url=home,
        self_url=site.api_url + path + (f"?{query}" if query else ""),
        language=site.language,
        entries=[entry(site, article) for article in articles],
        hub_url=site.hub_url,
    )
    return feed, keys + [key for article in articles for key in article_keys(article)]


def entry(site: Site, article: PublicArticle) -> Entry:
    assert article.published_at is not None
    categories = [article.category] if article.category is not None else []
    return Entry(
        id=f"{site.api_url}/v1/articles/{article.id}",
        url=site.article_url(article),
        title=article.title,
        summary=article.excerpt,
        content_html=(
            absolute_pictures(body_with_pictures(article), site.api_url)
            if site.full_content
            else None
        ),
        published=aware(article.published_at),
        updated=aware(article.updated_at),
        language=article.lang,
        authors=[Link(a.name, site.term_url("author", a), a.slug) for a in article.authors],
        categories=[Link(c.name, site.term_url("category", c), c.slug) for c in categories]
        + [Link(t.name, site.term_url("tag", t), t.slug) for t in article.tags],
        image=featured_image(site, article),
    )


def featured_image(site: Site, article: PublicArticle) -> Image | None:
    media = article.featured_media
    alt = article.featured_image_alt
    if media is not None:
        original = media.original
        return Image(
            url=absolute(file_url(original["key"]), site.api_url),
            content_type=original.get("content_type"),
            bytes=original.get("bytes"),
            width=media.width,
            height=media.height,
            alt=alt or media.alt,
        )
    if article.featured_image_url:
        return Image(article.featured_image_url, None, None, None, None, alt)
    return None


def absolute(url: str, base: str) -> str:
    """A URL of this API's (``/media/…``) as the public reaches it."""
    return base + url if url.startswith("/") and not url.startswith("//") else url


_PICTURE_URLS = re.compile(r'\b(src|srcset)="([^"]*)"')
_OURS = re.compile(r"(^|,\s*)(?=/media/)")


def absolute_pictures(html: str, base: str) -> str:
    """The body's library pictures (``src``, ``srcset``) with absolute URLs: a feed
    reader has no page to resolve them against."""
    if '"/media/' not in html:
        return html

    def fix(match: re.Match[str]) -> str:
        value = _OURS.sub(lambda m: f"{m.group(1)}{base}", match.group(2))
        return f'{match.group(1)}="{value}"'

    return _PICTURE_URLS.sub(fix, html)
