"""Text as a moderator reads it, for matching word lists (never for storage or display).

A word a reader recognises must match however it was disguised:

1. compatibility forms unfolded (NFKD: presentation forms, full-width and mathematical
   letters), then every combining mark deleted — harakat and Quranic marks, and also the
   Latin, Cyrillic or Hebrew accents someone stacks on an Arabic word;
2. every invisible character deleted: format characters (zero-width space, joiners,
   direction marks, word joiner, BOM, soft hyphen), variation selectors, fillers, the
   tatweel;
3. Persian, Urdu and other letter forms folded to the Arabic letter they are read as
   (keheh and swash kaf → ك, Farsi and barree yeh → ي, goal and doachashmee heh → ه…),
   alef and hamza seats folded as search folds them, digits of every script to ASCII;
4. look-alike letters of other scripts folded together with Unicode's confusables table
   (UTS #39, from ``confusable_homoglyphs``): Cyrillic "а" and Latin "a" are one letter;
5. punctuation and symbols inside a word deleted ("ك.ل.م.ة", "b-a-d"), a run of the same
   letter read once ("كلللمة"), and a word spelled out letter by letter ("ك ل م ة") read
   as that word too.
"""

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from confusable_homoglyphs.confusables import confusables_data  # type: ignore[import-untyped]

# Letter forms of Persian, Urdu, Kurdish, Pashto and Sindhi (and old Arabic dotless
# letters) that a reader of Arabic reads as the Arabic letter.
_LETTER_FORMS = {
    **dict.fromkeys("أإآٱٲٳٵ", "ا"),
    **dict.fromkeys("ٮپڀ", "ب"),
    **dict.fromkeys("ٹٺټٿ", "ت"),
    **dict.fromkeys("چڃڄڇ", "ج"),
    **dict.fromkeys("ډڈڊڋڌڍڎڏڐ", "د"),
    **dict.fromkeys("ڑڒړڔڕږڗژڙ", "ر"),
    **dict.fromkeys("ښڛڜ", "س"),
    **dict.fromkeys("ڡڢڣڤڥڦ", "ف"),
    **dict.fromkeys("ٯڧڨ", "ق"),
    **dict.fromkeys("کڪګڬڭڮگڰڱڲڳڴ", "ك"),
    **dict.fromkeys("ڵڶڷڸ", "ل"),
    **dict.fromkeys("ںڻڼڽڹ", "ن"),
    **dict.fromkeys("ةھہۂۃەۀ", "ه"),
    **dict.fromkeys("ؤٶٷۄۅۆۇۈۉۊۋۏ", "و"),
    **dict.fromkeys("ىیئٸێۍېےۓ", "ي"),
}
# Invisible characters that are not format characters (Cf): fillers and the tatweel.
_INVISIBLE = frozenset("\u0640\u115f\u1160\u3164\uffa0\u2800\u180b\u180c\u180d\u180e\u180f")
_WORD = re.compile(r"[^\W_]+")
_INSIDE_WORD = re.compile(r"(?<=[^\W_])(?:[^\w\s]|_)+(?=[^\W_])")
_REPEATS = re.compile(r"(.)\1+")


def _is_invisible(char: str) -> bool:
    return char in _INVISIBLE or unicodedata.category(char) in {"Mn", "Me", "Cf"}


@cache
def _look_alikes() -> dict[str, str]:
    """Each (case-folded) character of the confusables table to one representative of its
    look-alikes: an ASCII letter or digit where one is among them, else the lowest code
    point."""
    parent: dict[str, str] = {}

    def root(char: str) -> str:
        while parent.get(char, char) != char:
            char = parent[char]
        return char

    def rank(char: str) -> tuple[bool, int]:
        return (not (char.isascii() and char.isalnum()), ord(char))

    def folded(char: str) -> str:
        return lowered if len(lowered := char.casefold()) == 1 else char

    for char, entries in confusables_data.items():
        if len(char) != 1:
            continue
        for entry in entries:
            if len(entry["c"]) != 1:
                continue
            a, b = root(folded(char)), root(folded(entry["c"]))
            if a != b:
                first, second = sorted((a, b), key=rank)
                parent[second] = first
    return {char: root(char) for char in parent}


def _letters(char: str) -> str:
    if unicodedata.category(char) == "Nd":
        return str(unicodedata.digit(char))
    look_alikes = _look_alikes()
    return "".join(look_alikes.get(c, c) for c in _LETTER_FORMS.get(char, char).casefold())


@dataclass(frozen=True)
class ModeratedText:
    words: tuple[str, ...]  # split at everything not a letter or digit, in order
    readings: frozenset[str]  # those, and each word with what is inside it deleted
    spelled: frozenset[str]  # each run of single letters, joined ("ك ل م ة" → كلمه)


def read_as_moderator(text: str) -> ModeratedText:
    """``text`` as a moderator reads it (see the module docstring)."""
    folded = "".join(
        _letters(char) for char in unicodedata.normalize("NFKD", text) if not _is_invisible(char)
    )
    words = tuple(_REPEATS.sub(r"\1", word) for word in _WORD.findall(folded))
    joined = {_REPEATS.sub(r"\1", word) for word in _INSIDE_WORD.sub("", folded).split()}
    spelled, run = set(), []
    for word in [*words, ""]:
        if len(word) == 1:
            run.append(word)
            continue
        if len(run) > 1:
            spelled.add(_REPEATS.sub(r"\1", "".join(run)))
        run = []
    return ModeratedText(words, frozenset({*words, *joined}), frozenset(spelled))
