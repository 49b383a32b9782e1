"""``python -m store_service migrate|serve``."""

import sys
from pathlib import Path

from servicekit.cli import ServiceCommands, main
from store_service.config import Settings

COMMANDS = ServiceCommands(
    name="store_service",
    default_port=8001,
    load_settings=Settings,
    database_url=lambda settings: settings.database_url,
    migrations_dir=Path(__file__).parent / "migrations",
)

if __name__ == "__main__":
    sys.exit(main(COMMANDS))
