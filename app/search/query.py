"""What a reader typed, as terms, and as each database's full-text query.

Words match in any spelling ``search_key`` folds together and with or without their
proclitics; "quoted phrases" (also «…» and “…”) match as consecutive words. Only letters
and digits ever reach the database's query language, so no character a reader types is
syntax there.
"""

import re
from dataclasses import dataclass

from app.text.arabic import key_tokens, stems

MAX_TERMS = 12
_PHRASE = re.compile(r'"([^"]*)"|«([^»]*)»|“([^”]*)”')


@dataclass(frozen=True)
class Term:
    tokens: tuple[str, ...]  # one token: a word; several: a phrase

    @property
    def is_phrase(self) -> bool:
        return len(self.tokens) > 1


def parse(q: str) -> list[Term]:
    """The terms of a query; empty when it holds no letters or digits."""
    terms: list[Term] = []
    for match in _PHRASE.finditer(q):
        tokens = key_tokens(next(group for group in match.groups() if group is not None))
        if len(tokens) > 1:
            terms.append(Term(tuple(tokens)))
        else:
            terms.extend(Term((token,)) for token in tokens)
    rest = _PHRASE.sub(" ", q)
    terms.extend(Term((token,)) for token in key_tokens(rest))
    unique = list(dict.fromkeys(terms))
    return unique[:MAX_TERMS]


def loosened(terms: list[Term]) -> list[Term]:
    """The terms with each phrase's words as words of their own: what every match of the
    terms holds, in any order."""
    return list(dict.fromkeys(Term((token,)) for term in terms for token in term.tokens))


def fts5_match(terms: list[Term], phrases_in: str = "title excerpt body") -> str:
    """An FTS5 MATCH expression: every term required (each phrase in one of the columns
    ``phrases_in`` names)."""
    parts = []
    for term in terms:
        if term.is_phrase:
            parts.append(f'{{{phrases_in}}} : "' + " ".join(term.tokens) + '"')
        else:
            (token,) = term.tokens
            readings = " OR ".join(f'"{s}"' for s in sorted(stems(token)))
            parts.append(
                f'({{title excerpt body}} : "{token}"'
                f" OR {{title_stems excerpt_stems body_stems}} : ({readings}))"
            )
    return " AND ".join(parts)


def tsquery(terms: list[Term]) -> str:
    """A PostgreSQL tsquery: every term required, in any of its readings."""
    parts = []
    for term in terms:
        if term.is_phrase:
            parts.append("(" + " <-> ".join(f"'{t}':ABC" for t in term.tokens) + ")")
        else:
            (token,) = term.tokens
            parts.append("(" + " | ".join(f"'{s}'" for s in sorted(stems(token))) + ")")
    return " & ".join(parts)


def matched_words(terms: list[Term]) -> set[str]:
    """Every reading of the query's words: a word of the text whose readings meet these
    matched (for snippets)."""
    return {s for term in terms for token in term.tokens for s in stems(token)}
