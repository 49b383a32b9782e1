"""store_service settings, from environment variables (listed in `.env.example`)."""

from __future__ import annotations

from pydantic import Field

from servicekit.settings import ServiceSettings, DatabaseUrl, HttpUrl


class Settings(ServiceSettings):
    database_url: DatabaseUrl = Field(
        "sqlite:///data/store.db",
        validation_alias="STORE_DATABASE_URL",
        description="SQLAlchemy URL: postgresql+psycopg://... or sqlite:///path",
    )
    db_pool_size: int = Field(10, ge=1, le=200, validation_alias="STORE_DB_POOL_SIZE")
    inventory_url: HttpUrl = Field(
        "http://127.0.0.1:8002",
        validation_alias="INVENTORY_URL",
        description="Base URL of inventory_service",
    )
    inventory_timeout_seconds: float = Field(
        5.0, gt=0, le=120, validation_alias="INVENTORY_TIMEOUT_SECONDS"
    )
    inventory_retries: int = Field(3, ge=0, le=10, validation_alias="INVENTORY_RETRIES")
