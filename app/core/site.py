"""The public website Akhbar feeds: its address, name and language, and the addresses of
its pages (``AKHBAR_SITE_*``). A headless API does not know the frontend's page URLs; the
operator tells it with templates, checked at start-up:

- an article: ``{slug}``, ``{id}``, ``{category}`` (its category's slug, or ``-``),
  ``{yyyy}``, ``{mm}``, ``{dd}`` (its publication date, UTC);
- a category, a tag, an author: ``{slug}`` (and ``{id}``).

A template is a path on the site (``/{category}/{slug}``) or a whole URL. Slugs are
percent-encoded (UTF-8), as a URL in a feed or a sitemap must be.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol
from urllib.parse import quote

from app.core.config import Settings

TermKind = Literal["category", "tag", "author"]


class _Term(Protocol):
    @property
    def id(self) -> int | None: ...
    @property
    def slug(self) -> str: ...


class _Article(Protocol):
    @property
    def id(self) -> int | None: ...
    @property
    def slug(self) -> str: ...
    @property
    def published_at(self) -> datetime | None: ...
    @property
    def category(self) -> _Term | None: ...


def _segment(text: str) -> str:
    return quote(text, safe="")


@dataclass(frozen=True)
class PageTerm:
    """What a term's page URL is made of (for callers holding rows, not terms)."""

    id: int | None
    slug: str


@dataclass(frozen=True)
class PageArticle:
    """What an article's page URL is made of."""

    id: int | None
    slug: str
    published_at: datetime | None
    category: PageTerm | None


@dataclass(frozen=True)
class Site:
    url: str
    name: str
    language: str
    article_template: str
    term_templates: dict[TermKind, str]
    # Where the public reaches this API (feeds' own links, the sitemaps, picture files).
    api_url: str
    # Whether feeds carry whole bodies (else excerpts only).
    full_content: bool = True
    # The WebSub hub the feeds name, which each publication pings.
    hub_url: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> "Site | None":
        if settings.site_url is None:
            return None
        site_url = settings.site_url.rstrip("/")
        return cls(
            url=site_url,
            name=settings.site_name,
            language=settings.site_language,
            article_template=settings.site_article_url,
            term_templates={
                "category": settings.site_category_url,
                "tag": settings.site_tag_url,
                "author": settings.site_author_url,
            },
            api_url=(settings.site_api_url or site_url).rstrip("/"),
            full_content=settings.feeds_content == "full",
            hub_url=settings.websub_hub_url,
        )

    def absolute(self, template: str, **values: str) -> str:
        made = template.format(**values)
        return made if made.startswith(("http://", "https://")) else self.url + made

    def article_url(self, article: _Article) -> str:
        published = article.published_at
        return self.absolute(
            self.article_template,
            slug=_segment(article.slug),
            id=str(article.id),
            category=_segment(article.category.slug) if article.category is not None else "-",
            yyyy=f"{published.year:04d}" if published else "0000",
            mm=f"{published.month:02d}" if published else "00",
            dd=f"{published.day:02d}" if published else "00",
        )

    def page_url(self, article: _Article) -> str | None:
        """The article's page, if it can be named yet: not for an article without a
        publication date when the template names one."""
        dated = any(f"{{{p}}}" in self.article_template for p in ("yyyy", "mm", "dd"))
        return None if dated and article.published_at is None else self.article_url(article)

    def term_url(self, kind: TermKind, term: _Term) -> str:
        return self.absolute(self.term_templates[kind], slug=_segment(term.slug), id=str(term.id))

    @property
    def feed_urls(self) -> list[str]:
        """The whole site's feeds: what a WebSub hub is told changed."""
        return [f"{self.api_url}/feeds/{name}" for name in ("rss.xml", "atom.xml", "feed.json")]


_site: Site | None = None


def use_site(site: Site | None) -> None:
    """The site this process's answers link to (None: no site configured)."""
    global _site
    _site = site


def current_site() -> Site | None:
    return _site
