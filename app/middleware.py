"""ASGI middleware that guards every request before routing."""

from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Receive, Scope, Send

from app.errors import FieldError, problem_response


class RejectNulMiddleware:
    """Refuse NUL in the path or query string with a 422.

    PostgreSQL cannot store or compare NUL and SQLite can: refusing it at the door makes
    both databases answer alike, whatever parameter it hides in.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            where = _nul_location(scope)
            if where is not None:
                response = problem_response(
                    422,
                    "NUL characters are not allowed in URLs",
                    errors=[FieldError(loc=[where], message="contains NUL", type="nul")],
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _nul_location(scope: Scope) -> str | None:
    if "\x00" in scope["path"]:
        return "path"
    if b"\x00" in unquote_to_bytes(scope.get("query_string", b"")):
        return "query"
    return None
