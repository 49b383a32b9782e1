"""HTTP conventions shared by the services: health endpoints, errors, pagination."""

from __future__ import annotations

import logging
from typing import Annotated, Callable, Generic, TypeVar

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import Engine, exc

from servicekit.database import database_error_is_unavailability, ping
from servicekit.ids import ID_PATTERN  # noqa: F401 - re-exported for the services' APIs

log = logging.getLogger(__name__)

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list, with the total number of matches so clients can page through."""

    data: list[T]
    total: int = Field(description="How many records match the filters in all.")
    limit: int
    offset: int


class PageParams(BaseModel):
    limit: int = Field(100, ge=1, le=1000, description="Page size (at most 1000).")
    offset: int = Field(0, ge=0, description="How many matching records to skip.")


PageQuery = Annotated[PageParams, Query()]


class ErrorBody(BaseModel):
    detail: str = Field(examples=["unknown location 'store-9'"])


def error_responses(*codes: int) -> dict[int | str, dict]:
    """OpenAPI entries for the error statuses an endpoint can answer with."""
    text = {
        404: "An id in the path or body does not exist.",
        409: "The request conflicts with the current state.",
        503: "A dependency (the database) is unavailable; nothing was changed.",
    }
    return {code: {"model": ErrorBody, "description": text.get(code, "Error")} for code in codes}


def install_database_error_handlers(app: FastAPI) -> None:
    """A database that cannot be reached is a 503 the client may retry, never a 500."""

    async def unavailable(_request: Request, error: Exception) -> JSONResponse:
        if not database_error_is_unavailability(error):
            raise error
        log.warning("database unavailable: %s", error.__class__.__name__)
        return JSONResponse(
            status_code=503,
            content={"detail": "database unavailable; nothing was changed, retry later"},
            headers={"Retry-After": "1"},
        )

    for error_class in (exc.OperationalError, exc.InterfaceError, exc.TimeoutError):
        app.add_exception_handler(error_class, unavailable)


def health_router(engine: Engine, extra_checks: Callable[[], dict[str, str]] | None = None):
    """``/healthz`` (the process answers) and ``/readyz`` (its database answers).

    ``extra_checks`` reports dependencies that do not decide readiness (the store reports
    the inventory there): a pod whose peer is down should stay in its Service.
    """
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="Liveness: the process is up")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get(
        "/readyz",
        summary="Readiness: the database answers",
        responses={503: {"description": "The database does not answer."}},
    )
    def readyz() -> JSONResponse:
        checks: dict[str, str] = {}
        ready = True
        try:
            ping(engine)
            checks["database"] = "ok"
        except exc.SQLAlchemyError as error:
            ready = False
            checks["database"] = f"unavailable: {error.__class__.__name__}"
        if extra_checks is not None:
            checks.update(extra_checks())
        return JSONResponse(
            status_code=200 if ready else 503,
            content={"status": "ready" if ready else "unavailable", "checks": checks},
        )

    return router
