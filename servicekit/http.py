"""HTTP conventions shared by the services: health endpoints, errors, pagination."""

from __future__ import annotations

import json
import logging
import math
from typing import Annotated, Any, Awaitable, Callable, Generic, NamedTuple, TypeVar

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import AfterValidator, BaseModel, Field, StringConstraints
from sqlalchemy import exc
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from servicekit.database import database_error_is_unavailability
from servicekit.ids import ID_PATTERN  # noqa: F401 - re-exported for the services' APIs
from servicekit.simtime import Instant

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Request bodies above this are refused with a 413 before they are read in full.
MAX_BODY_BYTES = 1024 * 1024
#: An error shows at most this many problems, and this much of each offending input.
MAX_ERRORS = 20
MAX_INPUT_CHARS = 200
#: Offsets beyond this are refused (they also overflow the databases' 64-bit OFFSET).
MAX_OFFSET = 1_000_000_000


def _storable(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be Unicode text (no unpaired surrogates)") from None
    return value


def Text(min_length: int = 1, max_length: int = 200, strip: bool = False) -> Any:
    """Free text a database can store: JSON can carry NUL characters and unpaired surrogates,
    PostgreSQL's text cannot, so they are a 422 here rather than a failed INSERT."""
    constraints = StringConstraints(
        strip_whitespace=strip, min_length=min_length, max_length=max_length
    )
    return Annotated[str, constraints, AfterValidator(_storable)]


#: An id: a store, location, SKU, cart or order.
Id = Annotated[str, StringConstraints(pattern=ID_PATTERN)]


class Page(BaseModel, Generic[T]):
    """One page of a list, with the total number of matches so clients can page through."""

    data: list[T]
    total: int = Field(description="How many records match the filters in all.")
    limit: int
    offset: int


class PageParams(BaseModel):
    limit: int = Field(100, ge=1, le=1000, description="Page size (at most 1000).")
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="How many matching records to skip.")


PageQuery = Annotated[PageParams, Query()]


class ErrorBody(BaseModel):
    detail: str = Field(examples=["unknown location 'store-9'"])


ERROR_TEXT = {
    400: "The body is not JSON text (for example, not UTF-8).",
    404: "An id in the path or body does not exist.",
    409: "The request conflicts with the current state.",
    413: f"The body is larger than {MAX_BODY_BYTES} bytes; nothing was read or changed.",
    503: "A dependency (the database) is unavailable; nothing was changed.",
}


def error_responses(*codes: int) -> dict[int | str, dict]:
    """OpenAPI entries for the error statuses an endpoint can answer with."""
    return {
        code: {"model": ErrorBody, "description": ERROR_TEXT.get(code, "Error")} for code in codes
    }


def invalid_input(loc: tuple[str | int, ...], message: str, value: Any) -> RequestValidationError:
    """A 422 for a rule the schema cannot express, shaped like FastAPI's own."""
    return RequestValidationError(
        [{"type": "value_error", "loc": loc, "msg": message, "input": value}]
    )


class Period(NamedTuple):
    start: Any
    end: Any


def checked_period(start: Any, end: Any) -> Period:
    """``from`` after ``to`` is a client's mistake, not an empty answer."""
    if start is not None and end is not None and start > end:
        raise invalid_input(("query", "from"), "must not be after 'to'", str(start))
    return Period(start, end)


async def _instant_period(  # async: no I/O, so no hop to the thread pool (see servicekit.app)
    start: Annotated[Instant | None, Query(alias="from", description="Inclusive start.")] = None,
    end: Annotated[Instant | None, Query(alias="to", description="Exclusive end.")] = None,
) -> Period:
    return checked_period(start, end)


#: The ``from``/``to`` query parameters of a list filtered by time.
PeriodQuery = Annotated[Period, Depends(_instant_period)]


def excerpt(value: Any) -> Any:
    """A client's input as an error may echo it: JSON-safe and at most `MAX_INPUT_CHARS`.

    JSON has no NaN or Infinity and UTF-8 no unpaired surrogates (Python's parser accepts
    all three, and echoing them back broke FastAPI's own 422), and a 10 MB input must not
    come back as a 10 MB error.
    """
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, (bool, int, float)) or value is None:
        return value
    if isinstance(value, str):
        cut = value if len(value) <= MAX_INPUT_CHARS else value[:MAX_INPUT_CHARS] + "..."
        return cut.encode("utf-8", "backslashreplace").decode("utf-8")
    text = json.dumps(jsonable_encoder(value))  # ASCII: NaN and surrogates become text
    if len(text) > MAX_INPUT_CHARS:
        return text[:MAX_INPUT_CHARS] + "..."
    try:
        json.dumps(value, allow_nan=False, ensure_ascii=False).encode("utf-8")
    except (TypeError, ValueError):
        return text
    return value


def _bounded_error(error: dict[str, Any]) -> dict[str, Any]:
    bounded = {key: excerpt(error[key]) for key in ("type", "msg") if key in error}
    bounded["loc"] = [excerpt(part) for part in error.get("loc", ())]
    if "input" in error:
        bounded["input"] = excerpt(error["input"])
    if error.get("ctx"):
        bounded["ctx"] = {
            key: excerpt(value if isinstance(value, (str, int, float)) else str(value))
            for key, value in error["ctx"].items()
        }
    return bounded


def install_request_error_handlers(app: FastAPI) -> None:
    """422s that always serialise and stay small, whatever the client sent."""

    async def invalid(_request: Request, error: RequestValidationError) -> JSONResponse:
        problems = list(error.errors())
        detail = [_bounded_error(problem) for problem in problems[:MAX_ERRORS]]
        if len(problems) > MAX_ERRORS:
            detail.append(
                {
                    "type": "too_many_errors",
                    "loc": ["body"],
                    "msg": f"{len(problems) - MAX_ERRORS} more problems not shown",
                }
            )
        return JSONResponse(status_code=422, content={"detail": detail})

    app.add_exception_handler(RequestValidationError, invalid)


class BodySizeLimit:
    """Pure ASGI middleware: refuse request bodies over `MAX_BODY_BYTES` with a JSON 413.

    A declared ``Content-Length`` over the limit is refused before anything is read; a body
    sent in chunks is counted as it arrives and refused once it passes the limit.
    """

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large()(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise HTTPException(413, ERROR_TEXT[413])
            return message

        await self.app(scope, counting_receive, send)

    def _too_large(self) -> JSONResponse:
        return JSONResponse(status_code=413, content={"detail": ERROR_TEXT[413]})


def document_body_errors(app: FastAPI) -> None:
    """Document the 400 (not JSON text) and 413 (too large) of every operation with a body.

    They come from the framework and `BodySizeLimit`, not from the routes, so they are added
    to the generated OpenAPI document rather than repeated on every route.
    """
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            schema.setdefault("components", {}).setdefault("schemas", {})
            schema["components"]["schemas"].setdefault("ErrorBody", ErrorBody.model_json_schema())
            error = {"$ref": "#/components/schemas/ErrorBody"}
            for operations in schema["paths"].values():
                for operation in operations.values():
                    if "requestBody" in operation:
                        for code in (400, 413):
                            operation["responses"].setdefault(
                                str(code),
                                {
                                    "description": ERROR_TEXT[code],
                                    "content": {"application/json": {"schema": error}},
                                },
                            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


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


def health_router(
    database_answers: Callable[[], Awaitable[None]],
    extra_checks: Callable[[], Awaitable[dict[str, str]]],
) -> APIRouter:
    """``/healthz`` (the process answers) and ``/readyz`` (its database answers: awaiting
    ``database_answers`` does not raise).

    ``extra_checks`` reports dependencies that do not decide readiness (the store reports
    the inventory there): a pod whose peer is down should stay in its Service.
    """
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="Liveness: the process is up")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get(
        "/readyz",
        summary="Readiness: the database answers",
        responses={503: {"description": "The database does not answer."}},
    )
    async def readyz() -> JSONResponse:
        checks: dict[str, str] = {}
        ready = True
        try:
            await database_answers()
            checks["database"] = "ok"
        except exc.SQLAlchemyError as error:
            ready = False
            checks["database"] = f"unavailable: {error.__class__.__name__}"
        checks.update(await extra_checks())
        return JSONResponse(
            status_code=200 if ready else 503,
            content={"status": "ready" if ready else "unavailable", "checks": checks},
        )

    return router
