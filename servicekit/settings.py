"""Settings shared by every part: read from environment variables only (twelve-factor)."""

from __future__ import annotations

import re
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError


def normalize_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs: a bare ``postgresql://`` would load psycopg2."""
    for bare in ("postgres://", "postgresql://"):
        if url.startswith(bare):
            return "postgresql+psycopg://" + url[len(bare) :]
    return url


def check_database_url(url: str) -> str:
    """A URL the engine can open: PostgreSQL through psycopg 3, or SQLite."""
    url = normalize_database_url(url)
    example = "postgresql+psycopg://user:password@host:5432/name or sqlite:///data/name.db"
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ValueError(f"is not a database URL such as {example}") from None
    if parsed.drivername not in ("postgresql+psycopg", "sqlite", "sqlite+pysqlite"):
        raise ValueError(f"names an unsupported database {parsed.drivername!r}: use {example}")
    return url


def check_http_url(url: str) -> str:
    """The base URL of a service: http(s)://host[:port][/path], without a trailing slash."""
    parts = urlsplit(url)
    try:
        valid = parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
    except ValueError:  # a port that is not a number
        valid = False
    if not valid:
        raise ValueError("is not an http:// or https:// URL such as http://127.0.0.1:8001")
    return url.rstrip("/")


#: Environment variables holding a database URL or a service's base URL.
DatabaseUrl = Annotated[str, AfterValidator(check_database_url)]
HttpUrl = Annotated[str, AfterValidator(check_http_url)]


def settings_problem(error: ValidationError) -> str:
    """One line naming each bad variable, for a command line to print before it exits 2.

    The value is shown with any password in it masked: it may be a database URL.
    """
    problems = []
    for problem in error.errors():
        variable = str(problem["loc"][0]).upper() if problem["loc"] else "settings"
        message = problem["msg"].removeprefix("Value error, ")
        shown = re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", str(problem.get("input")))
        problems.append(f"{variable}={shown!r} {message}")
    return "; ".join(problems)


class CommonSettings(BaseSettings):
    """Variables every part reads. Subclasses add their own (see `.env.example`).

    A ``.env`` file in the working directory (a copy of `.env.example`) is read too; a real
    environment variable wins over it.
    """

    model_config = SettingsConfigDict(
        extra="ignore", populate_by_name=True, env_file=".env", env_file_encoding="utf-8"
    )

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    log_format: Literal["text", "json"] = "text"

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value


class ServiceSettings(CommonSettings):
    """Variables every HTTP service reads (the simulator is not one)."""

    web_concurrency: int = Field(
        1,
        ge=1,
        le=64,
        validation_alias="WEB_CONCURRENCY",
        description="uvicorn worker processes (`serve --workers` overrides it): about one per "
        "CPU core the service may use; they share the service's database pool out",
    )

    def per_worker(self, per_service: int) -> int:
        """Each worker's share of something the service has ``per_service`` of (its database
        connections): divided among the workers, rounded up, at least 1. So more workers do
        not mean more connections to the database, nor more threads taking turns at each
        worker's GIL (with 2 workers of a 10-connection pool each, the slowest checkouts at 32
        clients took 1.5 times longer than with 5 each)."""
        return max(1, -(-per_service // self.web_concurrency))
