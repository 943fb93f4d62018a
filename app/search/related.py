"""Related articles ("read also"): those an editor pinned, then the best automatic matches.

A match is scored by what it shares with the article, mostly its most telling words: the
words of its title (counted thrice), excerpt (twice) and body, each weighed by how rare it
is among articles (tf·idf², idf once for each text holding the word, over the full-text
index, which reads words as the search does: any spelling, with or without proclitics;
function words never count). Articles about the same event share names and rare
words where they often share no tag. Shared tags and the category raise a match that
shares words, and alone make a weak one; newer articles are preferred.

The work is bounded: the ``LOOKED_UP`` commonest words of the article are looked up in
the index, the newest ``HELD_MAX + 1`` holders of each (a word more articles hold tells
nothing and is left out), the newest ``PER_TERM`` articles of each tag and of the
category; only the best ``SHORTLIST`` of those are read from the article table.
"""

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, text
from sqlmodel import Session

from app.articles import reads
from app.articles.schemas import PublicArticle
from app.core.clock import utc_now
from app.core.db import QueryTimedOut, time_limit
from app.models import metadata
from app.models.article import public_at
from app.search.service import SearchTookTooLong, gin_only
from app.text.arabic import key_tokens, stems

LOOKED_UP = 24
TELLING = 12
HELD_MAX = 500
PER_TERM = 200
SHORTLIST = 200
# How much a shared tag (all of the article's tags: 1) and the category add to a match
# that shares words, and what they are worth alone.
TAGS_BOOST, CATEGORY_BOOST = 0.5, 0.2
TAGS_ALONE, CATEGORY_ALONE = 0.05, 0.025
# A match this many days old weighs half as much more than the oldest (see _recency).
HALF_LIFE_DAYS = 30
# Where the title's and the excerpt's words count more than the body's.
TITLE_WEIGHT, EXCERPT_WEIGHT = 3, 2

# Words every article holds whatever it is about: never telling, however rare a small
# collection makes them look.
_FUNCTION_WORDS = """
في من إلى على عن مع حتى بعد قبل بين تحت فوق عند لدى منذ خلال ضد نحو دون غير كل بعض أي
الذي التي الذين اللذين اللتين اللواتي هذا هذه ذلك تلك هؤلاء هنا هناك كان كانت يكون تكون
كانوا قد لقد لم لن لا ما ماذا إن أن إذا كما أو ثم بل لكن أيضا قال قالت يقول أكثر أقل
اليوم أمس غدا حيث عبر إثر أمام وراء حول عدة أحد إحدى عام العام هو هي هم نحن
"""
_ARTICLE = metadata.tables["article"]
_TAGGED = metadata.tables["article_tag"]
_PINNED = metadata.tables["article_related"]


@dataclass(frozen=True)
class Related:
    article: PublicArticle
    pinned: bool


def related_articles(
    session: Session,
    article_id: int,
    *,
    limit: int,
    timeout_ms: int,
    now: datetime | None = None,
) -> list[Related]:
    """The public articles to show under the (public) article ``article_id``: those an
    editor pinned, in their order, then the best matches; never itself. The database may
    spend ``timeout_ms`` on it (SearchTookTooLong after that), as on a search."""
    try:
        with time_limit(session, timeout_ms):
            return _related(session, article_id, limit, now or utc_now())
    except QueryTimedOut:
        raise SearchTookTooLong(timeout_ms) from None


def _related(session: Session, article_id: int, limit: int, now: datetime) -> list[Related]:
    pinned_ids = list(
        session.execute(
            select(_PINNED.c.related_id)
            .where(_PINNED.c.article_id == article_id)
            .order_by(_PINNED.c.position)
        ).scalars()
    )
    found = reads.public_items(session, pinned_ids, now=now)
    shown = [Related(found[i], True) for i in pinned_ids if i in found][:limit]
    wanted = limit - len(shown)
    if wanted > 0:
        skipped = {article_id, *pinned_ids}
        best = _matches(session, article_id, skipped, wanted, now)
        found = reads.public_items(session, best, now=now)
        shown += [Related(found[i], False) for i in best if i in found]
    return shown


def _matches(
    session: Session, article_id: int, skipped: set[int], wanted: int, now: datetime
) -> list[int]:
    """The ids of the ``wanted`` best public matches of the article, best first."""
    title, excerpt, body, category_id = session.execute(
        select(
            _ARTICLE.c.title, _ARTICLE.c.excerpt, _ARTICLE.c.body_text, _ARTICLE.c.category_id
        ).where(_ARTICLE.c.id == article_id)
    ).one()
    scores = _word_scores(session, _word_counts(title, excerpt, body))
    tag_ids = list(
        session.execute(
            select(_TAGGED.c.tag_id).where(_TAGGED.c.article_id == article_id)
        ).scalars()
    )
    sharing: Counter[int] = Counter()
    for tag_id in tag_ids:
        sharing.update(
            session.execute(
                select(_TAGGED.c.article_id)
                .where(_TAGGED.c.tag_id == tag_id)
                .order_by(_TAGGED.c.article_id.desc())
                .limit(PER_TERM)
            ).scalars()
        )
    # Each candidate's share of the article's telling words (0..1) and of its tags.
    total = sum(score for score, _ in scores.values()) or 1.0
    words: dict[int, float] = {}
    for score, holders in scores.values():
        for holder in holders:
            words[holder] = words.get(holder, 0.0) + score / total
    tags = {holder: shared / len(tag_ids) for holder, shared in sharing.items()}

    def partial(candidate: int) -> float:
        shared_words, shared_tags = words.get(candidate, 0.0), tags.get(candidate, 0.0)
        return shared_words * (1 + TAGS_BOOST * shared_tags) + TAGS_ALONE * shared_tags

    candidates = (set(words) | set(tags)) - skipped
    shortlist = sorted(candidates, key=lambda c: (partial(c), c), reverse=True)[:SHORTLIST]
    if category_id is not None:  # the category's newest, for an article with few matches
        shortlist += session.execute(
            select(_ARTICLE.c.id)
            .where(_ARTICLE.c.category_id == category_id, public_at(now))
            .order_by(_ARTICLE.c.published_at.desc())
            .limit(wanted + len(skipped))
        ).scalars()
    rows = session.execute(
        select(_ARTICLE.c.id, _ARTICLE.c.category_id, _ARTICLE.c.published_at).where(
            _ARTICLE.c.id.in_(set(shortlist) - skipped), public_at(now)
        )
    ).all()
    ranked = []
    for candidate, candidate_category, published_at in rows:
        same = category_id is not None and candidate_category == category_id
        score = partial(candidate) + (
            words.get(candidate, 0.0) * CATEGORY_BOOST + CATEGORY_ALONE if same else 0.0
        )
        ranked.append((score * _recency(published_at, now), candidate))
    ranked.sort(reverse=True)
    return [candidate for _, candidate in ranked[:wanted]]


def _word_counts(title: str, excerpt: str | None, body: str) -> Counter[str]:
    """The article's words (``_word``), each counted as often as it occurs, thrice in the
    title and twice in the excerpt."""
    counts: Counter[str] = Counter()
    for text_, weight in ((title, TITLE_WEIGHT), (excerpt or "", EXCERPT_WEIGHT), (body, 1)):
        for word in _words(text_):
            counts[word] += weight
    return counts


def _words(text_: str) -> list[str]:
    """The words of a text by their shortest reading (without proclitics: "والزلزال" and
    "زلزال" are one word), numbers and function words ("وإن" as "إن") left out."""
    return [
        min(stems(t), key=lambda s: (len(s), s))
        for t in key_tokens(text_)
        if not t.isdigit() and not _is_function_word(t)
    ]


def _is_function_word(token: str) -> bool:
    """One of _FUNCTION_WORDS, alone or after "و" or "ف" ("وإن", "فقد")."""
    return token in _FUNCTION or (token[:1] in ("و", "ف") and token[1:] in _FUNCTION)


_FUNCTION = frozenset(key_tokens(_FUNCTION_WORDS))


def _word_scores(session: Session, counts: Counter[str]) -> dict[str, tuple[float, Sequence[int]]]:
    """The article's ``TELLING`` most telling words: for each, its tf·idf and the articles
    holding it (the article among them)."""
    articles = max(_corpus_size(session), 1)
    scored = {}
    sqlite = session.get_bind().dialect.name == "sqlite"
    if not sqlite:
        gin_only(session, True)
    for word, count in counts.most_common(LOOKED_UP):
        if len(word) < 3:
            continue
        holders = _holders_sqlite(session, word) if sqlite else _holders_postgres(session, word)
        if len(holders) > HELD_MAX or len(holders) < 2:  # everywhere, or only here
            continue
        idf = math.log(articles / len(holders))
        if idf > 0:
            scored[word] = (count * idf * idf, holders)
    if not sqlite:
        gin_only(session, False)
    best = sorted(scored, key=lambda word: scored[word][0], reverse=True)[:TELLING]
    return {word: scored[word] for word in best}


def _corpus_size(session: Session) -> int:
    count: int | None = session.execute(select(func.max(_ARTICLE.c.id))).scalar()
    return count or 0


def _holders_sqlite(session: Session, word: str) -> Sequence[int]:
    match = f'{{title_stems excerpt_stems body_stems}} : "{word}"'
    return (
        session.execute(
            text(
                "SELECT rowid FROM article_fts WHERE article_fts MATCH :match"
                " ORDER BY rowid DESC LIMIT :n"
            ),
            {"match": match, "n": HELD_MAX + 1},
        )
        .scalars()
        .all()
    )


def _holders_postgres(session: Session, word: str) -> Sequence[int]:
    return (
        session.execute(
            text(
                "SELECT article_id FROM article_search"
                " WHERE document @@ to_tsquery('simple', :query)"
                " ORDER BY article_id DESC LIMIT :n"
            ),
            {"query": f"'{word}'", "n": HELD_MAX + 1},
        )
        .scalars()
        .all()
    )


def _recency(published_at: datetime, now: datetime) -> float:
    """From 1 for an article published now down towards 0.7 for an old one."""
    days = max((now - published_at).total_seconds() / 86_400, 0.0)
    return 0.7 + 0.3 * math.pow(0.5, days / HALF_LIFE_DAYS)
