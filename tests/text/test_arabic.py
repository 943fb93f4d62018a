"""The matching form of Arabic text: one key for the spellings a reader calls the same."""

import pytest

from app.text.arabic import key_tokens, search_key, stems


class TestSearchKey:
    @pytest.mark.parametrize(
        ("a", "b"),
        [
            ("الآستانة", "الاستانة"),
            ("أستانة", "استانه"),
            ("إسرائيل", "اسرائيل"),
            ("ٱلله", "الله"),
            ("يعقِّب", "يعقب"),
            ("مُحَمَّدٌ", "محمد"),
            ("الرحمٰن", "الرحمن"),  # dagger alef
            ("كلـــمة", "كلمة"),  # tatweel
            ("كل\u200cمة", "كلمة"),  # ZWNJ
            ("كل\u200dمة", "كلمة"),  # ZWJ
            ("\u202bكلمة\u202c", "كلمة"),  # bidi embedding
            ("مستشفى", "مستشفي"),  # alef maqsura
            ("فارسی", "فارسي"),  # Persian yeh
            ("مدرسة", "مدرسه"),  # teh marbuta
            ("مؤتمر", "موتمر"),
            ("رئيس", "رييس"),
            ("کتاب", "كتاب"),  # Persian keheh
            ("٣٠ ديسمبر", "30 ديسمبر"),
            ("۱۴۰۲", "1402"),  # Persian digits
            ("ﻻ", "لا"),  # presentation form
            ("Café CAFÉ", "café café"),
        ],
    )
    def test_same_key(self, a: str, b: str) -> None:
        assert search_key(a) == search_key(b)

    def test_zero_width_space_separates_words(self) -> None:
        assert key_tokens("كلمة\u200bأخرى") == ["كلمه", "اخري"]

    def test_is_idempotent(self) -> None:
        text = "جون كيري يرحب بالآستانة وديمستورا يعقِّب ٣٠ ديسمبر"
        assert search_key(search_key(text)) == search_key(text)


class TestStems:
    @pytest.mark.parametrize(
        ("token", "expected"),
        [
            ("المفاوضات", {"المفاوضات", "مفاوضات"}),
            ("والطحين", {"والطحين", "الطحين", "طحين"}),
            ("بالاستانه", {"بالاستانه", "الاستانه", "استانه"}),
            ("للسلام", {"للسلام", "سلام", "لسلام"}),
            ("بيت", {"بيت"}),  # too short to lose a letter
            ("لفلسطين", {"لفلسطين", "فلسطين"}),
        ],
    )
    def test_readings_without_proclitics(self, token: str, expected: set[str]) -> None:
        assert stems(token) == expected
