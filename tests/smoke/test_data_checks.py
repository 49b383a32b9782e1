"""The smoke test's data checks: on answers recorded from the real services (tests/smoke/record.py),
on those answers with one fact changed, and live against running services."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta
from typing import Any

import pytest

from testkit.processes import ServiceProcess
from testkit.smoke.data import Answer, check_ready, check_run_data, stores_opened_between
from tests.smoke.record import ANSWERS, http_fetch


def recorded(name: str) -> dict[str, Any]:
    return json.loads((ANSWERS / name).read_text(encoding="utf-8"))


class Replay:
    """A ``Fetch`` that answers from a recording and fails on a question never recorded."""

    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    def __call__(self, path: str) -> Answer:
        self.asked.append(path)
        if path not in self.answers:
            raise AssertionError(f"not recorded: {path} (re-run python -m tests.smoke.record)")
        return Answer(self.answers[path]["status"], self.answers[path]["body"])


@pytest.fixture
def run() -> dict[str, Any]:
    return recorded("default-1-day.json")


def window(run: dict[str, Any]) -> tuple[datetime, datetime]:
    return (
        datetime.fromisoformat(run["window"]["started"]),
        datetime.fromisoformat(run["window"]["finished"]),
    )


def run_store_id(run: dict[str, Any]) -> str:
    (store,) = run["store"]["/stores?limit=1000&offset=0"]["body"]["data"]
    return store["id"]


def check(run: dict[str, Any]):
    return check_run_data(Replay(run["store"]), Replay(run["inventory"]), *window(run))


def test_the_recorded_run_passes_and_says_what_it_found(run: dict[str, Any]) -> None:
    outcome = check(run)
    assert outcome.problems == []
    store_id = run_store_id(run)
    orders = run["store"][f"/stores/{store_id}/orders?limit=1"]["body"]["total"]
    assert orders > 0
    assert outcome.lines[0].startswith(f"run store {store_id}: {orders:,} orders")
    assert "reconciliation: balanced on 10 SKUs" in outcome.lines[-1]


def test_both_services_ready_and_the_store_reaching_the_inventory(run: dict[str, Any]) -> None:
    outcome = check_ready("store", Replay(run["store"]), needs=("inventory",))
    outcome.extend(check_ready("inventory", Replay(run["inventory"])))
    assert outcome.problems == []
    assert outcome.lines == [
        "store /readyz: ready (database ok, inventory ok)",
        "inventory /readyz: ready (database ok)",
    ]


def test_a_store_that_cannot_reach_the_inventory_fails_the_smoke_test() -> None:
    answers = recorded("store-without-inventory.json")["store"]
    assert check_ready("store", Replay(answers)).problems == []  # ready by its own rule
    outcome = check_ready("store", Replay(answers), needs=("inventory",))
    reported = answers["/readyz"]["body"]["checks"]["inventory"]
    assert reported.startswith("unavailable")
    assert outcome.problems == [f"store /readyz: inventory is {reported!r}"]


def test_a_service_that_is_not_ready_fails_with_its_answer(run: dict[str, Any]) -> None:
    answers = copy.deepcopy(run["inventory"])
    answers["/readyz"] = {
        "status": 503,
        "body": {"status": "unavailable", "checks": {"database": "unavailable: OperationalError"}},
    }
    (problem,) = check_ready("inventory", Replay(answers)).problems
    assert problem.startswith("inventory /readyz answered 503:") and "OperationalError" in problem


def test_no_store_opened_during_the_run_is_a_failure(run: dict[str, Any]) -> None:
    started, finished = window(run)
    later = timedelta(hours=1)
    outcome = check_run_data(
        Replay(run["store"]), Replay(run["inventory"]), started + later, finished + later
    )
    (problem,) = outcome.problems
    assert problem.startswith("no store was opened while the run went on")
    assert problem.endswith("the store service has 1 stores")


def test_a_run_without_orders_fails(run: dict[str, Any]) -> None:
    store_id = run_store_id(run)
    run["store"][f"/stores/{store_id}/orders?limit=1"]["body"].update(data=[], total=0)
    assert f"store {store_id} has no orders" in check(run).problems


def test_a_ledger_without_issues_fails(run: dict[str, Any]) -> None:
    store_id = run_store_id(run)
    path = f"/locations/{store_id}/movements?kind=issue&limit=1"
    run["inventory"][path]["body"].update(data=[], total=0)
    assert f"the inventory ledger has no issues at location {store_id}" in check(run).problems


def test_an_unbalanced_reconciliation_fails_naming_the_skus(run: dict[str, Any]) -> None:
    store_id = run_store_id(run)
    reconciliation = run["store"][f"/stores/{store_id}/reconciliation"]["body"]
    reconciliation["balanced"] = False
    line = reconciliation["skus"][0]
    line["issued"] = line["fulfilled"] + 2
    problems = check(run).problems
    expected = f"{line['sku']}: {line['fulfilled']} sold, {line['fulfilled'] + 2} issued"
    assert any(
        p.startswith(f"store {store_id} does not reconcile") and expected in p for p in problems
    )


def test_daily_sales_that_disagree_with_the_orders_fail(run: dict[str, Any]) -> None:
    store_id = run_store_id(run)
    days = run["store"][f"/stores/{store_id}/sales/daily"]["body"]
    days[0]["units_sold"] -= 1
    (problem,) = check(run).problems
    assert problem.startswith(f"store {store_id}: daily sales add up to")


def test_a_refused_question_is_reported_not_raised(run: dict[str, Any]) -> None:
    store_id = run_store_id(run)
    run["store"][f"/stores/{store_id}/reconciliation"] = {
        "status": 503,
        "body": {"detail": "inventory unavailable"},
    }
    (problem,) = check(run).problems
    assert problem == (
        f"GET /stores/{store_id}/reconciliation answered 503: {{'detail': 'inventory unavailable'}}"
    )


def test_the_run_store_is_found_on_a_later_page(run: dict[str, Any]) -> None:
    (row,) = run["store"]["/stores?limit=1000&offset=0"]["body"]["data"]
    long_ago = "2020-01-01T00:00:00Z"
    others = [{**row, "id": f"old-{i}", "created_at": long_ago} for i in range(2400)]
    listing = others + [row]
    for offset in (0, 1000, 2000):
        run["store"][f"/stores?limit=1000&offset={offset}"] = {
            "status": 200,
            "body": {
                "data": listing[offset : offset + 1000],
                "total": len(listing),
                "limit": 1000,
                "offset": offset,
            },
        }
    store = Replay(run["store"])
    outcome = check_run_data(store, Replay(run["inventory"]), *window(run))
    assert outcome.problems == []
    assert [p for p in store.asked if p.startswith("/stores?")] == [
        "/stores?limit=1000&offset=0",
        "/stores?limit=1000&offset=1000",
        "/stores?limit=1000&offset=2000",
    ]


@pytest.mark.slow
def test_the_checks_pass_on_a_real_run_and_ask_only_what_was_recorded(
    store_server: ServiceProcess,
    inventory_server: ServiceProcess,
    finished_run: tuple[datetime, datetime],
) -> None:
    """Against the real services (which hold other tests' stores too): a one-day run passes,
    and the questions asked are the recorded ones, so the recording still covers them."""
    started, finished = finished_run
    asked: list[str] = []

    def asking(fetch):
        return lambda path: asked.append(path) or fetch(path)

    store, inventory = asking(http_fetch(store_server.url)), asking(
        http_fetch(inventory_server.url)
    )
    outcome = check_ready("store", store, needs=("inventory",))
    outcome.extend(check_ready("inventory", inventory))
    outcome.extend(check_run_data(store, inventory, started, finished))
    assert outcome.problems == []
    assert len(outcome.lines) == 5

    (live_run,), _total = stores_opened_between(http_fetch(store_server.url), started, finished)
    run = recorded("default-1-day.json")

    def shape(path: str, store_id: str) -> str:  # ids and page offsets differ between runs
        return path.replace(store_id, "<store>").split("&offset=")[0]

    recorded_paths = {shape(p, run_store_id(run)) for p in [*run["store"], *run["inventory"]]}
    assert {shape(p, live_run["id"]) for p in asked} == recorded_paths
