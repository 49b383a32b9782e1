"""customer_sim settings, from environment variables (listed in `.env.example`)."""

from __future__ import annotations

from pydantic import Field

from servicekit.settings import CommonSettings, DatabaseUrl, HttpUrl


class Settings(CommonSettings):
    database_url: DatabaseUrl = Field(
        "sqlite:///data/sim.db",
        validation_alias="SIM_DATABASE_URL",
        description="The run database (results of every run): postgresql+psycopg://... or sqlite",
    )
    store_url: HttpUrl = Field("http://127.0.0.1:8001", validation_alias="STORE_URL")
    inventory_url: HttpUrl = Field("http://127.0.0.1:8002", validation_alias="INVENTORY_URL")
    http_timeout_seconds: float = Field(10, gt=0, validation_alias="SIM_HTTP_TIMEOUT_SECONDS")
    http_retries: int = Field(3, ge=0, le=20, validation_alias="SIM_HTTP_RETRIES")
    output_dir: str = Field(
        "out",
        validation_alias="SIM_OUTPUT_DIR",
        description="Where runs write their reports when --out is not given (one folder a run)",
    )
