"""The Tiltfile, evaluated with stand-ins for Tilt's built-ins (testkit.tiltfile), checked
against what it builds on: the chart rendered with the dev values, the Dockerfiles, the
Makefile and the README."""

from __future__ import annotations

import re
import shlex
from pathlib import Path, PurePosixPath

import pytest

from testkit import helm
from testkit.processes import ROOT
from testkit.tiltfile import KIND_CONTEXT, TRIGGER_MODE_MANUAL, Declared, TiltfileFailed, evaluate

WORKLOAD_KINDS = {"Deployment", "StatefulSet", "Job"}
# Part -> (image ref, package) as the chart's values and scripts/images.py name them.
SERVICES = {"inventory": "inventory_service", "store": "store_service"}


@pytest.fixture(scope="module")
def declared() -> Declared:
    return evaluate()


@pytest.fixture(scope="module")
def deployed(declared: Declared) -> helm.Rendered:
    """The chart as Tilt's helm() renders it: the release name and values files it passes."""
    (call,) = declared.yaml
    assert call["helm"] == "charts/demand-supply-sim" and call["set"] == []
    values = helm.load_values(*(ROOT / path for path in call["values"]))
    return helm.render(values, release=call["name"])


def workloads(rendered: helm.Rendered) -> dict[str, dict]:
    return {o["metadata"]["name"]: o for o in rendered.objects if o["kind"] in WORKLOAD_KINDS}


def pod_containers(workload: dict) -> list[dict]:
    spec = workload["spec"]["template"]["spec"]
    return spec.get("initContainers", []) + spec["containers"]


def final_stage_copies(dockerfile: Path) -> tuple[str, dict[str, str]]:
    """The final stage's WORKDIR and {source: destination} of its COPYs from the context."""
    workdir, copies = "/", {}
    for line in dockerfile.read_text().splitlines():
        words = line.split() if line.startswith(("FROM ", "WORKDIR ", "COPY ")) else []
        if words and words[0] == "FROM":
            workdir, copies = "/", {}
        elif words and words[0] == "WORKDIR":
            workdir = words[1]
        elif words and words[0] == "COPY" and not any(w.startswith("--from") for w in words):
            *sources, destination = [w for w in words[1:] if not w.startswith("--")]
            for source in sources:
                copies[source] = str(PurePosixPath(workdir) / destination)
    return workdir, copies


# -- where it may deploy ------------------------------------------------------------------------


def test_it_pins_a_tilt_version_and_allows_only_the_kind_cluster(declared: Declared) -> None:
    assert declared.version_constraint.startswith(">=")
    assert declared.allowed_contexts == [KIND_CONTEXT]
    kind_config = (ROOT / "kind-config.yaml").read_text()
    assert f"name: {KIND_CONTEXT.removeprefix('kind-')}" in kind_config


@pytest.mark.parametrize("context", ["kind-kind", "docker-desktop", "prod"])
def test_any_other_context_stops_it_saying_how_to_get_the_right_one(context: str) -> None:
    with pytest.raises(
        TiltfileFailed, match=f"only to {KIND_CONTEXT}, not {context}.*make cluster"
    ):
        evaluate(context=context)


# -- images ---------------------------------------------------------------------------------------


def test_every_image_is_used_by_a_workload_the_chart_renders(
    declared: Declared, deployed: helm.Rendered
) -> None:
    used = {
        container["image"].rsplit(":", 1)[0]
        for workload in workloads(deployed).values()
        for container in pod_containers(workload)
    }
    assert set(declared.images) <= used
    project_images = {image for image in used if image.startswith("demand-supply-sim/")}
    assert set(declared.images) == project_images


def test_each_build_sends_only_what_its_dockerfile_copies(declared: Declared) -> None:
    for ref, build in declared.images.items():
        assert build["context"] == "."
        dockerfile = ROOT / build["dockerfile"]
        _workdir, copies = final_stage_copies(dockerfile)
        build_stage_sources = re.findall(r"^COPY (\S+) /tmp/", dockerfile.read_text(), re.M)
        needed = set(copies) | set(build_stage_sources) | {build["dockerfile"]}
        for path in needed:
            assert any(
                path == only or path.startswith(only + "/") for only in build["only"]
            ), f"{ref}: {path} is not in only={build['only']}"
        for only in build["only"]:
            assert (ROOT / only).exists(), only
        # The argument the dev loop needs exists in the Dockerfile.
        assert "ARG CODE_OWNER" in dockerfile.read_text()
        assert build["build_args"] == {"CODE_OWNER": "10001:10001"}


def test_services_sync_their_package_and_servicekit_where_the_image_keeps_them(
    declared: Declared,
) -> None:
    for part, package in SERVICES.items():
        build = declared.images[f"demand-supply-sim/{part}"]
        _workdir, copies = final_stage_copies(ROOT / build["dockerfile"])
        syncs = {s["local"]: s["remote"] for s in build["live_update"] if s["step"] == "sync"}
        assert set(syncs) == {package, "servicekit"}
        for local, remote in syncs.items():
            assert (ROOT / local).is_dir()
            assert copies[local] == remote, (local, remote, copies)


def test_a_requirements_change_reinstalls_the_synced_file(declared: Declared) -> None:
    for part, package in SERVICES.items():
        steps = declared.images[f"demand-supply-sim/{part}"]["live_update"]
        syncs = {s["local"]: s["remote"] for s in steps if s["step"] == "sync"}
        (run,) = [s for s in steps if s["step"] == "run"]
        assert run["trigger"] == [f"{package}/requirements.txt"]
        assert (ROOT / run["trigger"][0]).is_file()
        in_container = f"{syncs[package]}/requirements.txt"
        assert shlex.split(run["cmd"])[:2] == ["pip", "install"]
        assert in_container in shlex.split(run["cmd"])


def test_a_dockerfile_or_version_change_rebuilds_the_image(declared: Declared) -> None:
    for part, package in SERVICES.items():
        steps = declared.images[f"demand-supply-sim/{part}"]["live_update"]
        (fall_back,) = [s for s in steps if s["step"] == "fall_back_on"]
        assert set(fall_back["files"]) == {f"{package}/Dockerfile", "VERSION"}


def test_the_simulator_image_is_rebuilt_for_each_run_not_live_updated(declared: Declared) -> None:
    assert declared.images["demand-supply-sim/customer-sim"]["live_update"] == []


def test_the_dev_values_let_live_update_write_and_uvicorn_reload(
    declared: Declared, deployed: helm.Rendered
) -> None:
    for part in SERVICES:
        workload = workloads(deployed)[declared.resources[part]["workload"]]
        (server,) = workload["spec"]["template"]["spec"]["containers"]
        assert "--reload" in server["args"]
        assert server["securityContext"]["readOnlyRootFilesystem"] is False


# -- resources ------------------------------------------------------------------------------------


def selector_matches(selector: str, obj: dict) -> bool:
    name, kind = selector.split(":")[:2]
    return obj["metadata"]["name"] == name and obj["kind"].lower() == kind.lower()


def test_every_rendered_object_belongs_to_exactly_one_resource(
    declared: Declared, deployed: helm.Rendered
) -> None:
    """Nothing lands in Tilt's "uncategorized" resource, and no selector is ambiguous."""
    by_workload = workloads(deployed)
    claims: dict[tuple[str, str], list[str]] = {}  # (kind, name) -> resources claiming it
    for name, resource in declared.resources.items():
        workload = by_workload[resource["workload"]]
        claims.setdefault((workload["kind"], resource["workload"]), []).append(name)
        for selector in resource["objects"]:
            (match,) = [o for o in deployed.objects if selector_matches(selector, o)]
            claims.setdefault((match["kind"], match["metadata"]["name"]), []).append(name)
    for service in deployed.of_kind("Service"):  # Tilt joins a Service to the pods it selects
        selector = service["spec"]["selector"]
        owners = [
            name
            for name, resource in declared.resources.items()
            if selector.items()
            <= by_workload[resource["workload"]]["spec"]["template"]["metadata"]["labels"].items()
        ]
        claims.setdefault(("Service", service["metadata"]["name"]), []).extend(owners)
    assert set(claims) == {(o["kind"], o["metadata"]["name"]) for o in deployed.objects}
    assert {key: owners for key, owners in claims.items() if len(owners) != 1} == {}


def forwards(declared: Declared) -> dict[str, tuple[int, int]]:
    return {
        name: (pf["local_port"], pf["container_port"])
        for name, resource in declared.resources.items()
        for pf in resource["port_forwards"]
    }


def test_ports_are_forwarded_to_the_containers_ports(
    declared: Declared, deployed: helm.Rendered
) -> None:
    assert forwards(declared) == {
        "postgres": (5432, 5432),
        "inventory": (8002, 8000),
        "store": (8001, 8000),
    }
    for name, (_local, container_port) in forwards(declared).items():
        workload = workloads(deployed)[declared.resources[name]["workload"]]
        ports = [
            p["containerPort"]
            for c in workload["spec"]["template"]["spec"]["containers"]
            for p in c.get("ports", [])
        ]
        assert container_port in ports, (name, ports)


def test_the_forwarded_ports_are_the_ones_the_readme_documents(declared: Declared) -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## The cluster workflow") :]
    for name, (local, _container) in forwards(declared).items():
        assert re.search(rf"\|\s*`{name}`\s*\|[^\n]*localhost:{local}", section), name


def test_dependencies_and_manual_resources(declared: Declared) -> None:
    resources = declared.resources
    assert resources["postgres"]["resource_deps"] == []
    assert resources["inventory"]["resource_deps"] == ["postgres"]
    assert resources["store"]["resource_deps"] == ["postgres"]
    assert sorted(resources["simulator"]["resource_deps"]) == ["inventory", "store"]
    simulator = resources["simulator"]
    assert (simulator["trigger_mode"], simulator["auto_init"]) == (TRIGGER_MODE_MANUAL, False)
    for name in ("postgres", "inventory", "store"):
        assert resources[name]["auto_init"] is True


def test_lint_and_unit_tests_are_manual_buttons_running_make_targets(declared: Declared) -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert set(declared.local_resources) == {"lint", "unit-tests"}
    for resource in declared.local_resources.values():
        assert (resource["trigger_mode"], resource["auto_init"]) == (TRIGGER_MODE_MANUAL, False)
        make, target = shlex.split(resource["cmd"])
        assert make == "make" and re.search(rf"^{target}:", makefile, re.M)


def test_labels_are_ones_tilt_accepts(declared: Declared) -> None:
    everything = {**declared.resources, **declared.local_resources}
    for name, resource in everything.items():
        assert resource["labels"], name
        for label in resource["labels"]:
            assert re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?", label)


# -- running only some parts ----------------------------------------------------------------------


def test_without_arguments_everything_runs(declared: Declared) -> None:
    assert declared.enabled_resources == []  # Tilt: an empty list enables every resource


@pytest.mark.parametrize(
    "args, enabled",
    [
        (["inventory"], {"inventory", "postgres"}),
        (["store"], {"store", "postgres"}),
        (["simulator"], {"simulator", "inventory", "store", "postgres"}),
        (["lint", "inventory"], {"lint", "inventory", "postgres"}),
    ],
)
def test_named_resources_run_with_what_they_depend_on(args: list[str], enabled: set[str]) -> None:
    declared = evaluate(args=args)
    assert set(declared.enabled_resources) == enabled
    assert len(declared.enabled_resources) == len(enabled)
    known = set(declared.resources) | set(declared.local_resources)
    assert enabled <= known


def test_an_unknown_resource_name_stops_it_naming_the_choices() -> None:
    with pytest.raises(TiltfileFailed, match="unknown resource .web.*inventory"):
        evaluate(args=["web"])
