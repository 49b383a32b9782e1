"""The run database on SQLite in a temporary folder."""

from customer_sim.infrastructure.run_database import RunDatabase


def test_runs_are_recorded_listed_and_found(tmp_path):
    database = RunDatabase(f"sqlite:///{tmp_path}/runs/sim.db")  # the folder is created
    try:
        first = database.start_run("default", "default.yaml", 42, 14, "run-default-1")
        second = database.start_run("other", "other.yaml", 2**63 - 1, 2, "run-other-2")
        daily = [
            {
                "day": "2026-03-02", "arrivals": 5, "buyers": 4, "units_demanded": 9,
                "units_sold": 8, "units_lost": 1, "revenue": 12.5, "fill_rate": 8 / 9,
                "units_not_found": 2, "shelf_fill_rate": 8 / 11,
            }
        ]  # fmt: skip
        database.finish_run(first, "succeeded", {"kpis": {"units_sold": 8}}, daily, "out/x")
        database.finish_run(second, "failed", error="store unreachable")

        listed = database.list_runs()
        assert [(run.id, run.status) for run in listed] == [
            (second, "failed"),
            (first, "succeeded"),
        ]
        found = database.get_run(str(first))
        assert found is not None and found.summary == {"kpis": {"units_sold": 8}}
        assert found.finished_at is not None and found.output_dir == "out/x"
        assert database.get_run("run-other-2").error == "store unreachable"
        assert database.get_run("run-other-2").seed == 2**63 - 1
        assert database.get_run("999") is None and database.get_run("run-nope") is None
        assert (
            database.daily_rows(first) == [daily[0]]
            or database.daily_rows(first)[0]["units_sold"] == 8
        )
    finally:
        database.close()

    reopened = RunDatabase(f"sqlite:///{tmp_path}/runs/sim.db")  # create_all is idempotent
    try:
        assert len(reopened.list_runs()) == 2
    finally:
        reopened.close()
