"""Health, readiness, metrics, OpenAPI documentation, and behaviour with the database down."""

from __future__ import annotations

import psycopg
from fastapi.testclient import TestClient

from inventory_service.api.app import create_app
from inventory_service.config import Settings
from inventory_service.tests.conftest import at, iso
from servicekit.migrations import upgrade
from testkit import database
from testkit.openapi import assert_documented
from testkit.processes import ROOT


def metric(client, name: str) -> float:
    for line in client.get("/metrics").text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"metric {name} not exported")


def test_health_and_readiness(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"database": "ok"}}


def test_metrics_count_requests_and_domain_events(client, location):
    issued, short, placed = (
        metric(client, "inventory_units_issued_total"),
        metric(client, "inventory_units_short_total"),
        metric(client, "inventory_purchase_orders_placed_total"),
    )
    policy = {"type": "rQ", "reorder_point": 1, "order_quantity": 5}
    client.put(f"/locations/{location}/items/milk",
               json={"on_hand": 3, "policy": policy, "at": iso(at(0))})  # fmt: skip
    body = {"reference": "m", "at": iso(at(1)), "lines": [{"sku": "milk", "quantity": 4}]}
    client.post(f"/locations/{location}/issues", json=body)
    assert metric(client, "inventory_units_issued_total") == issued + 3
    assert metric(client, "inventory_units_short_total") == short + 1
    assert metric(client, "inventory_purchase_orders_placed_total") == placed + 1
    text = client.get("/metrics").text
    assert (
        'http_requests_total{method="POST",route="/locations/{location}/issues",status="201"}'
        in text
    )
    assert "http_request_duration_seconds_bucket" in text


def test_metrics_count_the_sql_statements_sent(client, location):
    client.put(f"/locations/{location}/items/tea", json={"on_hand": 9, "at": iso(at(0))})
    body = {"reference": "s", "at": iso(at(1)), "lines": [{"sku": "tea", "quantity": 1}]}
    before = metric(client, "db_statements_total")
    assert client.post(f"/locations/{location}/issues", json=body).status_code == 201
    first = metric(client, "db_statements_total") - before
    assert client.post(f"/locations/{location}/issues", json=body).status_code == 200
    repeat = metric(client, "db_statements_total") - before - first
    assert 0 < repeat < first  # a repeat reads the first result and writes nothing


def test_openapi_documents_every_endpoint_with_examples(client):
    spec = client.get("/openapi.json").json()
    expected = {
        ("get", "/healthz"), ("get", "/readyz"), ("get", "/metrics"), ("get", "/locations"),
        ("get", "/locations/{location}/items"), ("get", "/locations/{location}/items/{sku}"),
        ("put", "/locations/{location}/items/{sku}"), ("post", "/locations/{location}/issues"),
        ("post", "/locations/{location}/clock"), ("get", "/locations/{location}/movements"),
        ("get", "/locations/{location}/movements/totals"),
        ("get", "/locations/{location}/purchase-orders"),
    }  # fmt: skip
    assert_documented(spec, expected)
    schemas = spec["components"]["schemas"]
    for name in ("ItemPublic", "IssueOut", "ClockOut", "MovementOut", "PurchaseOrderOut"):
        assert schemas[name].get("examples"), name


def test_an_unreachable_database_is_a_503_not_a_500():
    settings = Settings(INVENTORY_DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:1/none")
    with TestClient(create_app(settings)) as client:
        assert client.get("/healthz").status_code == 200
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["status"] == "unavailable"
        body = {"reference": "r", "lines": [{"sku": "milk", "quantity": 1}]}
        answer = client.post("/locations/x/issues", json=body)
        assert answer.status_code == 503 and "database unavailable" in answer.json()["detail"]
        assert client.put("/locations/x/items/milk", json={"on_hand": 1}).status_code == 503
        assert client.get("/locations/x/items").status_code == 503


def test_a_database_outage_loses_nothing_and_the_service_recovers(postgres_admin_url):
    url = database.create_database(postgres_admin_url, "dss_test_outage")
    name = url.rsplit("/", 1)[1]
    try:
        upgrade(ROOT / "inventory_service" / "migrations", url)
        with TestClient(create_app(Settings(INVENTORY_DATABASE_URL=url))) as client:
            client.put("/locations/s/items/milk", json={"on_hand": 5, "at": iso(at(0))})
            set_connections(postgres_admin_url, name, allowed=False)
            body = {"reference": "during", "at": iso(at(1)),
                    "lines": [{"sku": "milk", "quantity": 2}]}  # fmt: skip
            assert client.post("/locations/s/issues", json=body).status_code == 503
            assert client.get("/readyz").status_code == 503
            set_connections(postgres_admin_url, name, allowed=True)
            assert client.get("/readyz").status_code == 200
            assert client.get("/locations/s/items/milk").json()["on_hand"] == 5
            assert client.get("/locations/s/movements").json()["total"] == 1
            retried = client.post("/locations/s/issues", json=body)
            assert retried.status_code == 201 and retried.json()["lines"][0]["issued"] == 2
    finally:
        set_connections(postgres_admin_url, name, allowed=True)
        database.drop_database(postgres_admin_url, url)


def set_connections(admin_url: str, name: str, allowed: bool) -> None:
    """Take a database down (refuse and cut every connection) or bring it back."""
    with psycopg.connect(database.libpq_dsn(admin_url), autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS {str(allowed).lower()}')
        if not allowed:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )
