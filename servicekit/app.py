"""What every service's composition root does the same way: the FastAPI app with its lifespan,
health endpoints, metrics, database connections and units of work, and the mapping of errors
to HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Callable, Iterable, TypeVar

import anyio.to_thread
from anyio import CapacityLimiter
from anyio.lowlevel import RunVar

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from prometheus_client import CollectorRegistry
from sqlalchemy import Connection, Engine

from servicekit.database import for_writing
from servicekit.http import (
    BodySizeLimit,
    document_body_errors,
    health_router,
    install_database_error_handlers,
    install_request_error_handlers,
)
from servicekit.metrics import count_statements, install_metrics
from servicekit.unit_of_work import SqlUnitOfWork
from servicekit.version import project_version

T = TypeVar("T")


def service_app(
    *,
    title: str,
    description: str,
    engine: Engine,
    routers: Iterable[APIRouter],
    threads: int,
    extra_checks: Callable[[], dict[str, str]] | None = None,
    closers: Iterable[Callable[[], None]] = (),
) -> tuple[FastAPI, CollectorRegistry]:
    """The app with ``/healthz``, ``/readyz``, ``/metrics``, database errors as 503, the
    routers, and a lifespan that closes ``closers`` and the engine on shutdown. Returns the
    metrics registry for the service's own counters.

    ``threads``: how many requests at a time do their blocking (database) work, the routes
    that are plain ``def``. Give it the database pool's size: a thread without a connection
    only waits for one, while each runnable thread takes turns at the GIL. With uvicorn's
    default of 40, the slowest checkouts at 32 concurrent clients took 5 times longer.
    Work that waits on another service has threads of its own (`waiting_on_a_peer`).
    """
    to_close = [*closers, engine.dispose]

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = threads
        yield
        for close in to_close:
            close()

    app = FastAPI(
        title=title, version=project_version(), description=description, lifespan=lifespan
    )
    registry = CollectorRegistry()
    install_request_error_handlers(app)
    install_database_error_handlers(app)
    app.add_middleware(BodySizeLimit)
    install_metrics(app, registry)  # added last, so outermost: it counts the 413s too
    count_statements(engine, registry)
    app.include_router(health_router(engine, extra_checks))
    for router in routers:
        app.include_router(router)
    document_body_errors(app)
    return app, registry


#: Threads for requests that wait on another service (the store's calls to the inventory):
#: apart from the database work's (see `service_app`), so that a slow peer, which holds them
#: for seconds, never takes the threads every other request needs.
PEER_THREADS = 64
_peer_threads: RunVar[CapacityLimiter] = RunVar("peer_threads")


async def waiting_on_a_peer(work: Callable[[], T]) -> T:
    """Run blocking ``work`` that calls another service, on the threads kept for that."""
    try:
        limiter = _peer_threads.get()
    except LookupError:
        limiter = CapacityLimiter(PEER_THREADS)
        _peer_threads.set(limiter)
    return await anyio.to_thread.run_sync(work, limiter=limiter)


def bind_units_of_work(
    app: FastAPI,
    engine: Engine,
    unit_of_work: type[SqlUnitOfWork],
    publish: Callable[[list[Any]], None],
) -> None:
    """Give requests read connections (`get_reader`) and units of work (`get_unit_of_work`).

    Plain SQLAlchemy connections, not ORM sessions: the repositories and queries run Core
    statements, and a connection costs less per transaction and per statement."""
    writer = for_writing(engine)
    app.state.reader = engine.connect
    app.state.unit_of_work = lambda: unit_of_work(writer.connect, publish)


# The dependencies below are ``async`` and do no I/O, so FastAPI runs them on the event loop:
# a plain ``def`` dependency (or one that yields) costs a hop to the thread pool and back,
# about 0.1 ms of CPU each, on every request. The route, a plain ``def``, then does the
# blocking work in one hop.


async def get_reader(request: Request) -> Callable[[], Connection]:
    """FastAPI dependency: opens read-only connections; a route uses one as
    ``with reader() as connection:``, and closes it before it calls another service, so that
    no pooled connection waits on the network."""
    return request.app.state.reader


async def get_unit_of_work(request: Request) -> SqlUnitOfWork:
    """FastAPI dependency: a fresh unit of work for the request's use case."""
    return request.app.state.unit_of_work()


def install_domain_errors(
    app: FastAPI, base: type[Exception], statuses: dict[type[Exception], int]
) -> None:
    """Answer domain rule violations with their status and ``{"detail": str(error)}``.

    A subclass answers like its nearest mapped base class; unmapped ones are a 400.
    """

    async def domain_error(_request: Request, error: Exception) -> JSONResponse:
        code = next((statuses[c] for c in type(error).__mro__ if c in statuses), 400)
        headers = {"Retry-After": "1"} if code == 503 else None
        return JSONResponse(status_code=code, content={"detail": str(error)}, headers=headers)

    app.add_exception_handler(base, domain_error)
