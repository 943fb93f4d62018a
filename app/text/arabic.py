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
