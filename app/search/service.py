"""Ranked full-text search over public articles."""

import html
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Literal

from sqlalchemy import (
    ColumnElement,
    bindparam,
    column,
    exists,
    func,
    literal_column,
    table,
    text,
)
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.articles import reads
from app.articles.schemas import PublicArticle
from app.articles.service import article_filters
from app.core.clock import utc_now
from app.core.db import QueryTimedOut, time_limit
from app.core.errors import AkhbarError, InvalidInput
from app.core.pagination import decode_cursor, encode_cursor
from app.models import Article
from app.models.article import public_at
from app.search.query import Term, fts5_match, loosened, matched_words, parse, tsquery
from app.search.schemas import SearchQuery
from app.text.arabic import key_tokens, stems

CURSOR_KIND = "search"
# With fewer exact hits than this on the first page, close spellings are tried too.
FUZZY_BELOW = 3
FUZZY_CANDIDATES = 100
FUZZY_MIN_SIMILARITY = 0.45
# Close spellings are for a name written another way: a word or three, of a name's
# length. A query of a dozen long words that match nothing would otherwise look for
# close spellings of every one across nearly the whole corpus (seconds per request).
FUZZY_MAX_WORDS = 3
FUZZY_MAX_WORD_LENGTH = 20
# Close spellings are looked for by trigrams held by at most this many articles together.
FUZZY_GRAM_ARTICLES = 10_000
MAX_OFFSET = 1000
# A query is ranked among its newest matches only, this many (a common word is in most
# articles; ranking them all costs hundreds of milliseconds at 100,000 articles). Pages
# reach MAX_OFFSET, so this stays above it.
MAX_RANKED = 2000
RANKED_TERMS = 4
SNIPPET_WORDS = 24

_fts = table("article_fts", column("rowid"), column("rank"))
OVERSAMPLE = 4
_pg_index = table("article_search", column("article_id"), column("document"))


class SearchTookTooLong(AkhbarError):
    status = 503

    def __init__(self, milliseconds: int) -> None:
        super().__init__(
            f"the search ran past its time limit ({milliseconds} ms) and was stopped; "
            "try again, with rarer words or a filter",
            arabic="استغرق البحث أطول مما يُسمح به فأُوقف: أعد المحاولة بكلمات أندر أو بتصفية",
        )
        self.retry_after_seconds = 1


@dataclass(frozen=True)
class Hit:
    article: PublicArticle
    snippet: str
    match: Literal["exact", "fuzzy"]


# An article as a hit is made of: its list form, read lean, and the text its snippet is
# cut from (the body's, or the excerpt).
Found = tuple[PublicArticle, str]


def search(
    session: Session, *, query: SearchQuery, timeout_ms: int, now: datetime | None = None
) -> tuple[list[Hit], str | None]:
    """A page of hits, best first, and the cursor of the next page. Exact matches come
    first; when they are few, articles with a close spelling of every word follow. The
    database may spend ``timeout_ms`` on it (SearchTookTooLong after that)."""
    try:
        with time_limit(session, timeout_ms):
            return _search(session, query, now or utc_now())
    except QueryTimedOut:
        raise SearchTookTooLong(timeout_ms) from None


def _search(session: Session, query: SearchQuery, now: datetime) -> tuple[list[Hit], str | None]:
    terms = parse(query.q)
    if not terms:
        raise InvalidInput("the query has no letters or digits to search for", field=("q",))
    offset = 0
    if query.cursor is not None:
        (offset,) = decode_cursor(query.cursor, kind=CURSOR_KIND, shape=(int,))
        if not 0 < offset <= MAX_OFFSET:
            raise InvalidInput("the cursor is not one this list gave out", field=("cursor",))
    # What the public may see that the filters keep: looked up once (term slugs to ids).
    shown = [public_at(now), *article_filters(session, query)]
    exact = _exact_sqlite if session.get_bind().dialect.name == "sqlite" else _exact_postgres
    rows, attested = exact(session, terms, query, offset, shown)
    more = len(rows) > query.limit and offset + query.limit < MAX_OFFSET
    marks = Marks(terms)
    hits = [Hit(article, snippet(text, marks), "exact") for article, text in rows[: query.limit]]
    # Close spellings, for words the articles hardly hold (not when filters left few).
    if offset == 0 and len(hits) < FUZZY_BELOW and attested < FUZZY_BELOW:
        seen = {hit.article.id for hit in hits}
        marks = Marks(terms, fuzzy=True)
        hits += [
            Hit(article, snippet(text, marks), "fuzzy")
            for article, text in _fuzzy(session, terms, shown, limit=query.limit + len(seen))
            if article.id not in seen
        ][: query.limit - len(hits)]
    return hits, encode_cursor(CURSOR_KIND, [offset + query.limit]) if more else None


# The work of a search is bounded: a query is ranked among the newest MAX_RANKED articles
# that hold its words in any order (the floor), a phrase is checked from the floor up, and
# a query of more than RANKED_TERMS words lists its matches newest first (all hold every
# word; ranking each against a dozen words costs far more than finding them). Each answers
# its rows (up to the page's end, and one more) and how many articles hold the words.


def _exact_sqlite(
    session: Session,
    terms: list[Term],
    query: SearchQuery,
    offset: int,
    shown: list[ColumnElement[bool]],
) -> tuple[list[Found], int]:
    by_rank = len(terms) <= RANKED_TERMS
    floor, attested = 0, 0
    if by_rank or any(term.is_phrase for term in terms):
        words = literal_column("article_fts").op("MATCH")(fts5_match(loosened(terms)))
        floor, attested = _newest_matches(session, select(_fts.c.rowid).where(words), _fts.c.rowid)
    if any(term.is_phrase for term in terms):
        return _phrase_matches_sqlite(session, terms, query, offset, shown, floor, by_rank)
    # FTS5 orders its own matches (by BM25 with title > excerpt > body, or newest first)
    # and stops at a LIMIT: the best few times more than the page needs, then the article
    # filters on those ids; only if filters leave too few, and there were more, all of
    # them (from the floor up, or the newest MAX_RANKED).
    match = literal_column("article_fts").op("MATCH")(fts5_match(terms))
    order = [_fts.c.rank, _fts.c.rowid.desc()] if by_rank else [_fts.c.rowid.desc()]
    matches = select(_fts.c.rowid).where(match, _fts.c.rowid >= floor).order_by(*order)
    top = (offset + query.limit + 1) * OVERSAMPLE
    ids: Sequence[int] = session.execute(matches.limit(top)).scalars().all()
    page = _visible(session, ids, shown)[offset : offset + query.limit + 1]
    if len(page) <= query.limit and len(ids) == top:
        ids = session.execute(matches.limit(max(MAX_RANKED, top))).scalars().all()
        page = _visible(session, ids, shown)[offset : offset + query.limit + 1]
    return _load_in_order(session, page), attested


def _phrase_matches_sqlite(
    session: Session,
    terms: list[Term],
    query: SearchQuery,
    offset: int,
    shown: list[ColumnElement[bool]],
    floor: int,
    by_rank: bool,
) -> tuple[list[Found], int]:
    """_exact_sqlite for a query holding a phrase: every match from the floor up (at most
    MAX_RANKED: each holds the query's words), those with the phrase in the title first,
    then newest first. Not FTS5's BM25: it counts a phrase's matches across the whole
    corpus (30–50 ms for a phrase of common words at 100,000 articles), and FTS5 only
    starts from the floor when it walks its matches in ascending order."""

    def matching(phrases_in: str) -> set[int]:
        match = literal_column("article_fts").op("MATCH")(fts5_match(terms, phrases_in))
        found = select(_fts.c.rowid).where(match, _fts.c.rowid >= floor).order_by(_fts.c.rowid)
        return set(session.execute(found).scalars())

    everywhere = matching("title excerpt body")
    in_title = matching("title") if by_rank and everywhere else set()
    ids = sorted(everywhere, key=lambda article_id: (article_id not in in_title, -article_id))
    return _load_in_order(
        session, _visible(session, ids, shown)[offset : offset + query.limit + 1]
    ), len(everywhere)


def _visible(session: Session, ids: Sequence[int], shown: list[ColumnElement[bool]]) -> list[int]:
    """``ids`` that are public and pass the query's filters (``shown``), in their order."""
    if session.get_bind().dialect.name == "sqlite":
        # Each id looked up by its primary key. Asked as "id IN (...) AND published ...",
        # SQLite's planner walks the index of public articles instead (it takes
        # "status = ?" for a selective test): 25 ms for a hundred ids at 100,000
        # articles, not 0.2.
        wanted = func.json_each(json.dumps(list(ids))).table_valued("value")
        each = exists().where(col(Article.id) == wanted.c.value, *shown)
        return list(session.execute(select(wanted.c.value).where(each)).scalars())
    passing = set(
        session.execute(select(Article.id).where(col(Article.id).in_(ids), *shown)).scalars()
    )
    return [article_id for article_id in ids if article_id in passing]


def _load_in_order(session: Session, ids: Sequence[int]) -> list[Found]:
    """The articles ``ids`` name (chosen by a query that kept public ones only), as a list
    shows them (read lean, no ORM objects), with their text, in that order. Looked up by
    id alone: SQLite, asked for "id IN (...) AND published ...", walks the index of public
    articles instead (see _visible)."""
    if not ids:
        return []
    items = reads.chosen_items(session, ids)
    texts = {
        article_id: body_text or excerpt or ""
        for article_id, body_text, excerpt in session.execute(
            select(Article.id, Article.body_text, Article.excerpt).where(col(Article.id).in_(ids))
        )
    }
    return [(items[i], texts[i]) for i in ids if i in items and i in texts]


def _exact_postgres(
    session: Session,
    terms: list[Term],
    query: SearchQuery,
    offset: int,
    shown: list[ColumnElement[bool]],
) -> tuple[list[Found], int]:
    by_rank = len(terms) <= RANKED_TERMS
    document, article_id = _pg_index.c.document, _pg_index.c.article_id
    floor, attested = 0, 0
    if by_rank or any(term.is_phrase for term in terms):
        words = document.op("@@")(func.to_tsquery(text("'simple'"), tsquery(loosened(terms))))
        floor, attested = _newest_postgres_matches(session, words)
    ts_query = func.to_tsquery(text("'simple'"), tsquery(terms))
    rank = func.ts_rank(text("'{0.1, 0.3, 0.6, 1.0}'"), document, ts_query)
    ranked = (
        select(col(Article.id))
        .join(_pg_index, article_id == col(Article.id))
        .where(article_id >= floor, document.op("@@")(ts_query))
        .order_by(*([rank.desc()] if by_rank else []), col(Article.id).desc())
    )
    return _page(session, ranked, query, offset, shown), attested


def _newest_matches(
    session: Session, matching_ids: SelectOfScalar[int], article_id: ColumnElement[int]
) -> tuple[int, int]:
    """The lowest id among the newest MAX_RANKED matches (of the query's words, in any
    order), and how many there are: only articles from that id up are ranked. Finding
    them costs little (the index lists matches by id, and stops after that many); ranking,
    or checking a phrase in, every article that holds a common word would cost a scan of
    the whole corpus."""
    newest = matching_ids.order_by(article_id.desc()).limit(MAX_RANKED).subquery()
    floor, count = session.execute(select(func.min(newest.c[0]), func.count())).one()
    return floor or 0, count


# PostgreSQL looks for a query's newest matches among the newest this many articles, then
# ten times as many, then all.
_SPANS = (5_000, 50_000, None)


def _newest_postgres_matches(session: Session, words: ColumnElement[bool]) -> tuple[int, int]:
    """_newest_matches on PostgreSQL: through the GIN index alone (see gin_only), first
    among the newest articles, widening only while there are too few."""
    article_id = _pg_index.c.article_id
    newest_id = session.execute(select(func.max(article_id))).scalar_one() or 0
    gin_only(session, True)
    for span in _SPANS:
        within = [words] if span is None else [words, article_id > newest_id - span]
        floor, count = _newest_matches(session, select(article_id).where(*within), article_id)
        if count >= MAX_RANKED:
            break
    gin_only(session, False)
    return floor, count


def _page(
    session: Session,
    ranked: SelectOfScalar[int | None],
    query: SearchQuery,
    offset: int,
    shown: list[ColumnElement[bool]],
) -> list[Found]:
    stmt = ranked.where(*shown).offset(offset).limit(query.limit + 1)
    return _load_in_order(session, [i for i in session.exec(stmt).all() if i is not None])


def _fuzzy(
    session: Session, terms: list[Term], shown: list[ColumnElement[bool]], *, limit: int
) -> list[Found]:
    """The ``limit`` articles whose title or excerpt has a word closest to every query word
    (a name transliterated another way: "أستانا" for "الآستانة"), closest first."""
    words = [
        t.tokens[0]
        for t in terms
        if not t.is_phrase and 4 <= len(t.tokens[0]) <= FUZZY_MAX_WORD_LENGTH
    ]
    if len(words) != len(terms) or len(words) > FUZZY_MAX_WORDS:
        return []
    if session.get_bind().dialect.name == "sqlite":
        grams = _telling_grams(session, words)
        if not grams:
            return []
        candidates = text(
            "SELECT rowid, words FROM article_trigram WHERE article_trigram MATCH :q"
            " ORDER BY rank LIMIT :n"
        ).bindparams(q=" OR ".join(f'"{g}"' for g in grams), n=FUZZY_CANDIDATES)
    else:
        rare = _rare_words(session, words)
        if not rare:
            return []
        near = " OR ".join(f":w{i} <% words" for i in range(len(rare)))
        candidates = text(
            f"SELECT article_id, words FROM article_search WHERE {near} LIMIT :n"
        ).bindparams(n=FUZZY_CANDIDATES, **{f"w{i}": w for i, w in enumerate(rare)})
    readings: dict[int, str] = {row[0]: row[1] for row in session.execute(candidates)}
    if not readings:
        return []
    visible = _visible(session, list(readings), shown)
    # Scored on the readings of title and excerpt the index keeps; only the articles shown
    # are loaded whole.
    wanted = [[_trigrams(r) for r in stems(word)] for word in words]
    # A reading's closeness to each query word, worked out once however many of the
    # candidates hold it (most words recur across articles).
    closeness: dict[str, tuple[float, ...]] = {}

    any_wanted = set().union(*(w for word in wanted for w in word))
    nowhere = (0.0,) * len(wanted)

    def close(reading: str) -> tuple[float, ...]:
        found = closeness.get(reading)
        if found is None:
            held = _trigrams(reading)
            found = closeness[reading] = (
                nowhere
                if held.isdisjoint(any_wanted)
                else tuple(max(_jaccard(w, held) for w in word) for word in wanted)
            )
        return found

    scored = []
    for article_id in visible:
        # Each query word's closest reading in the article; the article is as close as
        # its farthest query word.
        by_word = zip(*(close(r) for r in set(readings[article_id].split())), strict=True)
        score = min(map(max, by_word), default=0.0)
        if score >= FUZZY_MIN_SIMILARITY:
            scored.append((-score, -article_id))
    best = [-negative_id for _, negative_id in sorted(scored)[:limit]]
    return _load_in_order(session, best)


def _rare_words(session: Session, words: list[str]) -> list[str]:
    """The ``words`` fewer than FUZZY_BELOW articles hold (in any reading): close spellings
    are looked for by these (PostgreSQL). A common word is close to something in every
    article: the candidates it brought would be the first 200 of the corpus; its
    closeness is checked on the candidates the rarer words bring."""
    rare = []
    gin_only(session, True)
    for word in words:
        holding = (
            select(_pg_index.c.article_id)
            .where(
                _pg_index.c.document.op("@@")(
                    func.to_tsquery(text("'simple'"), tsquery([Term((word,))]))
                )
            )
            .limit(FUZZY_BELOW)
            .subquery()
        )
        if session.execute(select(func.count()).select_from(holding)).scalar_one() < FUZZY_BELOW:
            rare.append(word)
    gin_only(session, False)
    return rare


def gin_only(session: Session, on: bool) -> None:
    """Whether PostgreSQL finds a query's articles through the GIN index alone (bitmap
    scans), for the statements between. Left to itself, for a few matches wanted, the
    planner walks the table or its primary key testing each article's document until it
    has them: fast for a common word, a read of every document (each from TOAST) for a
    rare one."""
    value = "off" if on else "DEFAULT"
    for plan in ("enable_indexscan", "enable_seqscan"):
        session.execute(text(f"SET LOCAL {plan} TO {value}"))


def _telling_grams(session: Session, words: list[str]) -> list[str]:
    """The trigrams to look for close spellings of ``words`` by: the rarest, as long as
    together they are in at most FUZZY_GRAM_ARTICLES articles. A common word's trigrams
    are in half the corpus: ranking every article holding one would cost a scan of it and
    tell nothing (its closeness is checked on the candidates the rarer words bring; a
    query of common trigrams only has no close spellings worth the scan)."""
    grams = sorted({g for w in words for s in stems(w) for g in _substrings(s)})
    counts = session.execute(
        text("SELECT doc, term FROM article_trigram_vocab WHERE term IN :grams").bindparams(
            bindparam("grams", expanding=True)
        ),
        {"grams": grams},
    ).all()
    chosen: list[str] = []
    budget = FUZZY_GRAM_ARTICLES
    for articles, gram in sorted(counts):
        if articles > budget:
            break
        chosen.append(gram)
        budget -= articles
    return chosen


def _substrings(word: str) -> set[str]:
    return {word[i : i + 3] for i in range(len(word) - 2)}


def _trigrams(word: str) -> set[str]:
    padded = f"  {word} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def similarity(a: str, b: str) -> float:
    """Trigram (Jaccard) similarity of two words, as pg_trgm counts it."""
    return _jaccard(_trigrams(a), _trigrams(b))


def _jaccard(a: set[str], b: set[str]) -> float:
    shared = len(a & b)
    return shared / (len(a) + len(b) - shared)


def _closeness(word: str, readings: frozenset[str]) -> float:
    return max((similarity(r, s) for r in stems(word) for s in readings), default=0.0)


class Marks:
    """Which words of a text match a search's terms, as the index reads them (and, for
    close spellings, any word close to every reading of a query word). Each word is
    decided once per search: its hits share most of their words."""

    def __init__(self, terms: list[Term], *, fuzzy: bool = False) -> None:
        self._wanted = matched_words(terms)
        self._close_to = [word for term in terms for word in term.tokens] if fuzzy else []
        self._decided: dict[str, bool] = {}

    def __call__(self, word: str) -> bool:
        decided = self._decided.get(word)
        if decided is None:
            decided = self._decided[word] = self._decide(word)
        return decided

    def _decide(self, word: str) -> bool:
        held = _readings_of(word)
        if not held.isdisjoint(self._wanted):
            return True
        return any(
            _closeness(query_word, held) >= FUZZY_MIN_SIMILARITY for query_word in self._close_to
        )


def snippet(text: str, marks: Marks) -> str:
    """A window of the text (the body's, or the excerpt) around the first matched word
    (or its opening), escaped, with every matched word in <mark>."""
    words = text.split()
    first = next((i for i, word in enumerate(words) if marks(word)), None)
    start = max(0, first - SNIPPET_WORDS // 3) if first is not None else 0
    window = words[start : start + SNIPPET_WORDS]
    marked = [
        f"<mark>{html.escape(word)}</mark>" if marks(word) else html.escape(word) for word in window
    ]
    prefix = "… " if start > 0 else ""
    suffix = " …" if start + SNIPPET_WORDS < len(words) else ""
    return prefix + " ".join(marked) + suffix


@lru_cache(maxsize=50_000)
def _readings_of(word: str) -> frozenset[str]:
    """Every reading of a word of the text, as the index holds it: a snippet's word matches
    when its readings meet the query's. Kept for the commonest words: every search reads
    them again."""
    return frozenset(s for token in key_tokens(word) for s in stems(token))
