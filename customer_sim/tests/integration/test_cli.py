"""The command line without the services: exit codes, validation before any request, and
reading the run database. A small recording HTTP server stands in for a service where the
test needs to prove that nothing was sent."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import pytest

from customer_sim.cli import main
from customer_sim.infrastructure.run_database import RunDatabase
from customer_sim.tests.builders import scenario_data, scenario_yaml
from testkit.processes import free_port

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


@pytest.fixture(autouse=True)
def environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SIM_DATABASE_URL", f"sqlite:///{tmp_path}/sim.db")
    monkeypatch.setenv("SIM_HTTP_RETRIES", "1")
    monkeypatch.setenv("SIM_HTTP_TIMEOUT_SECONDS", "2")
    monkeypatch.chdir(tmp_path)


class Recording(ThreadingHTTPServer):
    requests: list[str]


@pytest.fixture
def listening_service() -> Iterator[Recording]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the http.server API)
            self.server.requests.append(f"GET {self.path}")  # type: ignore[attr-defined]
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"status": "ok"}')

        do_POST = do_PUT = do_GET  # noqa: N815

        def log_message(self, *args: object) -> None:
            pass

    server = Recording(("127.0.0.1", 0), Handler)
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def url(server: Recording) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


def write(tmp_path: Path, data: dict, name: str = "bad.yaml") -> Path:
    path = tmp_path / name
    path.write_text(scenario_yaml(data))
    return path


def test_a_bad_scenario_exits_2_before_any_request(tmp_path, listening_service, capsys):
    bad = write(tmp_path, scenario_data(arrivals={"model": "poisson", "rate_per_hour": -1}))
    service = url(listening_service)
    code = main(["run", str(bad), "--store-url", service, "--inventory-url", service])
    assert code == 2
    assert listening_service.requests == []
    err = capsys.readouterr().err
    assert "scenario error in bad.yaml: arrivals.rate_per_hour" in err


def test_compare_validates_every_scenario_first(tmp_path, listening_service, capsys):
    good = SCENARIOS / "compare-rq.yaml"
    bad = write(tmp_path, scenario_data(colour="red"))
    service = url(listening_service)
    code = main(["compare", str(good), str(bad), "--store-url", service,
                 "--inventory-url", service])  # fmt: skip
    assert code == 2
    assert listening_service.requests == []
    assert "colour: unknown key" in capsys.readouterr().err


def test_a_missing_scenario_file_exits_2(tmp_path, capsys):
    assert main(["run", str(tmp_path / "nope.yaml")]) == 2
    assert "cannot read the file" in capsys.readouterr().err


def test_an_unreachable_store_exits_3_and_records_nothing(listening_service, capsys):
    nobody = f"http://127.0.0.1:{free_port()}"
    inventory = url(listening_service)
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
    database = RunDatabase(f"sqlite:///{tmp_path}/sim.db")
    run_id = database.start_run("default", "default.yaml", 42, 14, "run-default-abc")
    database.finish_run(run_id, "failed", error="store unreachable at http://x")
    database.close()

    assert main(["list"]) == 0
    listed = capsys.readouterr().out
    assert "run-default-abc" in listed and "failed" in listed
    assert main(["show", "run-default-abc"]) == 0
    assert "error: store unreachable at http://x" in capsys.readouterr().out
    assert main(["show", "77"]) == 2
    assert "no run '77'" in capsys.readouterr().err
