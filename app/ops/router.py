"""Liveness and readiness probes for orchestrators and load balancers."""

from fastapi import APIRouter, Request

from app.errors import problem_responses
from app.ops.schemas import Health, Readiness
from app.ops.service import check_ready

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
def readyz(request: Request) -> Readiness:
    """200 when the database answers and is migrated to the revision this code expects;
    503 (a problem document saying why) otherwise."""
    revisions = check_ready(
        request.app.state.engine, expected_revisions=request.app.state.head_revisions
    )
    return Readiness(revisions=sorted(revisions))
