"""WordPress text in Akhbar's terms: shortcodes, paragraphs and slugs; and a WXR file read
without holding it in memory."""

import tracemalloc
from pathlib import Path

import pytest

from app.importer import wxr
from app.importer.convert import article_slugs, autop, render_shortcodes, term_slug
from app.importer.wordpress import WpAttachment, WpPost

MEDIA = {7: WpAttachment(7, "https://site.example/a.jpg", "صورة أ"), 8: WpAttachment(8, "", "")}


@pytest.mark.parametrize(
    ("text", "html"),
    [
        (
            '[caption id="attachment_7" width="300"]<a href="https://site.example/a.jpg">'
            '<img src="https://site.example/a.jpg" alt="" /></a> تعليق الصورة[/caption]',
            '<figure><a href="https://site.example/a.jpg"><img src="https://site.example/a.jpg"'
            ' alt="" /></a><figcaption>تعليق الصورة</figcaption></figure>',
        ),
        (
            '[caption caption="قديم"]<img src="x.jpg">[/caption]',
            '<figure><img src="x.jpg"><figcaption>قديم</figcaption></figure>',
        ),
        (
            '[gallery ids="7,8,99"]',
            '<figure><img src="https://site.example/a.jpg" alt="صورة أ"></figure>',
        ),
        ('[gallery ids="99"]', ""),
        (
            "[embed]https://video.example/v/1[/embed]",
            '<p><a href="https://video.example/v/1">https://video.example/v/1</a></p>',
        ),
        (
            '[video mp4="https://v.example/a.mp4"][/video]',
            '<p><a href="https://v.example/a.mp4">https://v.example/a.mp4</a></p>',
        ),
        (
            '[audio src="https://v.example/a.mp3"]',
            '<p><a href="https://v.example/a.mp3">https://v.example/a.mp3</a></p>',
        ),
        ('قبل [contact-form-7 id="4" title="اتصل بنا"] بعد', "قبل  بعد"),
        ("[box][inner]نص[/inner][/box]", "نص"),
        ('[tab title="a [b] c"]محتوى[/tab]', "محتوى"),
        ("[[gallery]] و [[embed]x[/embed]]", "[gallery] و [embed]x[/embed]"),
        ("المرجع [1] و[٢] وعنوان [خاص]", "المرجع [1] و[٢] وعنوان [خاص]"),
        ("[/orphan] بقي", " بقي"),
    ],
)
def test_shortcodes_are_rendered_or_removed_never_shown(text: str, html: str) -> None:
    assert render_shortcodes(text, MEDIA) == html


def test_classic_text_gets_its_paragraphs_and_block_text_keeps_its_own() -> None:
    classic = "سطر\nسطر ثانٍ\n\n\n<h2>عنوان</h2>\n\nhttps://video.example/v/2\n\nخاتمة"
    blocks = "<!-- wp:paragraph --><p>فقرة</p><!-- /wp:paragraph -->\n\nبلا وسم"

    assert autop(classic) == (
        "<p>سطر<br>\nسطر ثانٍ</p>\n<h2>عنوان</h2>\n"
        '<p><a href="https://video.example/v/2">https://video.example/v/2</a></p>\n<p>خاتمة</p>'
    )
    assert autop(blocks) == blocks


CUT = (
    "%d9%88%d8%b2%d9%8a%d8%b1-%d8%a7%d9%84%d8%ae%d8%a7%d8%b1%d8%ac%d9%8a%d8%a9-%d9%8a%d8%b5"
    "%d9%84-%d8%a5%d9%84%d9%89-%d8%a7%d9%84%d8%b9%d8%a7%d8%b5%d9%85%d8%a9-%d9%81%d9%8a-%d8%b2"
    "%d9%8a%d8%a7%d8%b1%d8%a9-"
)


@pytest.mark.parametrize(
    ("raw", "title", "expected"),
    [
        ("%d8%a7%d9%84%d8%b3%d9%88%d9%82", "السوق", ("السوق", None)),
        ("market-day", "يوم السوق", ("market-day", None)),
        ("Market_Day", "يوم السوق", ("market-day", "Market_Day")),
        ("", "مسودة", (None, None)),
        ("%d8%a7%d9%84%d8%b3%d9%88%d9%82-2", "السوق", ("السوق-2", None)),
        (
            CUT,
            "وزير الخارجية يصل إلى العاصمة في زيارة رسمية",
            (
                "وزير-الخارجية-يصل-إلى-العاصمة-في-زيارة-رسمية",
                "وزير-الخارجية-يصل-إلى-العاصمة-في-زيارة",
            ),
        ),
    ],
)
def test_slugs_are_decoded_and_a_cut_one_keeps_resolving(
    raw: str, title: str, expected: tuple[str | None, str | None]
) -> None:
    assert article_slugs(raw, title) == expected


def test_term_slugs_are_decoded_or_made_from_the_name() -> None:
    assert term_slug("%d8%ab%d9%82%d8%a7%d9%81%d8%a9", "ثقافة") == "ثقافة"
    assert term_slug("News_Desk", "غرفة الأخبار") == "news-desk"
    assert term_slug("", "غرفة الأخبار") == "غرفة-الأخبار"


def write_export(path: Path, posts: int) -> None:
    body = "<p>" + "فقرة طويلة من نص الخبر. " * 200 + "</p>"
    with path.open("w", encoding="utf-8") as out:
        out.write(
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
            'xmlns:wp="http://wordpress.org/export/1.2/"><channel>'
            "<wp:base_site_url>https://big.example</wp:base_site_url>"
        )
        for n in range(posts):
            out.write(
                f"<item><title>خبر {n}</title><wp:post_id>{n}</wp:post_id>"
                f"<content:encoded><![CDATA[{body}]]></content:encoded>"
                "<wp:status>publish</wp:status><wp:post_type>post</wp:post_type></item>"
            )
        out.write("</channel></rss>")


def test_an_export_is_read_one_item_at_a_time(tmp_path: Path) -> None:
    path = tmp_path / "big.xml"
    write_export(path, 4000)  # about 37 MB
    assert path.stat().st_size > 30_000_000

    tracemalloc.start()
    try:
        survey = wxr.survey(path)
        titles = [record.title for record in wxr.read(path) if isinstance(record, WpPost)]
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert (survey.site, survey.posts, len(titles), titles[-1]) == (
        "https://big.example",
        4000,
        4000,
        "خبر 3999",
    )
    assert peak < 3_000_000, (
        f"peak {peak:,} bytes while reading a {path.stat().st_size:,}-byte file"
    )
