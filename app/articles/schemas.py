"""Articles as the API shows them."""

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from app.models import Article, ArticleStatus
from app.pagination import Page, PageQuery
from app.taxonomy.schemas import TermRef
from app.text.fields import Body, Excerpt, Name, Slug, Title, WebUrl

LANG_PATTERN = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"
# Primary language subtags written right to left.
RTL_LANGUAGES = frozenset(
    {"ar", "arc", "ckb", "dv", "fa", "he", "ku", "ps", "sd", "ug", "ur", "yi"}
)


def text_direction(lang: str) -> Literal["rtl", "ltr"]:
    return "rtl" if lang.split("-", 1)[0].lower() in RTL_LANGUAGES else "ltr"


class FeaturedImage(BaseModel):
    url: str = Field(examples=["https://cdn.example.com/2026/11/aleppo-market.jpg"])
    alt: str | None = Field(examples=["سوق المدينة القديمة في حلب صباحاً"])
    caption: str | None = Field(examples=["الباعة يعودون إلى السوق بعد الترميم"])
    credit: str | None = Field(examples=["تصوير: ليلى حدّاد"])


class ArticleListItem(BaseModel):
    """An article in a list: everything but the body."""

    id: int = Field(examples=[42])
    slug: str = Field(examples=["افتتاح-سوق-الحرير-بعد-الترميم"])
    title: str = Field(examples=["افتتاح سوق الحرير بعد ترميمٍ دام ثلاث سنوات"])
    subtitle: str | None = Field(examples=["التجار يعودون إلى محالّهم القديمة"])
    excerpt: str | None = Field(examples=["عاد السوق الأقدم في المدينة إلى الحياة صباح اليوم."])
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
    word_count: int = Field(examples=[412])
    reading_time_minutes: int = Field(examples=[3])
    version: int = Field(examples=[1])
    created_at: datetime = Field(examples=["2026-11-28T08:00:00Z"])
    updated_at: datetime = Field(examples=["2026-11-28T09:30:00Z"])

    @classmethod
    def from_article(cls, article: Article) -> "ArticleListItem":
        return cls.model_validate(_article_fields(article))


class ArticlePublic(ArticleListItem):
    """A whole article."""

    body: str = Field(
        description="Sanitised HTML.",
        examples=["<p>عاد السوق الأقدم في المدينة إلى الحياة صباح اليوم.</p>"],
    )

    @classmethod
    def from_article(cls, article: Article) -> "ArticlePublic":
        return cls.model_validate({**_article_fields(article), "body": article.body})


class ArticlePage(Page[ArticleListItem]):
    pass


def _article_fields(article: Article) -> dict[str, object]:
    image = None
    if article.featured_image_url:
        image = FeaturedImage(
            url=article.featured_image_url,
            alt=article.featured_image_alt,
            caption=article.featured_image_caption,
            credit=article.featured_image_credit,
        )
    return {
        "id": article.id,
        "slug": article.slug,
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
        "featured_image": image,
        "comments_enabled": article.comments_enabled,
        "word_count": article.word_count,
        "reading_time_minutes": article.reading_time_minutes,
        "version": article.version,
        "created_at": article.created_at,
        "updated_at": article.updated_at,
    }


class ArticleListQuery(PageQuery):
    """Paging and the filters of the article list (all optional, combined with AND)."""

    category: str | None = Field(None, description="Category slug.", examples=["سياسة"])
    tag: str | None = Field(None, description="Tag slug.", examples=["مفاوضات"])
    author: str | None = Field(None, description="Author slug.", examples=["سلمى-الخطيب"])
    is_exclusive: bool | None = Field(None, description="Only «خاص» articles (or only others).")
    is_breaking: bool | None = Field(None, description="Only «عاجل» articles (or only others).")
    lang: str | None = Field(
        None, pattern=LANG_PATTERN, max_length=12, description="Language tag.", examples=["ar"]
    )
    published_after: AwareDatetime | None = Field(
        None,
        description="Published at or after this time (with an offset).",
        examples=["2026-11-01T00:00:00Z"],
    )
    published_before: AwareDatetime | None = Field(
        None,
        description="Published strictly before this time (with an offset).",
        examples=["2026-12-01T00:00:00+03:00"],
    )


class FeaturedImageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: WebUrl = Field(examples=["https://cdn.example.com/2026/11/aleppo-market.jpg"])
    alt: Name | None = Field(None, examples=["سوق المدينة القديمة في حلب صباحاً"])
    caption: Excerpt | None = Field(None, examples=["الباعة يعودون إلى السوق بعد الترميم"])
    credit: Name | None = Field(None, examples=["تصوير: ليلى حدّاد"])


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
    published_at: AwareDatetime | None = Field(
        None, description="A future time on a published article schedules it."
    )
    is_exclusive: bool = False
    is_breaking: bool = False
    category: Slug | None = Field(None, examples=["سياسة"])
    tags: list[Slug] = Field(default_factory=list, max_length=50, examples=[["مفاوضات"]])
    authors: list[Slug] = Field(default_factory=list, max_length=20, examples=[["سلمى-الخطيب"]])
    featured_image: FeaturedImageIn | None = None
    comments_enabled: bool = True
