"""Answers of the operational endpoints."""

from typing import Literal

from pydantic import BaseModel, Field


class Health(BaseModel):
    status: Literal["ok"] = "ok"


RateLimitsState = Literal["memory", "redis", "unreachable"]


class Readiness(BaseModel):
    status: Literal["ready"] = "ready"
    revisions: list[str] = Field(examples=[["20261129_06"]])
    rate_limits: RateLimitsState = Field(
        description="Where rate limits are counted: this process's memory, or Redis "
        "(reachable or not; while unreachable, comment posts answer 503)",
        examples=["redis"],
    )
