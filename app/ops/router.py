"""Liveness and readiness probes for orchestrators and load balancers."""

import hmac

from fastapi import APIRouter, Depends, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.concurrency import run_in_threadpool

from app.core.errors import Unauthorized, problem_responses
from app.http.deps import ResourcesDep, SettingsDep
from app.ops.migrations import Revisions
from app.ops.schemas import Health, Readiness
from app.ops.service import check_ready, rate_limits_state

# Not the strict JsonRoute: a probe takes no input, and a monitor that adds a cache-buster
# (`/healthz?t=…`) must not see its service as down.
router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="Liveness probe", response_model=Health)
def healthz() -> Health:
    """Answers 200 while the process runs; it checks nothing else."""
    return Health()


@router.get(
    "/readyz",
    summary="Readiness probe",
    response_model=Readiness,
    responses=problem_responses(503),
)
def readyz(resources: ResourcesDep) -> Readiness:
    """200 when the database answers and is migrated to the revision this code expects
    (or a newer one, during a rolling upgrade); 503 (a problem document saying why)
    otherwise, recovering by itself when the database comes back. Redis is reported, not
    required: without it only comment posting stops (503), reads go on."""
    expected = resources.part(Revisions)
    revisions = check_ready(
        resources.engine, expected_revisions=expected.head, known_revisions=expected.known
    )
    return Readiness(revisions=sorted(revisions), rate_limits=rate_limits_state(resources.limiter))


async def _scraper(request: Request, settings: SettingsDep) -> None:
    """With AKHBAR_METRICS_TOKEN set, only the scraper that sends it may read /metrics
    (which shows what admins do, and how much)."""
    if settings.metrics_token is None:
        return
    authorization = request.headers.get("authorization")
    expected = f"Bearer {settings.metrics_token.get_secret_value()}".encode()
    if not hmac.compare_digest((authorization or "").encode(), expected):
        raise Unauthorized(
            "/metrics needs the token set in AKHBAR_METRICS_TOKEN",
            token_presented=authorization is not None,
        )


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={
        200: {
            "content": {
                CONTENT_TYPE_LATEST: {
                    "schema": {"type": "string"},
                    "example": 'akhbar_http_requests_total{method="GET",route="/v1/articles",'
                    'status="200"} 42.0\n',
                }
            },
        },
        **problem_responses(401),
    },
    dependencies=[Depends(_scraper)],
)
async def metrics(resources: ResourcesDep) -> Response:
    """Request counts and latency histograms by method, route template and status,
    requests in flight and database pool use, in the Prometheus text format, for every
    worker of this server. Expose it to your scraper, not to the internet; with
    `AKHBAR_METRICS_TOKEN` set, it answers only `Authorization: Bearer <that token>`."""
    # What this worker counted is handed over here, in the event loop that counts it; the
    # exposition (files of every worker) is read in a thread.
    resources.metrics.hand_over()
    exposition = await run_in_threadpool(resources.metrics.render)
    return Response(exposition, media_type=CONTENT_TYPE_LATEST)
