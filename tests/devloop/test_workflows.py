"""The GitHub workflows: valid for GitHub (its workflow JSON schema, which check-jsonschema
ships, so this runs offline), every action pinned, every `make` target they call present, and
the kind job wired to the names the repository uses."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import helm_python
import pytest
import yaml

from testkit.processes import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$")


def load(path: Path) -> dict[str, Any]:
    # PyYAML reads the key `on` as True (YAML 1.1); GitHub reads it as "on".
    workflow = yaml.safe_load(path.read_text())
    workflow["on"] = workflow.pop(True, workflow.get("on"))
    return workflow


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def makefile_targets() -> set[str]:
    return set(re.findall(r"^([a-z][a-z0-9-]*):", (ROOT / "Makefile").read_text(), re.M))


@pytest.fixture(params=[p.name for p in WORKFLOWS])
def workflow_path(request: pytest.FixtureRequest) -> Path:
    return ROOT / ".github" / "workflows" / request.param


def test_there_are_the_two_workflows() -> None:
    assert {p.name for p in WORKFLOWS} == {"ci.yml", "kind-smoke.yml"}


def test_each_workflow_is_valid_for_github(workflow_path: Path) -> None:
    checker = Path(sys.executable).parent / "check-jsonschema"
    result = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.github-workflows", str(workflow_path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_catches_a_mistake(tmp_path: Path) -> None:
    """The check above can fail: a step with a misspelled key is refused."""
    broken = tmp_path / "broken.yml"
    text = (ROOT / ".github" / "workflows" / "ci.yml").read_text()
    broken.write_text(text.replace("timeout-minutes: 30", "timeout-minute: 30", 1))
    checker = Path(sys.executable).parent / "check-jsonschema"
    result = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.github-workflows", str(broken)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1 and "timeout-minute" in result.stdout


def test_every_action_is_pinned_to_a_version(workflow_path: Path) -> None:
    for step in steps(load(workflow_path)):
        if "uses" in step and not step["uses"].startswith("./"):
            assert PINNED.match(step["uses"]), step["uses"]


def test_every_make_target_a_workflow_calls_exists(workflow_path: Path) -> None:
    targets = makefile_targets()
    called = []
    for step in steps(load(workflow_path)):
        script = re.sub(r"\$\{\{.*?\}\}", "EXPR", step.get("run", ""))  # GitHub expressions
        for line in script.splitlines():
            words = shlex.split(line) if line.strip() else []
            if words[:1] == ["make"]:
                called += [w for w in words[1:] if "=" not in w and not w.startswith("-")]
    assert called, "a workflow that runs nothing through make"
    assert set(called) <= targets


def test_every_job_has_a_timeout_and_every_setup_python_caches_pip(workflow_path: Path) -> None:
    workflow = load(workflow_path)
    assert workflow["concurrency"]["cancel-in-progress"] is True
    for name, job in workflow["jobs"].items():
        assert 0 < job["timeout-minutes"] <= 60, name
        for step in job["steps"]:
            if step.get("uses", "").startswith("actions/setup-python@"):
                assert step["with"]["cache"] == "pip"
                assert step["with"]["python-version"] == "3.11"


def helm_versions() -> set[str]:
    versions = set()
    for path in WORKFLOWS:
        workflow = load(path)
        for job in workflow["jobs"].values():
            matrix = job.get("strategy", {}).get("matrix", {})
            for step in job["steps"]:
                if step.get("uses", "").startswith("azure/setup-helm@"):
                    version = str(step["with"]["version"])
                    if "matrix.helm" in version:
                        versions.update(matrix["helm"])
                    else:
                        versions.add(version)
    return versions


def test_ci_pins_the_helm_the_tests_render_with() -> None:
    """setup-helm's default is the newest Helm; CI uses the one helm-python-sdk embeds."""
    assert helm_versions() == {helm_python.EXPECTED_HELM_SDK_VERSION}


def test_ci_keeps_the_test_job_on_postgresql_and_adds_the_chart_job() -> None:
    ci = load(ROOT / ".github" / "workflows" / "ci.yml")
    test = ci["jobs"]["test"]
    assert test["services"]["postgres"]["image"].startswith("postgres:")
    assert test["env"]["TEST_DATABASE_URL"].startswith("postgresql+psycopg://test_user:")
    assert [s["run"] for s in test["steps"] if "run" in s] == ["make test"]
    chart_runs = "\n".join(s.get("run", "") for s in ci["jobs"]["chart"]["steps"])
    assert "helm lint --strict" in chart_runs and "helm template" in chart_runs
    assert "make test-chart" in chart_runs


def kind_config() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "kind-config.yaml").read_text())


def test_the_kind_job_creates_the_cluster_that_make_deploy_loads_into() -> None:
    smoke = load(ROOT / ".github" / "workflows" / "kind-smoke.yml")
    (kind,) = [s for s in steps(smoke) if s.get("uses", "").startswith("helm/kind-action@")]
    assert kind["with"]["config"] == "kind-config.yaml"
    name = kind_config()["name"]
    assert kind["with"]["cluster_name"] == name == smoke["env"]["CLUSTER"]
    assert re.search(r"^\s*version: v\d+\.\d+\.\d+$", yaml.safe_dump(kind["with"]), re.M)
    makefile = (ROOT / "Makefile").read_text()
    assert f"CLUSTER ?= {name}" in makefile
    assert f'CLUSTER="${{CLUSTER:-{name}}}"' in (ROOT / "scripts" / "cluster.sh").read_text()


def test_the_kind_job_deploys_this_commit_with_the_kind_values_then_checks_it() -> None:
    smoke = load(ROOT / ".github" / "workflows" / "kind-smoke.yml")
    runs = [s.get("run", "") for s in steps(smoke)]
    (deploy,) = [r for r in runs if r.startswith("make deploy")]
    assert "TAG=${{ github.sha }}" in deploy and "HELM_TIMEOUT=5m" in deploy
    values = re.search(r"VALUES=(\S+)", deploy)[1]
    assert (ROOT / values).is_file() and values.endswith("ci/kind-values.yaml")
    order = [
        i for i, r in enumerate(runs) if r.startswith(("make deploy", "make smoke", "helm test"))
    ]
    assert [runs[i].split()[0:2] for i in order] == [
        ["make", "deploy"],
        ["make", "smoke"],
        ["helm", "test"],
    ]


def test_the_kind_job_keeps_the_evidence_when_it_fails() -> None:
    smoke = load(ROOT / ".github" / "workflows" / "kind-smoke.yml")
    on_failure = [s for s in steps(smoke) if s.get("if") == "failure()"]
    script = "\n".join(s.get("run", "") for s in on_failure)
    assert "kubectl get all,events -A" in script
    assert "kubectl logs" in script and "--all-containers" in script
    assert 'kind export logs kind-logs --name "$CLUSTER"' in script
    (upload,) = [s for s in on_failure if s.get("uses", "").startswith("actions/upload-artifact@")]
    assert upload["with"]["path"] == "kind-logs"


def test_the_kind_job_runs_for_changes_to_what_it_deploys() -> None:
    smoke = load(ROOT / ".github" / "workflows" / "kind-smoke.yml")
    assert smoke["on"]["push"]["branches"] == ["main"]
    paths = smoke["on"]["pull_request"]["paths"]
    for pattern in paths:
        assert (ROOT / pattern.split("/**")[0]).exists(), pattern
    for needed in ("charts/**", "inventory_service/**", "store_service/**", "customer_sim/**",
                   "servicekit/**", "testkit/smoke/**", "kind-config.yaml"):  # fmt: skip
        assert needed in paths
