"""Slugs: Arabic kept, clean, stable, never mistaken for ids."""

import pytest

from app.text.slugs import is_valid_slug, normalize_ref, slugify, with_suffix


class TestSlugify:
    @pytest.mark.parametrize(
        ("text", "slug"),
        [
            # harakat and shadda go, letters with hamza or madda stay as they are
            ("جون كيري يرحب بالآستانة وديمستورا يعقِّب", "جون-كيري-يرحب-بالآستانة-وديمستورا-يعقب"),
            # punctuation and the label bar separate words; tanwin goes
            ("خاص | 13 قتيلاً بغاراتٍ جويّة", "خاص-13-قتيلا-بغارات-جوية"),
            # tatweel goes, even inside a word and after a lone letter
            ("مـــرحبا بكم في لـ الأخبار", "مرحبا-بكم-في-ل-الأخبار"),
            # Arabic-Indic and Persian digits become ASCII
            (
                "وقف إطلاق النار يوم ٣٠ ديسمبر/كانون الأول",
                "وقف-إطلاق-النار-يوم-30-ديسمبر-كانون-الأول",
            ),
            ("نمو ۱۲٪ في الربع", "نمو-12-في-الربع"),
            # invisible and bidi characters go
            ("مرحبا\u200c بكم \u202bيا\u202c أصدقاء\u200f", "مرحبا-بكم-يا-أصدقاء"),
            # Latin words are lower-cased; apostrophes join
            ("Apple’s iPhone 18 يصل إلى الأسواق", "apples-iphone-18-يصل-إلى-الأسواق"),
            ("Hello, World!", "hello-world"),
            ("  --Already-a-slug--  ", "already-a-slug"),
            # never all digits
            ("2016", "2016-1"),
            ("٢٠١٦", "2016-1"),
            ("!!!", ""),
        ],
    )
    def test_examples(self, text: str, slug: str) -> None:
        assert slugify(text) == slug

    def test_is_cut_at_a_word_boundary_near_80_characters(self) -> None:
        title = (
            "الأمم المتحدة تدعو إلى جمع أربعة مليارات دولار لتوفير مساعدات إنسانية عاجلة في سوريا"
        )

        slug = slugify(title)

        assert len(title.replace(" ", "-")) > 80
        assert (
            slug == "الأمم-المتحدة-تدعو-إلى-جمع-أربعة-مليارات-دولار-لتوفير-مساعدات-إنسانية-عاجلة-في"
        )
        assert len(slug) <= 80

    def test_one_long_word_is_cut_where_it_must(self) -> None:
        assert slugify("ا" * 100) == "ا" * 80

    def test_suffix_keeps_the_slug_within_bounds(self) -> None:
        assert with_suffix("خبر-عاجل", 2) == "خبر-عاجل-2"
        long_slug = "-".join(["كلمة"] * 40)  # 199 characters

        assert len(with_suffix(long_slug, 12)) <= 200
        assert with_suffix(long_slug, 12).endswith("كلمة-12")

    @pytest.mark.parametrize("slug", ["سياسة", "كرة-القدم", "abc-123", "2016-1", "أسعار-الذهب"])
    def test_valid(self, slug: str) -> None:
        assert is_valid_slug(slug)

    @pytest.mark.parametrize(
        "slug",
        ["", "123", "Capital", "يعقِّب", "a--b", "-a", "a b", "خبر!", "٢٠١٦-1", "x" * 201, "مـرحبا"],
    )
    def test_invalid(self, slug: str) -> None:
        assert not is_valid_slug(slug)


class TestNormalizeRef:
    def test_nfd_becomes_nfc(self) -> None:
        assert normalize_ref("\u0627\u0653") == "\u0622"

    def test_still_encoded_ref_is_decoded(self) -> None:
        assert normalize_ref("%D8%AE%D8%A8%D8%B1") == "خبر"

    def test_invalid_utf8_escape_is_left_alone(self) -> None:
        assert normalize_ref("%FF") == "%FF"
