"""The kernel's request dependencies: the running app's resources, its settings, a
database session per request, the limiter."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.core.config import Settings
from app.core.db import end_read, open_session
from app.http.limits import Limiter
from app.http.resources import Resources

# Where a request's session is kept (``request.state``) for the route class to commit.
REQUEST_SESSION = "session"


async def get_resources(request: Request) -> Resources:
    resources: Resources = request.app.state.resources
    return resources


ResourcesDep = Annotated[Resources, Depends(get_resources)]


async def get_settings(resources: ResourcesDep) -> Settings:
    return resources.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


async def get_session(request: Request, resources: ResourcesDep) -> AsyncIterator[Session]:
    """A session per request, admitted here, in the event loop, only while the pool has a
    connection for it. Sync routes run in worker threads; were a thread to wait for a
    connection, threads could run out while the holders wait for one to finish their
    request: the server would stall. The route class commits what the route wrote
    before the response leaves (app.http.routing); here a read is ended (``end_read``),
    and a request that failed rolled back."""
    async with resources.session_gate:
        session = open_session(
            resources.engine, resources.event_handlers, on_commit=resources.on_commit
        )
        # Ending a transaction is a round trip to the database: in a thread, not in the
        # event loop (a route that reads in a thread has ended it there already).
        try:
            setattr(request.state, REQUEST_SESSION, session)
            yield session
        except BaseException:
            if session.in_transaction():
                await run_in_threadpool(session.close)
            raise
        else:
            if session.in_transaction():
                await run_in_threadpool(end_read, session)
        finally:
            session.close()


SessionDep = Annotated[Session, Depends(get_session)]


async def get_limiter(resources: ResourcesDep) -> Limiter:
    return resources.limiter


LimiterDep = Annotated[Limiter, Depends(get_limiter)]
