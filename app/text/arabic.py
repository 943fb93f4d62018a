"""Arabic-aware normalisation for matching (search keys, word lists), never for display.

Two spellings a reader would call the same word get the same key: "الآستانة" and
"الاستانة", "يعقِّب" and "يعقب", "٣٠" and "30", "كلـــمة" and "كلمة", a word with a
zero-width character inside it and the word without.

1. NFKC (presentation forms and compatibility characters to their plain letters);
2. zero-width space to a space; every other format or bidi character deleted;
3. harakat, the dagger alef, Quranic annotation marks and the tatweel deleted;
4. أ إ آ ٱ → ا; ى and Persian ی → ي; ة → ه; ؤ → و; ئ → ي; Persian ک → ك;
5. every decimal digit to ASCII; 6. casefold.
"""

import re
import unicodedata

ZERO_WIDTH_SPACE = "\u200b"
_FOLDS = {
    **dict.fromkeys("أإآٱ", "ا"),
    "ى": "ي",
    "ی": "ي",
    "ة": "ه",
    "ؤ": "و",
    "ئ": "ي",
    "ک": "ك",
}


def _is_deleted(char: str) -> bool:
    code = ord(char)
    return (
        0x064B <= code <= 0x065F  # harakat, shadda, sukun and other combining marks
        or code == 0x0670  # dagger alef
        or 0x06D6 <= code <= 0x06ED  # Quranic annotation marks
        or code == 0x0640  # tatweel
        or (unicodedata.category(char) == "Cf" and char != ZERO_WIDTH_SPACE)
    )


def search_key(text: str) -> str:
    """The matching form of ``text`` (see the module docstring for the rules)."""
    out: list[str] = []
    for char in unicodedata.normalize("NFKC", text):
        if char == ZERO_WIDTH_SPACE:
            out.append(" ")
        elif _is_deleted(char):
            continue
        elif unicodedata.category(char) == "Nd":
            out.append(str(unicodedata.digit(char)))
        else:
            out.append(_FOLDS.get(char, char))
    return "".join(out).casefold()


_TOKEN = re.compile(r"[^\W_]+")
# The proclitics a reader may or may not write: the conjunctions و ف, the prepositions
# ب ك ل, and the article ال, alone or combined ("وبال", "فلل"). Longest first.
_PROCLITICS = sorted(
    {"ال", "لل", *(c + "ال" for c in "وفبكل"), *(c + p + "ال" for c in "وف" for p in "بكل")}
    | {c + p for c in "وف" for p in "بكل"}
    | set("وفبكل"),
    key=len,
    reverse=True,
)
MIN_STEM_LENGTH = 3


def key_tokens(text: str) -> list[str]:
    """The words of ``text`` in matching form (letters and digits of any script)."""
    return _TOKEN.findall(search_key(text))


def stems(token: str) -> set[str]:
    """A matching-form token and every reading of it without leading proclitics that
    leaves enough of a word: "والمفاوضات" → {والمفاوضات, المفاوضات, مفاوضات}. Two
    spellings of a word meet when their stems meet ("لفلسطين" and "فلسطين" share
    "فلسطين"); a letter that only looks like a proclitic ("فلسطين" → "لسطين") adds a
    harmless extra reading rather than losing the word."""
    found = {token}
    for proclitic in _PROCLITICS:
        if token.startswith(proclitic) and len(token) - len(proclitic) >= MIN_STEM_LENGTH:
            found.add(token[len(proclitic) :])
    return found
