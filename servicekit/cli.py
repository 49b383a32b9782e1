"""The command line every service shares: ``python -m <service> migrate|serve``."""

from __future__ import annotations

import argparse
import gc
import logging
import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import uvicorn
from pydantic import ValidationError

from servicekit.database import is_sqlite
from servicekit.logging import configure_logging
from servicekit.metrics import share_metrics_between_workers
from servicekit.migrations import upgrade
from servicekit.settings import CommonSettings, settings_problem

log = logging.getLogger(__name__)

# How long uvicorn lets open requests finish after SIGTERM. The Helm chart's
# terminationGracePeriodSeconds must exceed it plus its preStop sleep (a test checks that).
GRACEFUL_SHUTDOWN_SECONDS = 25


@dataclass(frozen=True)
class ServiceCommands:
    name: str  # the package name, e.g. "inventory_service"
    default_port: int  # the local port of the design (store 8001, inventory 8002)
    load_settings: Callable[[], CommonSettings]
    database_url: Callable[[CommonSettings], str]
    migrations_dir: Path


def build_parser(service: ServiceCommands) -> argparse.ArgumentParser:
    """The service's command line; the chart's tests parse its container arguments with it."""
    parser = argparse.ArgumentParser(prog=f"python -m {service.name}")
    sub = parser.add_subparsers(dest="command", required=True)
    migrate = sub.add_parser("migrate", help="apply the database migrations, then exit")
    migrate.add_argument(
        "--wait", type=float, default=60, help="seconds to wait for the database (default 60)"
    )
    serve = sub.add_parser("serve", help="serve the HTTP API with uvicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=service.default_port)
    serve.add_argument("--reload", action="store_true", help="restart on code changes (dev)")
    serve.add_argument(
        "--workers",
        type=int,
        default=None,
        help="worker processes (default: WEB_CONCURRENCY, else 1); not with --reload",
    )
    serve.add_argument(
        "--migrate",
        action="store_true",
        help="apply migrations before serving (always done on the SQLite default)",
    )
    return parser


def reload_dirs(service: ServiceCommands) -> list[str]:
    """What ``serve --reload`` watches: the service's package and servicekit, which it imports.
    Not the working directory: from the repository root that would be .venv, data/ and the
    other parts too. In the dev loop both folders are synced into the pod, so an edit to
    either is live without an image rebuild."""
    return [str(Path(service.migrations_dir).parent), str(Path(__file__).parent)]


def main(service: ServiceCommands, argv: list[str] | None = None) -> int:
    args = build_parser(service).parse_args(argv)
    try:
        settings = service.load_settings()
    except ValidationError as error:
        print(f"{service.name}: error: {settings_problem(error)}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_format)
    url = service.database_url(settings)
    if args.command == "migrate" or args.migrate or is_sqlite(url):
        upgrade(service.migrations_dir, url, wait_seconds=getattr(args, "wait", 30))
        log.info("%s: database schema is up to date", service.name)
    if args.command == "migrate":
        return 0
    # uvicorn drains open requests on SIGTERM/SIGINT, then raises the signal again so that the
    # process ends "killed by it". A stop that was asked for and completed is a success (exit
    # 0: what Kubernetes expects of a pod it stops); Ctrl-C is 130, without a traceback.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(130))
    workers = args.workers or getattr(settings, "web_concurrency", 1)
    # What the workers read to know how many they are (`ServiceSettings.per_worker`).
    os.environ["WEB_CONCURRENCY"] = str(1 if args.reload else workers)
    # The chart names a metrics directory whatever the worker count (and under --reload):
    # prometheus_client then writes there, so it must exist and start empty.
    if (workers > 1 and not args.reload) or os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        share_metrics_between_workers()
    try:
        serve(service, args, workers)
    finally:
        skip_the_final_collections()
    return 0


def serve(service: ServiceCommands, args: argparse.Namespace, workers: int) -> None:
    """uvicorn with the service's app, until it is stopped."""
    uvicorn.run(
        f"{service.name}.api.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        reload=args.reload,
        workers=1 if args.reload else workers,
        reload_dirs=reload_dirs(service) if args.reload else None,
        log_config=None,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )


def skip_the_final_collections() -> None:
    """Make the process's exit quick: when the work is done (the server stopped, its
    lifespan closed everything), move every object into the garbage collector's permanent
    generation (``gc.freeze``), which the collections that Python runs as it shuts down do
    not traverse. They took 0.4 s of a service's exit on the README's machine (and 0.45 s of
    the simulator's), looking for cycles in a heap that goes anyway; frozen, 0.03 s. Objects
    are still freed by reference counting, and ``atexit`` handlers still run."""
    gc.freeze()
