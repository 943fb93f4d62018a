"""The route class of every router: JSON bodies parsed by orjson, query strings held to
the parameters the route declares, and the commit of what the route wrote.

Strict where Python's ``json`` is lenient: invalid UTF-8, lone surrogates (which no
database can store), NaN and Infinity, integers beyond 64 bits and nesting deeper than
1,024 levels are all a decode error, which FastAPI answers as a 422 ``json_invalid``
problem (instead of a 400, or a 500 further down). It is faster too.

A query parameter the route does not know (``?page=2`` on a cursor-paged list, a typo
such as ``?categroy=``) is a 422 naming it, as an unknown field in a body is: silently
ignoring it would answer the first page, or an unfiltered list, as if it were asked for.
"""

from collections.abc import Callable, Coroutine
from typing import Any

import orjson
from fastapi import HTTPException, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from app.core.db import has_written
from app.http.deps import REQUEST_SESSION

# No request body here holds more values than this (an article: a few dozen; a reorder of
# the ticker: its ids). Validating a body of hundreds of thousands of unknown keys or list
# items would hold the event loop for seconds, to list an error for each: it is refused
# after the parse, which costs milliseconds, before validation starts.
MAX_JSON_VALUES = 10_000


class _OrjsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = orjson.loads(await self.body())
            if _exceeds(self._json, MAX_JSON_VALUES):
                raise HTTPException(
                    413,
                    f"the body holds more than {MAX_JSON_VALUES} values (keys, items and "
                    "scalars): no request here needs as many",
                )
        return self._json


def _exceeds(document: Any, limit: int) -> bool:
    """Whether the parsed JSON holds more than ``limit`` values, counted until then."""
    pending = [document]
    count = 0
    while pending:
        value = pending.pop()
        count += 1
        if count > limit:
            return True
        if isinstance(value, dict):
            count += len(value)  # the keys
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return False


def declared_query_names(dependant: Dependant) -> frozenset[str]:
    """Every query parameter a route reads, its dependencies' and query models' included."""
    names: set[str] = set()
    pending = [dependant]
    while pending:
        current = pending.pop()
        pending.extend(current.dependencies)
        for field in current.query_params:
            model = field.field_info.annotation
            if isinstance(model, type) and issubclass(model, BaseModel):
                names.update(info.alias or name for name, info in model.model_fields.items())
            else:
                names.add(field.alias)
    return frozenset(names)


def json_answer(model: BaseModel, response: Response) -> Response:
    """``model`` as JSON bytes with the headers a route set on ``response``: what FastAPI
    sends for a returned model, made where the route runs. A route that reads in a worker
    thread makes its answer there too, and the event loop only sends it (FastAPI would
    validate and serialise it again in the loop)."""
    answer = Response(model.__pydantic_serializer__.to_json(model), media_type="application/json")
    answer.headers.raw.extend(response.headers.raw)
    return answer


class JsonRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        known = declared_query_names(self.dependant)

        async def route(request: Request) -> Response:
            unknown = [name for name in dict.fromkeys(request.query_params) if name not in known]
            if unknown:
                raise RequestValidationError(
                    [
                        {
                            "loc": ("query", name),
                            "msg": "unknown query parameter"
                            + (f": this one takes {', '.join(sorted(known))}" if known else ""),
                            "type": "extra_forbidden",
                        }
                        for name in unknown[:20]
                    ]
                )
            response = await handler(_OrjsonRequest(request.scope, request.receive))
            # One commit per use case, here: after the route and its answer succeeded, and
            # before the answer leaves, so that a commit that fails is never a 2xx.
            session = getattr(request.state, REQUEST_SESSION, None)
            if session is not None and has_written(session):
                await run_in_threadpool(session.commit)
            return response

        return route
