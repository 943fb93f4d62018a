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
from sqlalchemy.exc import OperationalError
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
    """A domain error that knows the HTTP status it becomes."""

    status = 500
    headers: dict[str, str] | None = None

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


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


class MovedPermanently(AkhbarError):
    """The resource lives at another URL now (an article whose slug changed)."""

    status = 301

    def __init__(self, detail: str, *, location: str) -> None:
        super().__init__(detail)
        self.location = location
        self.headers = {"Location": location}


class Conflict(AkhbarError):
    status = 409


class PreconditionFailed(AkhbarError):
    status = 412


class InvalidInput(AkhbarError):
    """Input that parsed but means nothing here (an unknown category, a forged cursor)."""

    status = 422

    def __init__(self, detail: str, *, loc: Sequence[str | int], type_: str = "value_error"):
        super().__init__(detail)
        self.field_errors = [FieldError(loc=list(loc), message=detail, type=type_)]


def problem_response(
    status: int,
    detail: str,
    *,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
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
        headers=headers,
    )


def _field_errors(raw: Sequence[Any]) -> list[FieldError]:
    return [
        FieldError(loc=list(err.get("loc", ())), message=err["msg"], type=err["type"])
        for err in raw
    ]


async def _akhbar_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AkhbarError)
    errors = exc.field_errors if isinstance(exc, InvalidInput) else None
    return problem_response(exc.status, exc.detail, errors=errors, headers=exc.headers)


async def _validation_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = _field_errors(exc.errors())
    count = len(errors)
    detail = f"{count} invalid field{'s' if count != 1 else ''} in the request"
    return problem_response(422, detail, errors=errors)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    headers = dict(exc.headers or {})
    if exc.status_code == 404 and detail == "Not Found":
        detail = "no such resource"
    if exc.status_code == 405:
        # Starlette names the methods of the first route on the path; a path served by
        # several routes (GET here, PATCH and DELETE there) allows all of theirs, as the
        # schema documents them.
        allowed = _allowed_methods(request) or headers.get("Allow", "").split(", ")
        headers["Allow"] = ", ".join(allowed)
        detail = f"{request.method} is not allowed here: use {', '.join(allowed)}"
    return problem_response(exc.status_code, detail, headers=headers)


def _allowed_methods(request: Request) -> list[str]:
    templates: list[tuple[re.Pattern[str], set[str]]] | None = getattr(
        request.app.state, "allowed_methods", None
    )
    if templates is None:
        templates = [
            _path_methods(path, ops) for path, ops in request.app.openapi()["paths"].items()
        ]
        request.app.state.allowed_methods = templates
    path = request.url.path
    return sorted({m for pattern, methods in templates if pattern.fullmatch(path) for m in methods})


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


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AkhbarError, _akhbar_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(OperationalError, _database_unavailable)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` entry documenting these problem statuses in the OpenAPI schema."""
    return {
        status: {
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }


class TooManyRequests(AkhbarError):
    status = 429

    def __init__(
        self, detail: str, *, retry_after_seconds: int, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.headers = {**(headers or {}), "Retry-After": str(retry_after_seconds)}
