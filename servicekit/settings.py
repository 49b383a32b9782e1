"""Settings shared by every part: read from environment variables only (twelve-factor)."""

from __future__ import annotations

from typing import Literal

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def normalize_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs: a bare ``postgresql://`` would load psycopg2."""
    for bare in ("postgres://", "postgresql://"):
        if url.startswith(bare):
            return "postgresql+psycopg://" + url[len(bare) :]
    return url


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
