"""What every service's composition root does the same way: the FastAPI app with its lifespan,
health endpoints, metrics, database connections and units of work, and the mapping of errors
to HTTP."""

from __future__ import annotations

import gc
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any, Callable, Iterable, TypeVar

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from prometheus_client import CollectorRegistry
from sqlalchemy import Connection, Engine
from sqlalchemy.util import greenlet_spawn

from servicekit.database import for_reading, for_writing, make_engine, ping
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


def service_engine(service: str, url: str, connections: int) -> Engine:
    """A service's engine: ``connections`` pooled (its worker's share), its work run on the
    event loop (`Database`), each connection named ``<service> pid N`` in
    ``pg_stat_activity``: which service and worker holds what."""
    return make_engine(
        url, connections, application_name=f"{service} pid {os.getpid()}", on_the_event_loop=True
    )


#: The cyclic garbage collector's first threshold in a service (Python's default is 700).
#: A request allocates hundreds of objects that live until it answers, so with 32 requests in
#: flight the default ran a collection every few requests, of objects still in use, which it
#: then promoted into the older generations: a full collection every few seconds, of 75 to
#: 80 ms. Under that load, 3 to 5% of each service's CPU went to collecting; with this
#: threshold, 0.1% (one young collection in 12 s). What is garbage is still freed at once by
#: reference counting; this only delays finding cycles, by a few thousand objects.
YOUNG_OBJECTS_BEFORE_A_COLLECTION = 7000


def service_app(
    *,
    title: str,
    description: str,
    engine: Engine,
    routers: Iterable[APIRouter],
    extra_checks: Callable[[], dict[str, str]] | None = None,
    closers: Iterable[Callable[[], None]] = (),
) -> tuple[FastAPI, CollectorRegistry]:
    """The app with ``/healthz``, ``/readyz``, ``/metrics``, database errors as 503, the
    routers, its `Database` (bind the units of work with `bind_units_of_work`), and a lifespan
    that sets the garbage collector's threshold (`YOUNG_OBJECTS_BEFORE_A_COLLECTION`) and
    closes ``closers`` and the engine on shutdown. Returns the metrics registry for the
    service's own counters.
    """
    database = Database(engine)

    async def database_answers() -> None:
        await database.run(lambda: ping(engine))

    async def peers() -> dict[str, str]:
        # on the loop, as a request's work: a call to a peer in it is awaited there
        return await database.run(extra_checks) if extra_checks else {}

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        gc.set_threshold(YOUNG_OBJECTS_BEFORE_A_COLLECTION, *gc.get_threshold()[1:])
        yield
        for close in closers:
            close()
        await database.run(engine.dispose)

    app = FastAPI(
        title=title, version=project_version(), description=description, lifespan=lifespan
    )
    app.state.database = database
    registry = CollectorRegistry()
    install_request_error_handlers(app)
    install_database_error_handlers(app)
    app.add_middleware(BodySizeLimit)
    install_metrics(app, registry)  # added last, so outermost: it counts the 413s too
    count_statements(engine, registry)
    for router in [health_router(database_answers, peers), *routers]:
        add_routes(app, router)
    document_body_errors(app)
    return app, registry


def add_routes(app: FastAPI, router: APIRouter) -> None:
    """Put a router's routes into the app's own list, rather than ``include_router``: FastAPI
    (0.165) keeps an included router as a branch that every request walks again, matching its
    routes through layers of wrappers, which cost the store 7% of its instructions per cart
    and checkout. A router's prefix and tags are already on its routes (an ``APIRouter`` puts
    them there as it creates each), and ours have no dependencies or settings of their own,
    so the API and its OpenAPI document are the same either way."""
    app.router.routes.extend(router.routes)


class Database:
    """A request's way to its service's database: `read` runs a query on a read connection,
    `write` a use case in a unit of work, and `run` any work that uses either.

    The work runs on the event loop, in a greenlet, as ordinary synchronous code; a call to
    another service inside it (a `servicekit.http_client.JsonClient` made
    ``on_the_event_loop``) exchanges on the loop and waits there while the loop serves other
    requests. So a request costs no hand-off to a thread and back, and waiting requests are
    no threads taking turns at the GIL. On PostgreSQL
    (`servicekit.database.make_engine`'s ``on_the_event_loop``) each statement awaits its
    answer there. SQLite has no asyncio driver: its statements run right there, blocking the
    loop while they do, as they would hold the GIL on a thread (tens of microseconds for the
    services' statements, in-process; its writers take turns anyway, and no transaction stays
    open across a call to a peer). A hand-off to a thread and back cost more than most of
    them: the store's instructions per cart and checkout went down 5% without it, the
    inventory's per issue 9% (`bench/instructions.py`).
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.reader: Callable[[], Connection] = for_reading(engine).connect
        self.unit_of_work: Callable[[], SqlUnitOfWork] = _unbound

    async def run(self, work: Callable[[], T]) -> T:
        """Run ``work`` on the event loop (see the class)."""
        return await greenlet_spawn(work)

    async def read(self, query: Callable[[Connection], T]) -> T:
        """``query(connection)`` on a read connection, closed when it returns."""

        def work() -> T:
            with self.reader() as connection:
                return query(connection)

        return await self.run(work)

    async def write(self, use_case: Callable[[Any], T]) -> T:
        """``use_case(unit_of_work)`` with a fresh unit of work."""
        return await self.run(lambda: use_case(self.unit_of_work()))


def _unbound() -> SqlUnitOfWork:
    raise RuntimeError("no unit of work: call bind_units_of_work(app, ...) first")


def bind_units_of_work(
    app: FastAPI,
    unit_of_work: type[SqlUnitOfWork],
    publish: Callable[[list[Any]], None],
) -> None:
    """Give the app's `Database` its units of work, which write with ``for_writing``.

    Plain SQLAlchemy connections, not ORM sessions: the repositories and queries run Core
    statements, and a connection costs less per transaction and per statement."""
    database: Database = app.state.database
    writer = for_writing(database.engine)
    database.unit_of_work = lambda: unit_of_work(writer.connect, publish)


async def get_database(request: Request) -> Database:
    """FastAPI dependency: the app's `Database`. (``async``, and no I/O: FastAPI runs it on
    the event loop, where a plain ``def`` would cost a hop to a thread and back.)"""
    return request.app.state.database


DatabaseDep = Annotated[Database, Depends(get_database)]


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
