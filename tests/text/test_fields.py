"""Request text types: NFC before length checks, no NUL, no bidi controls in labels."""

import pytest
from pydantic import BaseModel, ValidationError

from app.text.fields import Name, Slug


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
