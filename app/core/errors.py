"""The AkhbarError family and the RFC 9457 ``application/problem+json`` handlers.

Every error leaves the API as a problem document: ``type``, ``title``, ``status`` and
``detail``, plus ``errors`` (one entry per bad field) on validation problems. A 500 says
nothing about the internals.
"""

import logging
import re
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_MEDIA_TYPE = "application/problem+json"
logger = logging.getLogger("akhbar.errors")


class FieldError(BaseModel):
    loc: list[str | int] = Field(examples=[["query", "limit"]])
    message: str = Field(examples=["Input should be less than or equal to 100"])
    type: str = Field(examples=["less_than_equal"])


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    type: str = Field(examples=["/problems/not-found"])
    title: str = Field(examples=["Not Found"])
    status: int = Field(examples=[404])
    detail: str = Field(examples=["no published article with slug 'خبر-قديم'"])
    errors: list[FieldError] | None = None


def problem_type(status: int) -> str:
    return "/problems/" + HTTPStatus(status).phrase.lower().replace(" ", "-")


class AkhbarError(Exception):
    """A domain error that knows the HTTP status it becomes.

    ``arabic`` is its detail for readers whose ``Accept-Language`` prefers Arabic: every
    problem a reader can meet (posting a comment, an article that is not there) has one.
    """

    status = 500
    headers: dict[str, str] | None = None
    # When it is worth trying again (the edge says so in Retry-After), if it is.
    retry_after_seconds: int | None = None

    def __init__(self, detail: str, *, arabic: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.arabic = arabic


class Unauthorized(AkhbarError):
    """No usable credentials. One message for every reason, so it is no oracle."""

    status = 401

    def __init__(self, detail: str, *, token_presented: bool) -> None:
        super().__init__(detail)
        challenge = 'Bearer realm="akhbar"'
        if token_presented:
            challenge += ', error="invalid_token"'
        self.headers = {"WWW-Authenticate": challenge}


class Forbidden(AkhbarError):
    status = 403


class NotFound(AkhbarError):
    status = 404


class Conflict(AkhbarError):
    status = 409


class PreconditionFailed(AkhbarError):
    status = 412


class InvalidInput(AkhbarError):
    """Input that parsed but means nothing here (an unknown category, a forged cursor).

    ``field`` is the path of the value within the request's input: its parameters for a
    read, its body for a write (the edge says which, as ``loc``'s first part)."""

    status = 422

    def __init__(
        self,
        detail: str,
        *,
        field: Sequence[str | int],
        type_: str = "value_error",
        arabic: str | None = None,
    ):
        super().__init__(detail, arabic=arabic)
        self.field = tuple(field)
        self.type = type_


def problem_response(
    status: int,
    detail: str,
    *,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
    language: str = "en",
) -> Response:
    problem = Problem(
        type=problem_type(status),
        title=HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        errors=errors,
    )
    return Response(
        orjson.dumps(problem.model_dump(exclude_none=True)),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers={**(headers or {}), "Content-Language": language},
    )


def prefers_arabic(request: Request) -> bool:
    """Whether ``Accept-Language`` ranks Arabic above English (RFC 9110 weights; the
    first of equals wins). Neither named, or no header: English."""
    best: tuple[float, int, str] | None = None
    for position, item in enumerate(request.headers.get("accept-language", "").split(",")[:20]):
        tag, _, params = item.strip().partition(";")
        primary = tag.strip().split("-")[0].lower()
        if primary not in ("ar", "en"):
            continue
        weight = 1.0
        name, _, value = params.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                weight = float(value)
            except ValueError:
                continue
        if weight > 0 and (best is None or (weight, -position) > best[:2]):
            best = (weight, -position, primary)
    return best is not None and best[2] == "ar"


def localized_problem(
    request: Request,
    status: int,
    detail: str,
    arabic: str | None,
    *,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """A problem in English, or in Arabic where it has an Arabic detail and the reader
    prefers it; such an answer varies with ``Accept-Language`` and says so."""
    if arabic is None:
        return problem_response(status, detail, errors=errors, headers=headers)
    in_arabic = prefers_arabic(request)
    vary = ", ".join(filter(None, [(headers or {}).get("Vary"), "Accept-Language"]))
    return problem_response(
        status,
        arabic if in_arabic else detail,
        errors=errors,
        headers={**(headers or {}), "Vary": vary},
        language="ar" if in_arabic else "en",
    )


def _field_errors(raw: Sequence[Any]) -> list[FieldError]:
    return [
        FieldError(loc=list(err.get("loc", ())), message=err["msg"], type=err["type"])
        for err in raw
    ]


async def _akhbar_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AkhbarError)
    errors = None
    if isinstance(exc, InvalidInput):
        source = "query" if request.method in ("GET", "HEAD") else "body"
        errors = [FieldError(loc=[source, *exc.field], message=exc.detail, type=exc.type)]
    headers = dict(exc.headers or {})
    if exc.retry_after_seconds is not None:
        headers["Retry-After"] = str(exc.retry_after_seconds)
    return localized_problem(
        request, exc.status, exc.detail, exc.arabic, errors=errors, headers=headers
    )


def _arabic_count(count: int) -> str:
    if count == 1:
        return "حقل واحد غير صالح"
    if count == 2:
        return "حقلان غير صالحين"
    if 3 <= count <= 10:
        return f"{count} حقول غير صالحة"
    return f"{count} حقلًا غير صالح"


# A problem lists the first few bad fields, and counts them all: the answer to a body of
# a thousand mistakes stays small.
MAX_LISTED_ERRORS = 20


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    raw = exc.errors()
    count = len(raw)
    detail = f"{count} invalid field{'s' if count != 1 else ''} in the request"
    arabic = f"في الطلب {_arabic_count(count)}"
    if count > MAX_LISTED_ERRORS:
        detail += f" (the first {MAX_LISTED_ERRORS} listed)"
        arabic += f" (أول {MAX_LISTED_ERRORS} منها مذكورة)"
    errors = _field_errors(raw[:MAX_LISTED_ERRORS])
    return localized_problem(request, 422, detail, arabic, errors=errors)


class _HttpErrors:
    """Starlette's HTTP errors as problems. It knows its app's documented paths, to say
    which methods a path allows (read from the schema at the first 405)."""

    def __init__(self, app: FastAPI) -> None:
        self._app = app
        self._templates: list[tuple[re.Pattern[str], set[str]]] | None = None

    async def __call__(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        headers = dict(exc.headers or {})
        arabic = None
        if exc.status_code == 404 and detail == "Not Found":
            detail, arabic = "no such resource", "لا شيء على هذا العنوان"
        if exc.status_code == 405:
            # Starlette names the methods of the first route on the path; a path served by
            # several routes (GET here, PATCH and DELETE there) allows all of theirs, as
            # the schema documents them.
            allowed = self._allowed_methods(request.url.path) or headers.get("Allow", "").split(
                ", "
            )
            headers["Allow"] = ", ".join(allowed)
            detail = f"{request.method} is not allowed here: use {', '.join(allowed)}"
        return localized_problem(request, exc.status_code, detail, arabic, headers=headers)

    def _allowed_methods(self, path: str) -> list[str]:
        if self._templates is None:
            paths = self._app.openapi()["paths"]
            self._templates = [_path_methods(template, ops) for template, ops in paths.items()]
        matching = [(p, methods) for p, methods in self._templates if p.fullmatch(path)]
        # A path of its own (`/v1/articles/popular`) is not also a parameter's value.
        exact = [(p, methods) for p, methods in matching if p.pattern == path]
        return sorted({method for _, methods in exact or matching for method in methods})


def _path_methods(path: str, operations: dict[str, Any]) -> tuple[re.Pattern[str], set[str]]:
    """A documented path as a pattern (an integer parameter matches digits only, as its
    route does), and its methods (HEAD with GET)."""
    integers = {
        parameter["name"]
        for operation in operations.values()
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "path" and parameter.get("schema", {}).get("type") == "integer"
    }

    def segment(match: re.Match[str]) -> str:
        return "[0-9]+" if match[1] in integers else "[^/]+"

    pattern = re.sub(r"\{(\w+)\}", segment, path)
    methods = {method.upper() for method in operations}
    return re.compile(pattern), methods | ({"HEAD"} if "GET" in methods else set())


async def _database_unavailable(_request: Request, exc: Exception) -> Response:
    # The server went away, refused the connection, or (SQLite) stayed locked past the
    # busy timeout: the request changed nothing and may be tried again.
    logger.warning("database unavailable: %s", type(exc).__name__)
    return problem_response(
        503, "the database is unavailable; try again shortly", headers={"Retry-After": "5"}
    )


async def _lost_race(request: Request, exc: Exception) -> Response:
    # A simultaneous request changed what this one was writing (took a unique key, deleted
    # a row it refers to or updates). The services turn the races they can foresee into
    # the answer their checks give; one that reaches this point is a defect to fix there,
    # and still no 500 for the client, nor any SQL in the answer.
    logger.error(
        "defect: %s reached the error handler on %s %s",
        type(exc).__name__,
        request.method,
        request.url.path,
        exc_info=exc,
    )
    return problem_response(
        409, "another request changed the same data at the same moment: fetch it again and retry"
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AkhbarError, _akhbar_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _HttpErrors(app))
    app.add_exception_handler(OperationalError, _database_unavailable)
    app.add_exception_handler(IntegrityError, _lost_race)
    app.add_exception_handler(StaleDataError, _lost_race)


# What each problem status looks like, for the documentation: (English detail, Arabic
# detail where readers can meet it, field errors).
_EXAMPLES: dict[int, tuple[str, str | None, list[dict[str, Any]] | None]] = {
    400: ("this server does not answer for that Host", None, None),
    401: ("the bearer token is missing, malformed, unknown, revoked or expired", None, None),
    403: ("this token lacks the scope 'articles:write'", "التعليقات مغلقة على هذا الخبر", None),
    404: (
        "no published article with slug 'خبر-قديم'",
        "لا خبر منشورًا بالعنوان 'خبر-قديم'",
        None,
    ),
    405: ("DELETE is not allowed here: use GET, HEAD", None, None),
    409: (
        "another article has the slug 'قمة-طارئة'",
        "سبق أن نشرت هذا التعليق على هذا الخبر",
        None,
    ),
    412: (
        "the article changed since you read it (now at version 4): fetch it again and redo "
        "the change",
        None,
        None,
    ),
    413: ("the request body is larger than the 4194304 bytes accepted here", None, None),
    415: (
        "the file is an SVG image: send a JPEG, PNG, WebP, GIF or AVIF",
        None,
        None,
    ),
    422: (
        "1 invalid field in the request",
        "في الطلب حقل واحد غير صالح",
        [
            {
                "loc": ["body", "author_name"],
                "message": "String should have at least 1 character",
                "type": "string_too_short",
            }
        ],
    ),
    429: (
        "wait 30 s before posting another comment",
        "انتظر 30 ثانية قبل أن تنشر تعليقًا آخر",
        None,
    ),
    503: ("the database is unavailable; try again shortly", None, None),
}


def _example(status: int, detail: str, errors: list[dict[str, Any]] | None) -> dict[str, Any]:
    problem = {
        "type": problem_type(status),
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    return {"value": {**problem, "errors": errors} if errors else problem}


def problem_examples() -> dict[str, dict[str, Any]]:
    """The OpenAPI ``components/examples`` the documented problems refer to."""
    examples = {}
    for status, (detail, arabic, errors) in _EXAMPLES.items():
        examples[f"problem-{status}"] = _example(status, detail, errors)
        if arabic is not None:
            examples[f"problem-{status}-arabic"] = _example(status, arabic, errors)
    return examples


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` entry documenting these problem statuses in the OpenAPI schema,
    each with an example of its own (and its Arabic form, where readers meet it)."""
    documented: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        examples = {"english": {"$ref": f"#/components/examples/problem-{status}"}}
        if _EXAMPLES[status][1] is not None:
            examples["arabic"] = {"$ref": f"#/components/examples/problem-{status}-arabic"}
        documented[status] = {
            "description": HTTPStatus(status).phrase,
            "content": {
                PROBLEM_MEDIA_TYPE: {
                    "schema": {"$ref": "#/components/schemas/Problem"},
                    "examples": examples,
                }
            },
        }
    return documented


class TooManyRequests(AkhbarError):
    status = 429

    def __init__(
        self,
        detail: str,
        *,
        retry_after_seconds: int,
        arabic: str | None = None,
    ) -> None:
        super().__init__(detail, arabic=arabic)
        self.retry_after_seconds = retry_after_seconds
