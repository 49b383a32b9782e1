"""Find (or start) the PostgreSQL server the tests need, and create fresh databases on it.

`make test` runs `python -m testkit.database` to choose the server:

1. ``TEST_DATABASE_URL`` when it is set;
2. otherwise a local server on 127.0.0.1:5432 that accepts the ``postgres`` user without a
   password (a developer machine, CI);
3. otherwise a throwaway ``postgres:16`` container started with Docker on 127.0.0.1:55432;
4. otherwise it stops and says what it needs.

The URL printed is an *admin* URL: tests create their own databases on that server (one per
service and test session) so that they never touch anything else.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid

import psycopg
from sqlalchemy.engine import make_url

LOCAL_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DOCKER_CONTAINER = "dss-test-postgres"
DOCKER_PORT = 55432
DOCKER_URL = f"postgresql+psycopg://test_user:test_password_1234@127.0.0.1:{DOCKER_PORT}/postgres"


def libpq_dsn(url: str) -> str:
    """The libpq form of a SQLAlchemy URL (psycopg does not know the ``+psycopg`` suffix)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def can_connect(url: str, timeout: int = 3) -> bool:
    try:
        with psycopg.connect(libpq_dsn(url), connect_timeout=timeout):
            return True
    except psycopg.Error:
        return False


def _start_docker_postgres() -> str | None:
    if shutil.which("docker") is None:
        return None
    if subprocess.run(["docker", "info"], capture_output=True).returncode != 0:
        return None
    running = subprocess.run(
        ["docker", "ps", "-q", "-f", f"name=^{DOCKER_CONTAINER}$"], capture_output=True, text=True
    ).stdout.strip()
    if not running:
        subprocess.run(["docker", "rm", "-f", DOCKER_CONTAINER], capture_output=True)
        print(f"starting a throwaway PostgreSQL container ({DOCKER_CONTAINER})", file=sys.stderr)
        started = subprocess.run(
            [
                "docker", "run", "-d", "--rm", "--name", DOCKER_CONTAINER,
                "-e", "POSTGRES_USER=test_user", "-e", "POSTGRES_PASSWORD=test_password_1234",
                "-p", f"127.0.0.1:{DOCKER_PORT}:5432", "postgres:16-alpine",
            ],
            capture_output=True,
            text=True,
        )  # fmt: skip
        if started.returncode != 0:
            print(started.stderr.strip(), file=sys.stderr)
            return None
    for _ in range(60):
        if can_connect(DOCKER_URL, timeout=1):
            return DOCKER_URL
        time.sleep(1)
    return None


def find_server() -> str:
    """Return an admin URL of a reachable PostgreSQL server, or exit with what is needed."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        if not can_connect(url):
            sys.exit(f"TEST_DATABASE_URL is set but PostgreSQL does not answer there: {url}")
        return url
    if can_connect(LOCAL_URL):
        return LOCAL_URL
    docker_url = _start_docker_postgres()
    if docker_url:
        return docker_url
    sys.exit(
        "The tests need PostgreSQL and none was found.\n"
        "  - set TEST_DATABASE_URL=postgresql+psycopg://USER:PASSWORD@HOST:PORT/postgres "
        "(a user that may create databases), or\n"
        "  - run a local server on 127.0.0.1:5432 that lets the 'postgres' user in, or\n"
        "  - make Docker available, and a postgres:16-alpine container is started for you."
    )


def create_database(admin_url: str, prefix: str) -> str:
    """Create a new, empty database on the admin URL's server and return its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(libpq_dsn(admin_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_database(admin_url: str, url: str) -> None:
    """Drop a database made by `create_database`, closing whatever is still connected."""
    name = make_url(url).database
    with psycopg.connect(libpq_dsn(admin_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    print(find_server())
