"""Article bodies: sanitised, counted."""

import pytest

from app.text.html import html_to_text, reading_time_minutes, sanitize_html, word_count


class TestSanitizeHtml:
    @pytest.mark.parametrize(
        ("dirty", "clean"),
        [
            ("<p>نص <script>alert(1)</script>آمن</p>", "<p>نص آمن</p>"),
            ('<p onclick="x()" dir="rtl">فقرة</p>', '<p dir="rtl">فقرة</p>'),
            (
                '<a href="javascript:alert(1)">رابط</a>',
                '<a rel="noopener noreferrer">رابط</a>',
            ),
            (
                '<a href="https://example.com/خبر">رابط</a>',
                '<a href="https://example.com/خبر" rel="noopener noreferrer">رابط</a>',
            ),
            (
                '<img src="https://x/a.jpg" onerror="x()" alt="صورة">',
                '<img src="https://x/a.jpg" alt="صورة">',
            ),
            ("<iframe src=//evil></iframe><h2>عنوان</h2>", "<h2>عنوان</h2>"),
        ],
    )
    def test_keeps_content_and_drops_active_parts(self, dirty: str, clean: str) -> None:
        assert sanitize_html(dirty) == clean


class TestWordCount:
    def test_counts_words_not_tags_or_entities(self) -> None:
        assert word_count(html_to_text("<p>كلمة&nbsp;أخرى</p><p>ثالثة</p>")) == 3

    @pytest.mark.parametrize(("words", "minutes"), [(0, 0), (1, 1), (200, 1), (201, 2)])
    def test_reading_time(self, words: int, minutes: int) -> None:
        assert reading_time_minutes(words) == minutes
