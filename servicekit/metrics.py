"""Prometheus metrics: HTTP request counts and latency and database statements for every
service, plus domain counters.

Each app gets its own registry, so several apps can live in one process (tests do that)
without clashing on metric names. A service run with several uvicorn workers (processes) uses
prometheus_client's multiprocess mode: each worker writes its values to files in
``PROMETHEUS_MULTIPROC_DIR``, and ``/metrics``, whichever worker answers it, adds them all
up, so a scrape sees the service, not one worker.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from sqlalchemy import Engine, event
from starlette.types import ASGIApp, Receive, Scope, Send


class RequestMetrics:
    """Pure ASGI middleware: counts requests and times them by method, route template, status.

    The route *template* (``/locations/{location}/items``) keeps label cardinality bounded.
    """

    def __init__(self, app: ASGIApp, registry: CollectorRegistry) -> None:
        self.app = app
        self.requests = Counter(
            "http_requests_total",
            "HTTP requests handled, by method, route and status code.",
            ["method", "route", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route.",
            ["method", "route"],
            registry=registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        start = time.perf_counter()

        async def send_with_status(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", "unmatched")
            method = scope["method"]
            self.requests.labels(method, template, str(status)).inc()
            self.latency.labels(method, template).observe(time.perf_counter() - start)


def count_statements(engine: Engine, registry: CollectorRegistry) -> None:
    """Count the SQL statements the service sends (an executemany counts once; SQLite's
    explicit BEGIN does not, as PostgreSQL's implicit one cannot): what a request costs the
    database, per route, is this counter's growth over a run of it.

    Counted where the dialect executes (``do_execute`` and its kin, dialect events), not with
    ``before_cursor_execute``: a connection event makes SQLAlchemy dispatch every connection
    event of every statement and transaction (begin, execute, cursor execute, commit, ...),
    and on PostgreSQL, with no other connection event, that cost the store 8 to 10% of its
    instructions per cart and checkout (the README's Performance section)."""
    statements = Counter(
        "db_statements_total", "SQL statements sent to the database.", registry=registry
    )

    def _count(_cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.startswith("BEGIN"):
            statements.inc()
        # None: the dialect goes on to execute the statement itself

    for hook in ("do_execute", "do_executemany", "do_execute_no_params"):
        event.listen(engine, hook, _count)


def install_metrics(app: FastAPI, registry: CollectorRegistry) -> None:
    """Add request metrics and the ``GET /metrics`` endpoint to an app."""
    app.add_middleware(RequestMetrics, registry=registry)

    @app.get(
        "/metrics",
        tags=["operations"],
        summary="Prometheus metrics",
        response_class=Response,
        responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format"}},
    )
    def metrics(_request: Request) -> Response:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # several workers: all of them
            registry_of_all = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry_of_all)
            return Response(generate_latest(registry_of_all), media_type=CONTENT_TYPE_LATEST)
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


def share_metrics_between_workers() -> Path:
    """Before uvicorn starts several workers: a directory for their metrics' files, empty (a
    previous run's files would add to the counts), named in ``PROMETHEUS_MULTIPROC_DIR`` for
    the workers to inherit. Set it to choose the directory; by default a fresh temporary one."""
    chosen = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    directory = Path(chosen) if chosen else Path(tempfile.mkdtemp(prefix="metrics-"))
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)
    return directory
