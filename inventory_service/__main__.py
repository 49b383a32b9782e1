"""``python -m inventory_service migrate|serve``."""

import sys
from pathlib import Path

from inventory_service.config import Settings
from servicekit.cli import ServiceCommands, main

COMMANDS = ServiceCommands(
    name="inventory_service",
    default_port=8002,
    load_settings=Settings,
    database_url=lambda settings: settings.database_url,
    migrations_dir=Path(__file__).parent / "migrations",
)

if __name__ == "__main__":
    sys.exit(main(COMMANDS))
