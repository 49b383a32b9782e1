"""What the code says, for checking the chart against it: the environment variables each part
reads, the routes the services serve, and their command lines. All derived from the code
itself, so the chart tests stay true when a part starts reading a new variable."""

from __future__ import annotations

import argparse
import ast
import importlib
from dataclasses import dataclass
from pathlib import Path

from pydantic import AliasChoices, AliasPath
from pydantic_settings import BaseSettings

from testkit.processes import ROOT


@dataclass(frozen=True)
class Part:
    package: str  # the folder and import name
    component: str  # the chart's app.kubernetes.io/component
    database: str  # the part's database and role in the bundled PostgreSQL


PARTS = [
    Part("inventory_service", "inventory", "inventory"),
    Part("store_service", "store", "store"),
    Part("customer_sim", "simulator", "sim"),
]
SERVICES = [part for part in PARTS if part.package != "customer_sim"]


def settings_variables(settings: type[BaseSettings]) -> set[str]:
    """The environment variables a pydantic-settings class reads: each field's aliases, else
    its name with the class's prefix (pydantic-settings matches them case-insensitively)."""
    prefix = settings.model_config.get("env_prefix", "")
    names: set[str] = set()
    for name, info in settings.model_fields.items():
        alias = info.validation_alias or info.alias
        if isinstance(alias, str):
            names.add(alias.upper())
        elif isinstance(alias, AliasChoices):
            names |= {c.upper() for c in alias.choices if isinstance(c, str)}
            names |= {c.path[0].upper() for c in alias.choices if isinstance(c, AliasPath)}
        elif isinstance(alias, AliasPath):
            names.add(str(alias.path[0]).upper())
        else:
            names.add(f"{prefix}{name}".upper())
    return names


def _python_files(package: str) -> list[Path]:
    folder = ROOT / package
    return [path for path in folder.rglob("*.py") if "tests" not in path.relative_to(folder).parts]


def _modules_used(package: str) -> set[str]:
    """The part's own package plus every servicekit module it imports, transitively."""
    used = {package}
    pending = list(_python_files(package))
    visited: set[Path] = set()
    while pending:
        path = pending.pop()
        if path in visited:
            continue
        visited.add(path)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                module_path = ROOT / (name.replace(".", "/") + ".py")
                if name.startswith("servicekit") and module_path.exists():
                    used.add(name)
                    pending.append(module_path)
    return used


def environ_reads(path: Path) -> set[str]:
    """Names read with os.environ[...], os.environ.get(...) or os.getenv(...) in one file."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        key = None
        if isinstance(node, ast.Subscript) and ast.unparse(node.value).endswith("environ"):
            key = node.slice
        elif isinstance(node, ast.Call) and node.args:
            function = ast.unparse(node.func)
            if function.endswith(("environ.get", "getenv", "environ.setdefault")):
                key = node.args[0]
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            names.add(key.value)
    return names


def variables_read(part: Part) -> set[str]:
    """Every environment variable the part reads: its Settings class (which inherits the shared
    ones) and any direct read of os.environ in its code or the servicekit modules it uses."""
    settings = importlib.import_module(f"{part.package}.config").Settings
    names = settings_variables(settings)
    for module in _modules_used(part.package):
        if module == part.package:
            files = _python_files(part.package)
        else:
            files = [ROOT / (module.replace(".", "/") + ".py")]
        for path in files:
            names |= environ_reads(path)
    return names


def service_routes(part: Part) -> set[str]:
    """The paths the service's FastAPI app serves (built on a throwaway SQLite database)."""
    app_module = importlib.import_module(f"{part.package}.api.app")
    settings = importlib.import_module(f"{part.package}.config").Settings
    app = app_module.create_app(settings(database_url="sqlite://"))
    return set(app.openapi()["paths"])


def service_parser(part: Part) -> argparse.ArgumentParser:
    """The service's own command line (servicekit's, with the part's defaults)."""
    from servicekit.cli import build_parser

    commands = importlib.import_module(f"{part.package}.__main__").COMMANDS
    return build_parser(commands)
