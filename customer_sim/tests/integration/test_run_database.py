"""The run database on SQLite in a temporary folder and on PostgreSQL: runs and their
replications' KPIs recorded and read back, the migrations matching the tables the code
writes, and a database from before the migrations converted with its runs kept."""

import json
from typing import Iterator

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, event, inspect, text

from customer_sim.infrastructure.run_database import MIGRATIONS, METADATA, RunDatabase, migrate
from customer_sim.simulation.recording import RunPlan
from customer_sim.simulation.replications import RunInfo
from customer_sim.simulation.runner import build_result
from customer_sim.tests.builders import hand_built_run, make_scenario
from servicekit.database import make_engine
from testkit import database

DAYS = [[{"milk": (2, 2), "jam": (1, 1)}, {"bread": (3, 3)}], [{"jam": (4, 3)}]]


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/runs/sim.db"  # the folder is created
        return
    admin = request.getfixturevalue("postgres_admin_url")
    created = database.create_database(admin, "dss_test_sim_runs")
    yield created
    database.drop_database(admin, created)


def a_result(plan: RunPlan, number: int):
    scenario, store_id = plan.replication(number)
    run = hand_built_run(scenario, DAYS)
    result = build_result(run.scenario, store_id, run.outcome, run.records)
    result.replication = number
    result.performance = {"customers": 6, "http_calls": 20}
    return result


def test_runs_and_their_replications_are_recorded_listed_and_found(url, tmp_path):
    runs = RunDatabase(url)
    try:
        plan = RunPlan(make_scenario(days=2), "test.yaml", "run-test-5e5e5e5e", 2, tmp_path / "x")
        failed = RunPlan(make_scenario(days=2, seed=2**63 - 1), "t.yaml", "run-test-6f", 1,
                         tmp_path / "y", comparison="compare-1")  # fmt: skip
        first = runs.start_run(plan)
        second = runs.start_run(failed)
        results = [a_result(plan, 1), a_result(plan, 2)]
        info = RunInfo.of(plan.scenario)
        for result in results:
            runs.record_replication(first, result.replication_kpis(), info.skus, None)
        runs.finish_run(first, "succeeded")
        runs.finish_run(second, "failed", "store unreachable")

        listed = runs.list_runs()
        assert [(run.id, run.status) for run in listed] == [
            (second, "failed"),
            (first, "succeeded"),
        ]
        found = runs.get_run(str(first))
        assert found == runs.get_run("run-test-5e5e5e5e") == runs.get_run("run-test-5e5e5e5e-r2")
        assert found.store_ids == ["run-test-5e5e5e5e", "run-test-5e5e5e5e-r2"]
        assert found.replications == 2 and found.finished_at is not None
        assert found.fill_rate == pytest.approx(results[0].kpis().fill_rate)
        assert runs.get_run("run-test-6f").error == "store unreachable"
        assert runs.get_run("run-test-6f").seed == 2**63 - 1
        assert runs.get_run("run-test-6f").comparison == "compare-1"
        assert runs.get_run("999") is None and runs.get_run("run-nope") is None
        with pytest.raises(LookupError):
            runs.finish_run(12345, "failed")

        stored = runs.replicated_run(found)
        assert [r.seed for r in stored.replications] == [11, plan.replication(2)[0].seed]
        for replication, result in zip(stored.replications, results):
            recorded = result.replication_kpis()  # every KPI, per SKU and per day
            assert (replication.run, replication.skus, replication.days) == (
                recorded.run,
                recorded.skus,
                recorded.days,
            )
            assert (replication.store_id, replication.reconciled) == (recorded.store_id, True)
            assert replication.performance == result.performance
        assert stored.info.skus[0].sku == "milk" and stored.info.skus[0].policy == "rQ"
        assert stored.info.start == plan.scenario.start
        daily = [(r.number, day) for r in stored.replications for day, _ in r.days]
        assert daily == [
            (1, "2026-03-02"),
            (1, "2026-03-03"),
            (2, "2026-03-02"),
            (2, "2026-03-03"),
        ]
    finally:
        runs.close()

    reopened = RunDatabase(url)  # migrating again is a no-op
    try:
        assert len(reopened.list_runs()) == 2
    finally:
        reopened.close()


def test_listing_runs_takes_two_queries_however_many_there_are(url, tmp_path):
    runs = RunDatabase(url)
    selects: list[str] = []

    def seen(_connection, _cursor, statement, *_args) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            selects.append(statement)

    try:
        for number in range(3):
            plan = RunPlan(make_scenario(), "t.yaml", f"run-test-list{number}", 2, tmp_path)
            run_id = runs.start_run(plan)
            info = RunInfo.of(plan.scenario)
            for replication in (1, 2):
                kpis = a_result(plan, replication).replication_kpis()
                runs.record_replication(run_id, kpis, info.skus, None)
            runs.finish_run(run_id, "succeeded")
        event.listen(runs.engine, "before_cursor_execute", seen)
        listed = runs.list_runs()
        assert [run.key for run in listed] == [f"run-test-list{n}" for n in (2, 1, 0)]
        assert listed[0].store_ids == ["run-test-list2", "run-test-list2-r2"]
        assert len(selects) == 2  # the runs, then the replications of all of them
    finally:
        runs.close()


def test_the_migrations_build_exactly_the_tables_the_code_writes(url):
    RunDatabase(url).close()
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), METADATA)
    finally:
        engine.dispose()
    # a KPI added to KpiSet without a migration adding its column fails here
    assert differences == []


V1_SUMMARY = {
    "scenario": "default",
    "description": "Small grocery",
    "seed": 42,
    "store_id": "run-default-0ld",
    "start": "2026-03-02T00:00:00+00:00",
    "days": 14,
    "kpis": {"arrivals": 10, "buyers": 8, "orders": 9, "units_demanded": 20, "units_sold": 18,
             "units_lost": 2, "revenue": 30.5, "fill_rate": 0.9, "units_not_found": 5,
             "shelf_fill_rate": 0.72, "average_on_hand": 40.0, "purchase_orders": 3},
    "skus": [{"sku": "milk", "policy": {"type": "rQ"}, "units_demanded": 20, "units_sold": 18,
              "units_lost": 2, "units_not_found": 5, "revenue": 30.5, "average_on_hand": 12.5,
              "final_on_hand": 3, "purchase_orders": 3, "units_ordered": 60}],
    "checks": {"reconciliation_balanced": True},
    "performance": {"customers": 10},
}  # fmt: skip


def make_v1_database(url: str) -> None:
    """A run database as the simulator made it before migrations: the first revision's
    tables, no alembic_version, one finished run with its day and one failed run."""
    engine = make_engine(url, pool_size=1)
    try:
        with engine.connect() as connection:
            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS))
            config.attributes["connection"] = connection
            command.upgrade(config, "0001")
            connection.execute(text("DROP TABLE alembic_version"))
            connection.execute(
                text(
                    "INSERT INTO runs (id, scenario, scenario_file, seed, days, store_id, status,"
                    " started_at, finished_at, output_dir, error, summary) VALUES"
                    " (1, 'default', 'default.yaml', 42, 14, 'run-default-0ld', 'succeeded',"
                    " '2026-03-01 10:00:00', '2026-03-01 10:00:30', 'out/old', NULL, :summary),"
                    " (2, 'other', 'o.yaml', 1, 2, 'run-other-f41l', 'failed',"
                    " '2026-03-01 11:00:00', '2026-03-01 11:00:01', NULL, 'boom', NULL)"
                ),
                {"summary": json.dumps(V1_SUMMARY)},
            )
            connection.execute(
                text(
                    "INSERT INTO daily_results VALUES (1, '2026-03-02', 10, 8, 20, 18, 2, 30.5,"
                    " 0.9, 5, 0.72)"
                )
            )
            connection.commit()
    finally:
        engine.dispose()


def test_a_database_from_before_the_migrations_is_converted_with_its_runs(url, tmp_path):
    make_v1_database(url)
    runs = RunDatabase(url)
    try:
        old = runs.get_run("run-default-0ld")
        assert (old.id, old.status, old.replications, old.output_dir) == (
            1,
            "succeeded",
            1,
            "out/old",
        )
        assert runs.get_run("2").error == "boom"
        converted = runs.replicated_run(old)
        kpis = converted.replications[0].run
        # the old shelf fill rate is the fill rate now; the old fill rate the checkout one
        assert (kpis.units_wanted, kpis.fill_rate, kpis.checkout_fill_rate) == (25, 0.72, 0.9)
        assert (kpis.units_lost_not_on_shelf, kpis.units_lost_at_checkout, kpis.units_lost) == (
            5,
            2,
            7,
        )
        assert kpis.cycle_service_level is None and kpis.total_cost is None  # not measured then
        milk = converted.replications[0].skus["milk"]
        assert (milk.average_on_hand, milk.units_ordered, milk.fill_rate) == (12.5, 60, 0.72)
        assert converted.info.description == "Small grocery"
        assert [day.fill_rate for _, day in converted.replications[0].days] == [0.72]
        # new runs get new numbers after the converted ones
        plan = RunPlan(make_scenario(), "t.yaml", "run-test-after", 1, tmp_path)
        assert runs.start_run(plan) == 3
    finally:
        runs.close()
    engine = create_engine(url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert {"runs", "replications", "sku_results", "daily_results", "alembic_version"} == tables


def test_migrate_is_idempotent_on_a_connection(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path}/sim.db")
    try:
        for _ in range(2):
            with engine.connect() as connection:
                migrate(connection)
                connection.commit()
        with engine.connect() as connection:
            version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        assert version == "0002"
    finally:
        engine.dispose()
