"""Benchmark content: generate Arabic news records and load them into an Akhbar database.

Records have the shape of the peer harness's dataset (`../shared/bench-peers`), so the
same loader fills Akhbar for our own benchmark and for the side-by-side one:

    {"title", "slug", "excerpt", "body" (HTML), "category": {"slug", "name"} or a name,
     "tags": [names], "author": name, "published_at": ISO 8601,
     "comments": [{"author_name", "author_email", "content", "date"}]}

Loading goes around the API (bulk inserts, then one search-index rebuild): 10,000
articles take seconds, not the minutes that 10,000 POSTs would.
"""

import hashlib
import random
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, text

from app.core.config import Settings
from app.core.db import create_db_engine, open_session
from app.models import (
    Article,
    ArticleAuthor,
    ArticleStatus,
    ArticleTag,
    Author,
    Category,
    Comment,
    CommentStatus,
    Tag,
)
from app.ops.migrations import upgrade_to_head
from app.search.index import rebuild_index
from app.text.arabic import search_key
from app.text.html import html_to_text, sanitize_html
from app.text.slugs import slugify
from app.ticker.schemas import TickerHeadlineCreate
from app.ticker.service import create_headline
from app.wiring import event_handlers

# Sentences of our own, recombined into bodies; names and places for titles.
SENTENCES = [
    "عقدت اللجنة الوطنية اجتماعها الدوري لمناقشة خطة إعادة تأهيل الطرق في الأحياء القديمة.",
    "قال مسؤول في وزارة المياه إن محطة التحلية الجديدة ستدخل الخدمة قبل نهاية الربيع.",
    "شهدت أسواق المدينة حركة نشطة مع اقتراب العيد وارتفاع الطلب على الملابس والحلويات.",
    "أعلنت الجامعة عن منح دراسية لطلاب الهندسة والطب في إطار برنامج التعاون الإقليمي.",
    "تراجعت أسعار الخضروات في سوق الجملة بعد وصول شحنات كبيرة من المزارع الساحلية.",
    "افتتح المعرض السنوي للكتاب أبوابه بمشاركة مئات الناشرين من عشرين دولة.",
    "أكد المدرب أن الفريق جاهز للمباراة الحاسمة رغم غياب اثنين من اللاعبين الأساسيين.",
    "حذرت هيئة الأرصاد من رياح قوية وأمطار غزيرة على المرتفعات خلال اليومين المقبلين.",
    "بدأت البلدية حملة لزراعة ألف شجرة على جانبي الطريق الدائري.",
    "وقعت الشركتان اتفاقا لإنشاء مصنع للألواح الشمسية يوفر مئات فرص العمل.",
    "ناقش البرلمان مشروع قانون لتنظيم العمل عن بعد وحماية حقوق الموظفين.",
    "كشفت دراسة حديثة أن نسبة القراءة بين الشباب ارتفعت خلال السنوات الخمس الأخيرة.",
    "استقبل المستشفى الجامعي أجهزة حديثة لتشخيص أمراض القلب في وقت مبكر.",
    "أطلق الفنانون الشباب مبادرة لتجميل جدران المدارس برسوم ملونة.",
    "دعا خبراء الاقتصاد إلى تنويع مصادر الدخل وتشجيع الصناعات الصغيرة.",
    "أعيد فتح المتحف الوطني بعد أعمال ترميم استمرت ثلاث سنوات.",
]
SUBJECTS = ["الحكومة", "البلدية", "الجامعة", "المنتخب", "البنك المركزي", "وزارة الصحة", "المتحف"]
EVENTS = ["تعلن", "تناقش", "تفتتح", "تطلق", "تراجع", "تستقبل", "تدرس"]
OBJECTS = ["خطة جديدة", "مشروعا للطاقة", "برنامجا للتدريب", "ميزانية العام", "حملة وطنية"]
PLACES = ["في حلب", "في تونس", "في الرباط", "في عمّان", "في بيروت", "في القاهرة", "في جدة"]
CATEGORIES = ["سياسة", "اقتصاد", "رياضة", "ثقافة", "صحة", "مجتمع"]
TAGS = ["انتخابات", "طاقة", "تعليم", "مياه", "نقل", "سياحة", "زراعة", "كتب", "كرة القدم", "طقس"]
AUTHORS = ["سلمى الخطيب", "يوسف حداد", "ليلى منصور", "كريم العلي", "هالة سعيد"]
READERS = ["أبو سامر", "نور", "قارئ من حمص", "مها", "عادل"]


def generate(count: int, *, comments: int = 3, seed: int = 2026) -> Iterator[dict[str, Any]]:
    """``count`` article records, newest first, an hour apart, each with ``comments``."""
    rng = random.Random(seed)
    newest = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
    for n in range(count):
        title = " ".join(
            [rng.choice(SUBJECTS), rng.choice(EVENTS), rng.choice(OBJECTS), rng.choice(PLACES)]
        )
        paragraphs = [
            " ".join(rng.sample(SENTENCES, rng.randint(3, 5))) for _ in range(rng.randint(3, 6))
        ]
        published = newest - timedelta(hours=n)
        yield {
            "title": f"{title} ({n + 1})",
            "slug": f"{slugify(title)}-{n + 1}",
            "excerpt": paragraphs[0][:160],
            "body": "".join(f"<p>{p}</p>" for p in paragraphs),
            "category": rng.choice(CATEGORIES),
            "tags": rng.sample(TAGS, 3),
            "author": rng.choice(AUTHORS),
            "published_at": published.isoformat(),
            "comments": [
                {
                    "author_name": rng.choice(READERS),
                    "author_email": f"reader{n}-{c}@example.invalid",
                    "content": rng.choice(SENTENCES),
                    "date": (published + timedelta(minutes=5 * (c + 1))).isoformat(),
                }
                for c in range(comments)
            ],
        }


def _name(term: Any) -> str:
    return str(term["name"] if isinstance(term, dict) else term)


def load(settings: Settings, records: Iterable[dict[str, Any]], *, tickers: Iterable[str]) -> int:
    """Migrate, then insert the records (published), their terms, links and approved
    comments, the ticker headlines, and build the search index. Returns the article count."""
    upgrade_to_head(settings)
    engine = create_db_engine(settings)
    now = datetime.now(UTC)
    try:
        # The app's handlers: the ticker's headlines announce themselves.
        with open_session(engine, event_handlers()) as session:
            terms: dict[tuple[type[Any], str], int] = {}

            def term_id(model: type[Any], name: str) -> int:
                if (model, name) not in terms:
                    slug = slugify(name)
                    row = {"name": name, "slug": slug, "slug_key": search_key(slug)}
                    row |= {"created_at": now, "updated_at": now}
                    result = session.execute(insert(model).values(row).returning(model.id))
                    terms[(model, name)] = result.scalar_one()
                return terms[(model, name)]

            count = 0
            for count, record in enumerate(records, start=1):
                body = sanitize_html(record["body"])
                body_text = html_to_text(body)
                published = datetime.fromisoformat(record["published_at"].replace("Z", "+00:00"))
                article_id = session.execute(
                    insert(Article)
                    .values(
                        slug=record["slug"],
                        slug_key=search_key(record["slug"]),
                        title=record["title"],
                        excerpt=record["excerpt"],
                        body=body,
                        body_text=body_text,
                        lang="ar",
                        status=ArticleStatus.published,
                        published_at=published,
                        is_exclusive=count % 9 == 1,
                        is_breaking=count % 13 == 1,
                        category_id=term_id(Category, _name(record["category"])),
                        comments_enabled=True,
                        version=1,
                        word_count=len(body_text.split()),
                        reading_time_minutes=max(1, len(body_text.split()) // 200),
                        comment_count=len(record["comments"]),
                        created_at=published,
                        updated_at=published,
                    )
                    .returning(Article.id)
                ).scalar_one()
                session.execute(
                    insert(ArticleTag),
                    [
                        {"article_id": article_id, "tag_id": term_id(Tag, name)}
                        for name in dict.fromkeys(map(_name, record["tags"]))
                    ],
                )
                session.execute(
                    insert(ArticleAuthor).values(
                        article_id=article_id,
                        author_id=term_id(Author, _name(record["author"])),
                        position=0,
                    )
                )
                if record["comments"]:
                    session.execute(
                        insert(Comment), [_comment(article_id, c) for c in record["comments"]]
                    )
                if count % 1000 == 0:
                    session.commit()
            session.commit()
            for headline in tickers:
                create_headline(session, data=TickerHeadlineCreate(text=headline))
            rebuild_index(session)
            count = int(session.execute(select(func.count()).select_from(Article)).scalar_one())
        if engine.dialect.name == "postgresql":
            # What autovacuum does within a minute of a bulk load, before the bench reads:
            # without statistics the planner finds an article by slug by scanning them all.
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("ANALYZE"))
        return count
    finally:
        engine.dispose()


def _comment(article_id: int, comment: dict[str, Any]) -> dict[str, Any]:
    posted = datetime.fromisoformat(comment["date"].replace("Z", "+00:00"))
    body = comment["content"]
    return {
        "article_id": article_id,
        "depth": 0,
        "author_name": comment["author_name"],
        "author_email": comment["author_email"],
        "body": body,
        "body_hash": hashlib.sha256(body.encode()).hexdigest(),
        "status": CommentStatus.approved,
        "client_ip": "127.0.0.1",
        "created_at": posted,
        "updated_at": posted,
    }
