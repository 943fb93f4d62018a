"""Answers of the operational endpoints."""

from typing import Literal

from pydantic import BaseModel, Field


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    status: Literal["ready"] = "ready"
    revisions: list[str] = Field(examples=[["20261129_01_initial"]])
