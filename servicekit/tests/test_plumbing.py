"""The shared plumbing's own behaviour: settings, logging formats, database waiting, the
garbage collector's threshold."""

from __future__ import annotations

import gc
import importlib
import json
import logging

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import exc

from servicekit.app import YOUNG_OBJECTS_BEFORE_A_COLLECTION, service_app
from servicekit.database import make_engine
from servicekit.http import excerpt
from servicekit.logging import configure_logging
from servicekit.migrations import wait_for_database
from servicekit.settings import (
    CommonSettings,
    ServiceSettings,
    normalize_database_url,
    settings_problem,
)


@pytest.mark.parametrize(
    "url, expected",
    [
        ("postgresql://u:p@h/db", "postgresql+psycopg://u:p@h/db"),
        ("postgres://u:p@h/db", "postgresql+psycopg://u:p@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///data/x.db", "sqlite:///data/x.db"),
    ],
)
def test_postgresql_urls_use_psycopg_3(url, expected):
    assert normalize_database_url(url) == expected


def test_log_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("LOG_LEVEL", "debug")
    monkeypatch.setenv("LOG_FORMAT", "json")
    settings = CommonSettings()
    assert (settings.log_level, settings.log_format) == ("DEBUG", "json")
    monkeypatch.setenv("LOG_FORMAT", "xml")
    with pytest.raises(ValueError):
        CommonSettings()


@pytest.mark.parametrize(
    "settings_class, variable",
    [
        ("inventory_service.config", "INVENTORY_DATABASE_URL"),
        ("store_service.config", "STORE_DATABASE_URL"),
        ("customer_sim.config", "SIM_DATABASE_URL"),
    ],
)
def test_every_part_reads_a_dotenv_file_and_the_environment_wins(
    tmp_path, monkeypatch, settings_class, variable
):
    Settings = importlib.import_module(settings_class).Settings
    (tmp_path / ".env").write_text(f"{variable}=sqlite:///dotenv.db\nLOG_LEVEL=debug\n")
    monkeypatch.chdir(tmp_path)
    for name in (variable, "LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert (settings.database_url, settings.log_level) == ("sqlite:///dotenv.db", "DEBUG")
    monkeypatch.setenv(variable, "postgresql://u:p@h/from-env")
    assert Settings().database_url == "postgresql+psycopg://u:p@h/from-env"


def test_per_request_logs_of_servers_and_clients_only_at_debug():
    per_request = ("uvicorn.access", "httpx", "httpcore")
    try:
        configure_logging("INFO", "text")
        assert all(
            logging.getLogger(name).getEffectiveLevel() > logging.INFO for name in per_request
        )
        configure_logging("DEBUG", "text")
        assert all(logging.getLogger(name).isEnabledFor(logging.DEBUG) for name in per_request)
    finally:
        configure_logging("INFO", "text")


def test_json_logs_are_one_object_per_line_with_extra_fields(capsys):
    try:
        configure_logging("INFO", "json")
        logging.getLogger("dss.test").info("issued %d units", 3, extra={"location": "s1"})
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            logging.getLogger("dss.test").exception("failed")
        lines = capsys.readouterr().err.strip().splitlines()
        first, second = (json.loads(line) for line in lines[-2:])
        assert first["message"] == "issued 3 units" and first["location"] == "s1"
        assert first["level"] == "INFO" and first["logger"] == "dss.test" and "time" in first
        assert "RuntimeError: boom" in second["exception"]
        # request access logs only at DEBUG
        assert logging.getLogger("uvicorn.access").getEffectiveLevel() == logging.WARNING
    finally:
        configure_logging("INFO", "text")


def test_waiting_for_a_database_that_never_answers_gives_up(caplog):
    with pytest.raises(exc.OperationalError):
        wait_for_database("postgresql+psycopg://nobody@127.0.0.1:1/none", timeout_seconds=1.5)
    assert "waiting for the database" in caplog.text


@pytest.mark.parametrize(
    "value, expected",
    [
        (float("nan"), "nan"),
        (float("-inf"), "-inf"),
        (3, 3),
        ("lone \udfff", "lone \\udfff"),
        ({"on_hand": float("nan")}, '{"on_hand": NaN}'),
        (["a", 1], ["a", 1]),
        ("x" * 1000, "x" * 200 + "..."),
        (list(range(1000)), json.dumps(list(range(1000)))[:200] + "..."),
    ],
)
def test_an_error_echoes_a_json_safe_bounded_excerpt_of_the_input(value, expected):
    shown = excerpt(value)
    assert shown == expected
    json.dumps(shown, allow_nan=False, ensure_ascii=False).encode("utf-8")


@pytest.mark.parametrize(
    "variable, value, message",
    [
        ("INVENTORY_URL", "localhost:8002", "is not an http:// or https:// URL"),
        ("INVENTORY_URL", "http://h:port", "is not an http:// or https:// URL"),
        ("STORE_DATABASE_URL", "foo://x", "unsupported database 'foo'"),
        ("STORE_DATABASE_URL", "not a url", "is not a database URL"),
        ("STORE_DATABASE_URL", "postgresql+psycopg2://u:secret@h/db", "'postgresql+psycopg2'"),
    ],
)
def test_bad_urls_are_named_in_one_line_without_passwords(monkeypatch, variable, value, message):
    from store_service.config import Settings

    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError) as raised:
        Settings()
    line = settings_problem(raised.value)
    assert line.startswith(f"{variable}=") and message in line and "\n" not in line
    assert "secret" not in line


def test_good_urls_are_normalised(monkeypatch):
    from store_service.config import Settings

    monkeypatch.setenv("INVENTORY_URL", "https://inventory.example:8443/api/")
    monkeypatch.setenv("STORE_DATABASE_URL", "postgres://u:p@h:5432/store")
    settings = Settings()
    assert settings.inventory_url == "https://inventory.example:8443/api"
    assert settings.database_url == "postgresql+psycopg://u:p@h:5432/store"


@pytest.mark.parametrize(
    "workers, pool, share", [(1, 10, 10), (2, 10, 5), (3, 10, 4), (4, 2, 1), (64, 1, 1)]
)
def test_workers_share_the_services_pool_out(monkeypatch, workers, pool, share):
    monkeypatch.setenv("WEB_CONCURRENCY", str(workers))
    assert ServiceSettings().per_worker(pool) == share


def test_a_service_collects_cyclic_garbage_after_thousands_of_objects_not_hundreds(tmp_path):
    """Python's default (700) collected, again and again, the objects of requests in flight."""
    engine = make_engine(f"sqlite:///{tmp_path / 'gc.db'}")
    app, _ = service_app(title="t", description="d", engine=engine, routers=[])
    before = gc.get_threshold()
    try:
        with TestClient(app) as client:
            assert client.get("/healthz").status_code == 200
            assert gc.get_threshold() == (YOUNG_OBJECTS_BEFORE_A_COLLECTION, *before[1:])
    finally:
        gc.set_threshold(*before)
