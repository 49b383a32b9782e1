"""inventory_service settings, from environment variables (listed in `.env.example`)."""

from __future__ import annotations

from pydantic import Field

from servicekit.settings import ServiceSettings, DatabaseUrl


class Settings(ServiceSettings):
    database_url: DatabaseUrl = Field(
        "sqlite:///data/inventory.db",
        validation_alias="INVENTORY_DATABASE_URL",
        description="SQLAlchemy URL: postgresql+psycopg://... or sqlite:///path",
    )
    db_pool_size: int = Field(10, ge=1, le=200, validation_alias="INVENTORY_DB_POOL_SIZE")
