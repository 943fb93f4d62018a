"""The lean public read (app.articles.reads) answers exactly what the ORM's read answers."""

import pytest
from sqlmodel import Session, col, select

from app.articles import reads, service
from app.articles.schemas import ArticlePublic, PublicArticle
from app.core.clock import utc_now
from app.core.config import Settings
from app.core.errors import NotFound
from app.demo.loader import load_demo
from app.media.library import MediaLibrary
from app.models import Article, ArticleSlugRedirect
from app.models.article import public_at
from tests.factories import make_article


def test_every_demo_article_reads_the_same_lean_as_through_the_orm(
    session: Session, settings: Settings
) -> None:
    load_demo(session, MediaLibrary.from_settings(settings))
    session.commit()
    public = session.exec(select(Article).where(public_at(utc_now()))).all()
    pictured = {a.id for a in public if a.featured_image_media_id is not None}
    assert len(pictured) == 3
    assert sum(len(a.authors) > 1 for a in public) >= 1

    for article in public:
        assert article.id is not None
        for ref in (str(article.id), article.slug):
            expected = service.get_article(session, ref)
            lean = reads.public_article(session, ref)

            assert isinstance(lean, PublicArticle)
            assert ArticlePublic.from_article(lean) == ArticlePublic.from_article(expected)
            assert reads.public_article_key(session, ref) == (article.id, article.comments_enabled)


def test_what_the_lean_read_does_not_find_goes_the_long_way(session: Session) -> None:
    article = make_article(session, "مدرسة البلدة تفتح أبوابها")
    session.add(ArticleSlugRedirect(old_slug="مدرسة-قديمة", article_id=article.id))
    session.commit()

    # A spelling variant of the slug: found by the ORM's read, then read lean by its id
    # (every public answer of an article is the lean one: it holds only public related).
    variant = reads.public_article(session, "مدرسه-البلده-تفتح-ابوابها")
    assert isinstance(variant, PublicArticle)
    assert variant.id == article.id
    assert reads.public_article_key(session, "مدرسه-البلده-تفتح-ابوابها").id == article.id
    for read in (reads.public_article, reads.public_article_key):
        with pytest.raises(service.ArticleMoved) as moved:
            read(session, "مدرسة-قديمة")
        assert moved.value.slug == article.slug
        with pytest.raises(NotFound):
            read(session, "لا-خبر-بهذا-العنوان")
        with pytest.raises(NotFound):
            read(session, str(2**40))
    assert session.exec(select(col(Article.id))).all() == [article.id]
