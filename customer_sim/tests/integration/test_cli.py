"""The command line without the services: exit codes, validation before any request, and
reading the run database. A scripted HTTP server (testkit's) stands in for a service where
the test needs to prove that nothing was sent."""

import re
from pathlib import Path
from typing import Iterator

import pytest

from customer_sim.cli import main
from customer_sim.infrastructure.run_database import RunDatabase
from customer_sim.simulation.recording import RunPlan
from customer_sim.simulation.replications import RunInfo
from customer_sim.simulation.runner import build_result
from customer_sim.tests.builders import hand_built_run, make_scenario, scenario_data, scenario_yaml
from testkit.processes import free_port
from testkit.scripted_server import ScriptedServer

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


@pytest.fixture(autouse=True)
def environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SIM_DATABASE_URL", f"sqlite:///{tmp_path}/sim.db")
    monkeypatch.setenv("SIM_HTTP_RETRIES", "1")
    monkeypatch.setenv("SIM_HTTP_TIMEOUT_SECONDS", "2")
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def listening_service() -> Iterator[ScriptedServer]:
    """A service that answers every request with 200 and records it."""
    with ScriptedServer((200, {"status": "ok"})) as server:
        yield server


def write(tmp_path: Path, data: dict, name: str = "bad.yaml") -> Path:
    path = tmp_path / name
    path.write_text(scenario_yaml(data))
    return path


def test_a_bad_scenario_exits_2_before_any_request(tmp_path, listening_service, capsys):
    bad = write(tmp_path, scenario_data(arrivals={"model": "poisson", "rate_per_hour": -1}))
    service = listening_service.url
    code = main(["run", str(bad), "--store-url", service, "--inventory-url", service])
    assert code == 2
    assert listening_service.received == []
    err = capsys.readouterr().err
    assert "scenario error in bad.yaml: arrivals.rate_per_hour" in err


def test_compare_validates_every_scenario_first(tmp_path, listening_service, capsys):
    good = SCENARIOS / "compare-rq.yaml"
    bad = write(tmp_path, scenario_data(colour="red"))
    service = listening_service.url
    code = main(["compare", str(good), str(bad), "--store-url", service,
                 "--inventory-url", service])  # fmt: skip
    assert code == 2
    assert listening_service.received == []
    assert "colour: unknown key" in capsys.readouterr().err


def test_a_missing_scenario_file_exits_2(tmp_path, capsys):
    assert main(["run", str(tmp_path / "nope.yaml")]) == 2
    assert "cannot read the file" in capsys.readouterr().err


def test_an_unreachable_store_exits_3_and_records_nothing(listening_service, capsys):
    nobody = f"http://127.0.0.1:{free_port()}"
    inventory = listening_service.url
    scenario = SCENARIOS / "single-sku.yaml"
    code = main(["run", str(scenario), "--store-url", nobody, "--inventory-url", inventory])
    assert code == 3
    assert "store unreachable at " + nobody in capsys.readouterr().err
    assert main(["list"]) == 0
    assert "no runs yet" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["run"],
        ["fly", "x.yaml"],
        ["run", "x.yaml", "--days", "0"],
        ["run", "x.yaml", "--seed", "-3"],
        ["run", "x.yaml", "--progress", "loud"],
    ],
)
def test_bad_arguments_exit_2(argv):
    with pytest.raises(SystemExit) as raised:
        main(argv)
    assert raised.value.code == 2


def test_validate(tmp_path, capsys):
    assert main(["validate", str(SCENARIOS / "default.yaml")]) == 0
    assert "ok: " in capsys.readouterr().out
    bad = write(tmp_path, scenario_data(days=0))
    assert main(["validate", str(SCENARIOS / "single-sku.yaml"), str(bad)]) == 2
    assert "days: Input should be greater than or equal to 1" in capsys.readouterr().err


def test_list_and_show_read_the_run_database(tmp_path, capsys):
    runs = RunDatabase(f"sqlite:///{tmp_path}/sim.db")
    scenario = make_scenario(days=2)
    failed = RunPlan(scenario, "default.yaml", "run-default-abc", 1, tmp_path / "abc")
    runs.finish_run(runs.start_run(failed), "failed", "store unreachable at http://x")
    plan = RunPlan(scenario, "test.yaml", "run-test-def", 2, tmp_path / "def")
    info = RunInfo.of(scenario)
    run_id = runs.start_run(plan)
    results = []
    for number in (1, 2):
        replica, store_id = plan.replication(number)
        built = hand_built_run(replica, [[{"milk": (2, 2)}], [{"jam": (1, 1)}]])
        result = build_result(built.scenario, store_id, built.outcome, built.records)
        result.replication = number
        results.append(result)
        runs.record_replication(run_id, result.replication_kpis(), info.skus, None)
    runs.finish_run(run_id, "succeeded")
    runs.close()

    assert main(["list"]) == 0
    listed = capsys.readouterr().out
    assert "run-default-abc" in listed and "failed" in listed
    fill = results[0].kpis().fill_rate
    assert f"{100 * fill:.1f}%" in listed.splitlines()[2]  # the newest run first
    assert main(["show", "run-default-abc"]) == 0
    assert "error: store unreachable at http://x" in capsys.readouterr().out

    assert main(["show", "run-test-def-r2"]) == 0  # a replication's store finds its run
    shown = capsys.readouterr().out
    assert f"run {run_id} (run-test-def): succeeded" in shown
    assert "2 replications (seeds 11, " in shown
    assert f"{100 * fill:.1f} ± 0.0%" in shown  # percentages, as run prints them
    assert "day (mean of 2)" in shown and "0.6667" not in shown
    assert f"report: {tmp_path / 'def'}/ is gone" in shown  # nothing was written there

    assert main(["show", "77"]) == 2
    assert "no run '77'" in capsys.readouterr().err


@pytest.mark.parametrize(
    "option", [["--replications", "0"], ["--replications", "x"], ["--parallel", "33"]]
)
def test_bad_replication_options_exit_2(option, capsys):
    with pytest.raises(SystemExit) as raised:
        main(["run", "x.yaml", *option])
    assert raised.value.code == 2
    assert "argument --" in capsys.readouterr().err


@pytest.mark.parametrize("content", [bytes(range(256)), b"\xff\xfe\x00s\x00e\x00e\x00d"])
def test_a_file_that_is_not_text_is_a_one_line_error(tmp_path, capsys, content):
    picture = tmp_path / "some.png"
    picture.write_bytes(content)
    assert main(["validate", str(picture)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"scenario error in {picture}") and "not UTF-8 text" in err
    assert "Traceback" not in err and len(err.splitlines()) <= 2


@pytest.mark.parametrize("option", ["--store-url", "--inventory-url"])
@pytest.mark.parametrize("value", ["notaurl", "localhost:18001", "http://h:port"])
def test_a_malformed_service_url_option_exits_2(option, value, capsys):
    with pytest.raises(SystemExit) as raised:
        main(["run", str(SCENARIOS / "single-sku.yaml"), option, value])
    assert raised.value.code == 2
    assert f"argument {option}: '{value}' is not an http://" in capsys.readouterr().err


@pytest.mark.parametrize(
    "variable, value",
    [
        ("STORE_URL", "localhost:18001"),
        ("INVENTORY_URL", "ftp://inventory"),
        ("SIM_DATABASE_URL", "foo://x"),
        ("SIM_HTTP_RETRIES", "many"),
    ],
)
def test_a_malformed_setting_is_one_line_and_exits_2(monkeypatch, capsys, variable, value):
    monkeypatch.setenv(variable, value)
    assert main(["list"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"customer_sim: error: {variable}='{value}'") and "\n" not in err


def test_a_bad_number_argument_names_the_problem_not_the_parser(capsys):
    with pytest.raises(SystemExit):
        main(["run", "x.yaml", "--days", "abc"])
    err = capsys.readouterr().err
    assert "argument --days: not a whole number: 'abc'" in err and "_" not in err.split(":")[-1]


@pytest.mark.parametrize(
    "start, days",
    [("'1899-12-31T00:00:00Z'", 1), ("'2999-12-31T00:00:00Z'", 2)],
)
def test_a_scenario_outside_the_supported_span_exits_2(tmp_path, capsys, start, days):
    text = (SCENARIOS / "single-sku.yaml").read_text()
    text = re.sub(r"(?m)^start: .*$", f"start: {start}", text)
    text = re.sub(r"(?m)^days: .*$", f"days: {days}", text)
    (tmp_path / "edge.yaml").write_text(text)
    assert main(["validate", str(tmp_path / "edge.yaml")]) == 2
    assert "1900-01-01" in capsys.readouterr().err
