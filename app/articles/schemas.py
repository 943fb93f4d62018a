"""Articles as the API shows them."""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    model_validator,
)

from app.core.fields import AltText, Body, Excerpt, Name, Slug, Title, WebUrl
from app.core.pagination import Page, PageQuery, field_selection
from app.core.params import ID_MAX, Moment
from app.core.site import current_site
from app.media.schemas import PLACEHOLDER_EXAMPLE, MediaFile, PictureRow, media_embed
from app.models import Article, ArticlePreview, ArticleRevision, ArticleStatus, RevisionReason
from app.models.media import file_url
from app.taxonomy.schemas import TermRef
from app.text.html import image_tag, replace_images

LANG_PATTERN = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"
# Primary language subtags written right to left.
RTL_LANGUAGES = frozenset(
    {"ar", "arc", "ckb", "dv", "fa", "he", "ku", "ps", "sd", "ug", "ur", "yi"}
)


def text_direction(lang: str) -> Literal["rtl", "ltr"]:
    return "rtl" if lang.split("-", 1)[0].lower() in RTL_LANGUAGES else "ltr"


class FeaturedImage(BaseModel):
    """The article's picture: one of the media library (with its sizes, its files for
    `srcset` and a placeholder), or an external URL (those are null)."""

    media_id: int | None = Field(None, examples=[12])
    url: str = Field(examples=["/media/12/9b2e7c4d1a0f6e3b5c88-4000x2667.jpg"])
    alt: str | None = Field(examples=["سوق المدينة القديمة في حلب صباحاً"])
    caption: str | None = Field(examples=["الباعة يعودون إلى السوق بعد الترميم"])
    credit: str | None = Field(examples=["تصوير: ليلى حدّاد"])
    width: int | None = Field(None, examples=[4000])
    height: int | None = Field(None, examples=[2667])
    renditions: list[MediaFile] | None = None
    placeholder: str | None = Field(
        None,
        examples=[PLACEHOLDER_EXAMPLE],
    )
    dominant_color: str | None = Field(None, examples=["#8a6f4d"])


@dataclass(frozen=True, slots=True)
class TermRow:
    """A category, tag or author as a lean read selects it."""

    id: int
    slug: str
    name: str


@dataclass(frozen=True, slots=True)
class PublicArticle:
    """An article as the lean public read selects it (app.articles.reads): the columns an
    answer shows, named as Article's, with its terms and pictures; no ORM object."""

    id: int
    slug: str
    title: str
    subtitle: str | None
    excerpt: str | None
    body: str
    lang: str
    status: ArticleStatus
    published_at: datetime | None
    is_exclusive: bool
    is_breaking: bool
    featured_image_url: str | None
    featured_image_alt: str | None
    featured_image_caption: str | None
    featured_image_credit: str | None
    featured_image_media_id: int | None
    comments_enabled: bool
    comment_count: int
    word_count: int
    reading_time_minutes: int
    version: int
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    category: TermRow | None
    tags: list[TermRow]
    authors: list[TermRow]
    featured_media: PictureRow | None
    body_media: list[PictureRow]
    # The public ones of the articles pinned under it, and every one (an answer showing
    # the former holds the keys of the latter: a pinned draft's publication ends it).
    related: list[int] = field(default_factory=list)
    pinned: list[int] = field(default_factory=list)


# What an answer is made from: an article loaded by the ORM, or selected by a lean read.
ArticleData = Article | PublicArticle


def article_keys(article: ArticleData) -> list[str]:
    """The surrogate keys of an answer that shows this article (with its terms)."""
    keys = [f"article-{article.id}"]
    if article.category is not None:
        keys.append(f"category-{article.category.id}")
    keys += [f"tag-{t.id}" for t in article.tags] + [f"author-{a.id}" for a in article.authors]
    if article.featured_image_media_id is not None:
        keys.append(f"media-{article.featured_image_media_id}")
    if isinstance(article, PublicArticle):
        keys += [f"article-{article_id}" for article_id in article.pinned]
    return keys


class ArticleListItem(BaseModel):
    """An article in a list: everything but the body."""

    id: int = Field(examples=[42])
    slug: str = Field(examples=["افتتاح-سوق-الحرير-بعد-الترميم"])
    url: str | None = Field(
        description="Its page on the website (`AKHBAR_SITE_URL` and "
        "`AKHBAR_SITE_ARTICLE_URL`); null when no website is configured, or when the "
        "page's address holds a publication date and it has none yet.",
        examples=[
            "https://akhbar.example/articles/%D8%A7%D9%81%D8%AA%D8%AA%D8%A7%D8%AD-%D8%B3%D9%88%D9%82"
        ],
    )
    title: str = Field(examples=["افتتاح سوق الحرير بعد ترميمٍ دام ثلاث سنوات"])
    subtitle: str | None = Field(examples=["التجار يعودون إلى محالّهم القديمة"])
    excerpt: str | None = Field(
        description="Plain text (escape it as any text field): the editor's, or else the "
        "opening of the body's text, without anything an HTML parser would read as a tag.",
        examples=["عاد السوق الأقدم في المدينة إلى الحياة صباح اليوم."],
    )
    lang: str = Field(examples=["ar"], description="BCP 47 language tag of the text.")
    dir: Literal["rtl", "ltr"] = Field(
        examples=["rtl"], description="Text direction, derived from `lang`."
    )
    status: ArticleStatus = Field(examples=["published"])
    published_at: AwareDatetime | None = Field(examples=["2026-11-28T09:30:00Z"])
    is_exclusive: bool = Field(examples=[True], description="Marked «خاص» (exclusive).")
    is_breaking: bool = Field(examples=[False], description="Marked «عاجل» (breaking).")
    category: TermRef | None
    tags: list[TermRef]
    authors: list[TermRef] = Field(description="Bylines, in the order the editor gave.")
    featured_image: FeaturedImage | None
    comments_enabled: bool = Field(examples=[True])
    comment_count: int = Field(description="Approved comments.", examples=[7])
    word_count: int = Field(examples=[412])
    reading_time_minutes: int = Field(examples=[3])
    version: int = Field(examples=[1])
    created_at: datetime = Field(examples=["2026-11-28T08:00:00Z"])
    updated_at: datetime = Field(examples=["2026-11-28T09:30:00Z"])

    @classmethod
    def from_article(cls, article: ArticleData) -> "ArticleListItem":
        return cls.model_validate(_article_fields(article))


class ArticlePublic(ArticleListItem):
    """A whole article."""

    body: str = Field(
        description="Sanitised HTML.",
        examples=["<p>عاد السوق الأقدم في المدينة إلى الحياة صباح اليوم.</p>"],
    )
    related: list[int] = Field(
        description="The ids of the articles an editor pinned under it as related, in "
        "order: the public sees the public ones, editors and preview links every one. "
        "`GET /v1/articles/{ref}/related` answers them whole, with automatic matches.",
        examples=[[318, 297]],
    )
    deleted_at: datetime | None = Field(
        description="When an editor deleted it; only editors ever see a deleted article.",
        examples=[None],
    )

    @classmethod
    def from_article(cls, article: ArticleData) -> "ArticlePublic":
        return cls.model_validate(
            {
                **_article_fields(article),
                "body": body_with_pictures(article),
                "related": article.related,
                "deleted_at": article.deleted_at,
            }
        )


# What a body's picture fills (the layout's column, unless the editor says otherwise).
DEFAULT_SIZES = "(max-width: 768px) 100vw, 768px"
# The widest file a browser without srcset support gets.
FALLBACK_WIDTH = 1280


def body_with_pictures(article: ArticleData) -> str:
    """The body, each picture of the media library given its files: `src` (JPEG or PNG),
    `srcset` (WebP at every width), `sizes`, `width`, `height`, `alt` (the picture's
    unless the body gives one), `loading="lazy"`. A picture deleted since is left out."""
    if "data-media-id" not in article.body:
        return article.body
    pictures = {str(media.id): media for media in article.body_media}

    def img(attributes: dict[str, str]) -> str | None:
        if "data-media-id" not in attributes:
            return None
        media = pictures.get(attributes["data-media-id"])
        if media is None:
            return ""
        widths = sorted((f for f in media.files if f["kind"] == "width"), key=_width)
        fallback = [f for f in widths if f["content_type"] != "image/webp"]
        src = max((f for f in fallback if f["width"] <= FALLBACK_WIDTH), key=_width, default=None)
        filled = {
            "src": file_url((src or media.original)["key"]),
            "srcset": ", ".join(
                f"{file_url(f['key'])} {f['width']}w"
                for f in widths
                if f["content_type"] == "image/webp"
            ),
            "sizes": attributes.get("sizes") or DEFAULT_SIZES,
            "width": str(media.width),
            "height": str(media.height),
            "alt": attributes.get("alt") or media.alt,
            "loading": "lazy",
            "decoding": "async",
            "data-media-id": attributes["data-media-id"],
        }
        return image_tag(filled)

    return replace_images(article.body, img)


def _width(file: dict[str, Any]) -> int:
    return int(file["width"])


class ArticlePage(Page[ArticleListItem]):
    pass


def _featured_image(article: ArticleData) -> dict[str, Any] | None:
    media = article.featured_media
    if media is not None:
        # The article's own alt, caption and credit, where it has them, else the picture's.
        return {
            **dict(media_embed(media)),
            "alt": article.featured_image_alt or media.alt,
            "caption": article.featured_image_caption or media.caption,
            "credit": article.featured_image_credit or media.credit,
        }
    if not article.featured_image_url:
        return None
    return {
        "url": article.featured_image_url,
        "alt": article.featured_image_alt,
        "caption": article.featured_image_caption,
        "credit": article.featured_image_credit,
    }


def _featured_image_as_sent(article: Article) -> dict[str, Any] | None:
    """The featured image as an update sends it (a revision's snapshot)."""
    if article.featured_image_media_id is None and not article.featured_image_url:
        return None
    return {
        "media_id": article.featured_image_media_id,
        "url": article.featured_image_url,
        "alt": article.featured_image_alt,
        "caption": article.featured_image_caption,
        "credit": article.featured_image_credit,
    }


def _article_fields(article: ArticleData) -> dict[str, object]:
    return {
        "id": article.id,
        "slug": article.slug,
        "url": site.page_url(article) if (site := current_site()) is not None else None,
        "title": article.title,
        "subtitle": article.subtitle,
        "excerpt": article.excerpt,
        "lang": article.lang,
        "dir": text_direction(article.lang),
        "status": article.status,
        "published_at": article.published_at,
        "is_exclusive": article.is_exclusive,
        "is_breaking": article.is_breaking,
        "category": TermRef.model_validate(article.category) if article.category else None,
        "tags": [TermRef.model_validate(tag) for tag in article.tags],
        "authors": [TermRef.model_validate(author) for author in article.authors],
        "featured_image": _featured_image(article),
        "comments_enabled": article.comments_enabled,
        "comment_count": article.comment_count,
        "word_count": article.word_count,
        "reading_time_minutes": article.reading_time_minutes,
        "version": article.version,
        "created_at": article.created_at,
        "updated_at": article.updated_at,
    }


class ArticleView(StrEnum):
    """What an editor's `status` filter selects."""

    draft = "draft"
    published = "published"
    scheduled = "scheduled"
    archived = "archived"
    deleted = "deleted"


class ArticleFilters(BaseModel):
    """The filters of article lists and search (all optional, combined with AND)."""

    category: str | None = Field(None, description="Category slug.", examples=["سياسة"])
    tag: str | None = Field(None, description="Tag slug.", examples=["مفاوضات"])
    author: str | None = Field(None, description="Author slug.", examples=["سلمى-الخطيب"])
    is_exclusive: bool | None = Field(None, description="Only «خاص» articles (or only others).")
    is_breaking: bool | None = Field(None, description="Only «عاجل» articles (or only others).")
    lang: str | None = Field(
        None, pattern=LANG_PATTERN, max_length=12, description="Language tag.", examples=["ar"]
    )
    published_after: Moment | None = Field(
        None,
        description="Published at or after this time (with an offset).",
        examples=["2026-11-01T00:00:00Z"],
    )
    published_before: Moment | None = Field(
        None,
        description="Published strictly before this time (with an offset).",
        examples=["2026-12-01T00:00:00+03:00"],
    )


class ArticleListQuery(PageQuery, ArticleFilters):
    """Paging, filters, field selection, and the editor's status views."""

    fields: str | None = field_selection(ArticleListItem)
    status: ArticleView | None = Field(
        None,
        description="Editors only (a token with `articles:write`), except `published`: "
        "`draft`, `scheduled` (published with a future time), `archived` or `deleted`. "
        "Drafts, archived and deleted articles come newest-created first.",
    )


class FeaturedImageIn(BaseModel):
    """A picture of the media library (`media_id`: its alt, caption and credit are used
    unless these are sent) or an external picture (`url`)."""

    model_config = ConfigDict(extra="forbid")

    media_id: StrictInt | None = Field(None, ge=1, lt=2**31, examples=[12])
    url: WebUrl | None = Field(None, examples=["https://cdn.example.com/2026/11/aleppo-market.jpg"])
    alt: AltText | None = Field(None, examples=["سوق المدينة القديمة في حلب صباحاً"])
    caption: Excerpt | None = Field(None, examples=["الباعة يعودون إلى السوق بعد الترميم"])
    credit: Name | None = Field(None, examples=["تصوير: ليلى حدّاد"])

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if (self.media_id is None) == (self.url is None):
            raise ValueError("send either media_id (a picture of the media library) or url")
        return self


# An article named in a write: its id, or its slug (a slug it had before names it too).
ArticleRefIn = Annotated[StrictInt, Field(ge=1, le=ID_MAX)] | Slug
RELATED_MAX = 20


class ArticleCreate(BaseModel):
    """A new article. Category, tags and authors are given by slug."""

    model_config = ConfigDict(extra="forbid")

    slug: Slug | None = Field(
        None, description="Derived from the title when omitted.", examples=["افتتاح-سوق-الحرير"]
    )
    title: Title = Field(examples=["افتتاح سوق الحرير بعد ترميمٍ دام ثلاث سنوات"])
    subtitle: Title | None = Field(None, examples=["التجار يعودون إلى محالّهم القديمة"])
    excerpt: Excerpt | None = Field(None, examples=["عاد السوق الأقدم في المدينة إلى الحياة."])
    body: Body = Field("", description="HTML; sanitised on the way in.")
    lang: str = Field("ar", pattern=LANG_PATTERN, max_length=12, examples=["ar"])
    status: ArticleStatus = ArticleStatus.draft
    published_at: Moment | None = Field(
        None, description="A future time on a published article schedules it."
    )
    is_exclusive: StrictBool = False
    is_breaking: StrictBool = False
    category: Slug | None = Field(None, examples=["سياسة"])
    tags: list[Slug] = Field(default_factory=list, max_length=50, examples=[["مفاوضات"]])
    authors: list[Slug] = Field(default_factory=list, max_length=20, examples=[["سلمى-الخطيب"]])
    related: list[ArticleRefIn] = Field(
        default_factory=list,
        max_length=RELATED_MAX,
        description='Articles to show under it as related ("read also"), in order, by '
        "id or slug; any status (only public ones are ever shown to the public).",
        examples=[[318, "إعادة-افتتاح-خان-الشونة"]],
    )
    featured_image: FeaturedImageIn | None = None
    comments_enabled: StrictBool = True


class ArticleUpdate(BaseModel):
    """A partial update: only the fields sent change. Terms are given by slug; `tags`,
    `authors` and `related` replace the whole list. `excerpt: null` asks for one derived
    from the body."""

    model_config = ConfigDict(extra="forbid")

    slug: Slug | None = Field(None, description="The old slug keeps finding the article.")
    title: Title | None = None
    subtitle: Title | None = None
    excerpt: Excerpt | None = None
    body: Body | None = None
    lang: str | None = Field(None, pattern=LANG_PATTERN, max_length=12)
    status: ArticleStatus | None = None
    published_at: Moment | None = None
    is_exclusive: StrictBool | None = None
    is_breaking: StrictBool | None = None
    category: Slug | None = None
    tags: list[Slug] | None = Field(None, max_length=50)
    authors: list[Slug] | None = Field(None, max_length=20)
    related: list[ArticleRefIn] | None = Field(None, max_length=RELATED_MAX)
    featured_image: FeaturedImageIn | None = None
    comments_enabled: StrictBool | None = None

    @model_validator(mode="after")
    def _required_fields_are_not_null(self) -> Self:
        never_null = NOT_NULLABLE & {
            name for name in self.model_fields_set if getattr(self, name) is None
        }
        if never_null:
            raise ValueError(f"cannot be null: {', '.join(sorted(never_null))}")
        return self


NOT_NULLABLE = frozenset(
    {
        "slug",
        "title",
        "body",
        "lang",
        "status",
        "is_exclusive",
        "is_breaking",
        "tags",
        "authors",
        "related",
        "comments_enabled",
    }
)


class ArticleSnapshot(ArticleCreate):
    """An article's editable fields as they were, in the shape of a write request."""

    slug: Slug


class ArticleRevisionPublic(BaseModel):
    id: int = Field(examples=[12])
    article_id: int = Field(examples=[42])
    version: int = Field(description="The version this snapshot was.", examples=[3])
    reason: RevisionReason = Field(
        description="What replaced this version: an update, a delete, an undelete or a "
        "restore of another revision.",
        examples=["update"],
    )
    token_id: int | None = Field(description="The token that made the change.", examples=[7])
    created_at: datetime
    snapshot: ArticleSnapshot

    @classmethod
    def from_revision(cls, revision: ArticleRevision) -> "ArticleRevisionPublic":
        return cls(
            id=revision.id,
            article_id=revision.article_id,
            version=revision.version,
            reason=RevisionReason(revision.reason),
            token_id=revision.token_id,
            created_at=revision.created_at,
            snapshot=ArticleSnapshot.model_validate(revision.snapshot),
        )


class RevisionPage(Page[ArticleRevisionPublic]):
    pass


def snapshot_of(article: Article) -> dict[str, Any]:
    """The article's editable fields as JSON, ready to send back as an update."""
    return {
        "slug": article.slug,
        "title": article.title,
        "subtitle": article.subtitle,
        "excerpt": article.excerpt,
        "body": article.body,
        "lang": article.lang,
        "status": article.status.value,
        "published_at": article.published_at.isoformat() if article.published_at else None,
        "is_exclusive": article.is_exclusive,
        "is_breaking": article.is_breaking,
        "category": article.category.slug if article.category else None,
        "tags": [tag.slug for tag in article.tags],
        "authors": [author.slug for author in article.authors],
        "related": article.related,
        "featured_image": _featured_image_as_sent(article),
        "comments_enabled": article.comments_enabled,
    }


# Draft previews

PREVIEW_SECONDS_MAX = 7 * 24 * 3600


class PreviewCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    expires_in: StrictInt = Field(
        24 * 3600,
        ge=1,
        le=PREVIEW_SECONDS_MAX,
        description="Seconds the link works (at most 7 days).",
        examples=[86400],
    )
    revision_id: StrictInt | None = Field(
        None,
        ge=1,
        lt=2**31,
        description="Show this revision of the article (`/revisions`) rather than the "
        "article as it is when the link is opened.",
        examples=[None],
    )


class PreviewPublic(BaseModel):
    """A preview link (its secret is only ever shown when it is made)."""

    id: int = Field(examples=[5])
    article_id: int = Field(examples=[42])
    revision_id: int | None = Field(examples=[None])
    expires_at: AwareDatetime = Field(examples=["2026-11-29T09:30:00Z"])
    created_at: AwareDatetime = Field(examples=["2026-11-28T09:30:00Z"])

    @classmethod
    def from_row(cls, preview: ArticlePreview) -> "PreviewPublic":
        return cls.model_validate(preview, from_attributes=True)


class PreviewCreated(PreviewPublic):
    secret: str = Field(
        description="Shown this once: the link's key (`GET /v1/previews/{secret}`).",
        examples=["akp_q3V8mJ2vXnL0cT7rW1bY9kH4sD6fG5aZ8eU2iO0pR3x"],
    )
    url: str | None = Field(
        description="The frontend's preview page for it (`AKHBAR_PREVIEW_URL_TEMPLATE`); "
        "null when that is not set.",
        examples=[
            "https://akhbar.example/preview?secret=akp_q3V8mJ2vXnL0cT7rW1bY9kH4sD6fG5aZ8eU2iO0pR3x"
        ],
    )


class PreviewList(BaseModel):
    data: list[PreviewPublic]


# Most read


class PopularQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    window: Literal["1h", "24h", "7d"] = Field(
        "24h",
        description="Views counted by the hour: `1h` is this hour and the one before it, "
        "`24h` this hour and the 24 before it, `7d` a week's.",
    )
    category: str | None = Field(None, description="Category slug.", examples=["سياسة"])
    limit: int = Field(10, ge=1, le=50, description="How many.", examples=[10])


class PopularItem(ArticleListItem):
    views: int = Field(description="Views within the window.", examples=[1520])


class PopularPage(BaseModel):
    window: Literal["1h", "24h", "7d"] = Field(examples=["24h"])
    data: list[PopularItem]
