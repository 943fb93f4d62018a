"""Slugs: Arabic-friendly, stable, never mistaken for ids."""

import pytest

from app.text.slugs import is_valid_slug, normalize_ref, slugify


class TestSlugify:
    @pytest.mark.parametrize(
        ("text", "slug"),
        [
            ("جون كيري يرحب بالآستانة وديمستورا يعقِّب", "جون-كيري-يرحب-بالآستانة-وديمستورا-يعقب"),
            ("خاص | 13 قتيلاً بغاراتٍ جويّة", "خاص-13-قتيلا-بغارات-جوية"),
            ("مـــرحبا   بكم", "مرحبا-بكم"),
            ("أسعار الذهب", "أسعار-الذهب"),
            ("Hello, World!", "hello-world"),
            ("  --Already-a-slug--  ", "already-a-slug"),
            ("2016", "2016-1"),
            ("٢٠١٦", "٢٠١٦-1"),
            ("!!!", ""),
        ],
    )
    def test_examples(self, text: str, slug: str) -> None:
        assert slugify(text) == slug

    def test_is_bounded_without_a_trailing_hyphen(self) -> None:
        assert slugify("كلمة " * 100, max_length=20) == "كلمة-كلمة-كلمة-كلمة"

    @pytest.mark.parametrize("slug", ["سياسة", "كرة-القدم", "abc-123", "٢٠١٦-1"])
    def test_valid(self, slug: str) -> None:
        assert is_valid_slug(slug)

    @pytest.mark.parametrize("slug", ["", "123", "Capital", "يعقِّب", "a--b", "-a", "a b", "خبر!"])
    def test_invalid(self, slug: str) -> None:
        assert not is_valid_slug(slug)


class TestNormalizeRef:
    def test_nfd_becomes_nfc(self) -> None:
        assert normalize_ref("\u0627\u0653") == "\u0622"

    def test_still_encoded_ref_is_decoded(self) -> None:
        assert normalize_ref("%D8%AE%D8%A8%D8%B1") == "خبر"

    def test_invalid_utf8_escape_is_left_alone(self) -> None:
        assert normalize_ref("%FF") == "%FF"
