"""Request text types: NFC before length checks, no NUL, no bidi controls in labels."""

import pytest
from pydantic import BaseModel, ValidationError

from app.core.fields import Name, Slug, WebUrl


class Form(BaseModel):
    name: Name
    slug: Slug | None = None


class TestFields:
    def test_nfd_is_stored_as_nfc_and_measured_after(self) -> None:
        # 200 letters that are 400 code points in NFD: valid once normalised.
        nfd_name = "\u0627\u0653" * 200

        assert Form(name=nfd_name).name == "\u0622" * 200

    @pytest.mark.parametrize(
        ("value", "message"),
        [
            ("a\x00b", "Value error, must not contain NUL characters"),
            (
                "سلمى \u202eالخطيب",
                "Value error, must not contain bidi embedding, override or isolate controls",
            ),
            ("   ", "String should have at least 1 character"),
            ("س" * 201, "String should have at most 200 characters"),
        ],
    )
    def test_refused_names(self, value: str, message: str) -> None:
        with pytest.raises(ValidationError) as raised:
            Form(name=value)

        assert [error["msg"] for error in raised.value.errors()] == [message]

    def test_bad_slug(self) -> None:
        with pytest.raises(ValidationError):
            Form(name="x", slug="Not A Slug")


class Link(BaseModel):
    url: WebUrl


class TestWebUrl:
    @pytest.mark.parametrize(
        ("value", "stored"),
        [
            ("https://example.org/blog", "https://example.org/blog"),
            ("HTTPS://Example.ORG/Blog", "https://example.org/Blog"),
            (
                "https://example.org/مقال?q=خبر",
                "https://example.org/%D9%85%D9%82%D8%A7%D9%84?q=%D8%AE%D8%A8%D8%B1",
            ),
            ("https://مثال.إختبار/", "https://xn--mgbh0fb.xn--kgbechtv/"),
            ("http://[2001:DB8::1]:8080/a", "http://[2001:db8::1]:8080/a"),
            ("https://example.org/it's", "https://example.org/it%27s"),
        ],
    )
    def test_parsed_and_written_out_again(self, value: str, stored: str) -> None:
        assert Link(url=value).url == stored

    @pytest.mark.parametrize(
        "value",
        [
            'https://example.org/"onmouseover="alert(1)',
            "https://example.org/<script>",
            "https://example.org/a'><img src=x>",
            "https://example.org/\u202etxt.exe",
            "https://example.org/\u200fx",
            "https://example.org/a b",
            "https://example.org/\x07",
            "javascript:alert(1)",
            "data:text/html,<b>x</b>",
            "//example.org/x",
            "example.org",
            "https://exa mple.org/",
            "https://example.org:99999/",
            "https:///path",
        ],
    )
    def test_anything_else_is_refused(self, value: str) -> None:
        with pytest.raises(ValidationError):
            Link(url=value)
