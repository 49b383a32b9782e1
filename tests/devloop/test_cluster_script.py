"""scripts/cluster.sh (make cluster, cluster-down, deploy, undeploy): what it asks of docker,
kind, kubectl and helm, and that a second run changes nothing. Those tools are stand-ins here
(one small program that answers like them and logs each call), since this machine has no kind;
the real ones run in CI's kind job."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from testkit.processes import ROOT

SCRIPT = ROOT / "scripts" / "cluster.sh"

# Answers like docker/kind/kubectl/helm for the calls the script makes, keeping the state
# (registry container, clusters, network, releases) in $FAKE_STATE and logging every call.
FAKE_TOOL = r"""
import json, os, sys
tool, args = os.environ["FAKE_TOOL"], sys.argv[1:]
path = os.environ["FAKE_STATE"]
state = json.load(open(path))
stdin = "" if sys.stdin is None or sys.stdin.isatty() else sys.stdin.read()
state["calls"].append({"argv": [tool, *args], "stdin": stdin})
status, out = 0, ""
def save():
    json.dump(state, open(path, "w"))
if tool == "docker":
    if args[:1] == ["inspect"] and "{{.State.Running}}" in args[2]:
        running = state["registry"]
        status, out = (1, "") if running is None else (0, str(running).lower())
    elif args[:1] == ["inspect"]:
        out = '{"NetworkID": "k"}' if state["network"] else "null"
    elif args[:1] == ["run"]:
        state["registry"] = True
    elif args[:1] == ["start"]:
        state["registry"] = True
    elif args[:2] == ["rm", "-f"]:
        state["registry"], state["network"] = None, False
    elif args[:3] == ["network", "connect", "kind"]:
        state["network"] = True
elif tool == "kind":
    if args[:2] == ["get", "clusters"]:
        out = "\n".join(state["clusters"])
    elif args[:2] == ["get", "nodes"]:
        out = args[args.index("--name") + 1] + "-control-plane"
    elif args[:2] == ["create", "cluster"]:
        state["clusters"].append(args[args.index("--name") + 1])
    elif args[:2] == ["delete", "cluster"]:
        state["clusters"].remove(args[args.index("--name") + 1])
elif tool == "helm":
    if args[:1] == ["status"]:
        status = 0 if state["releases"] else 1
    elif args[:1] == ["upgrade"]:
        state["releases"].append(args[2])
    elif args[:1] == ["uninstall"]:
        state["releases"].remove(args[1])
save()
if out:
    print(out)
sys.exit(status)
"""


@pytest.fixture
def tools(tmp_path: Path) -> Path:
    """A bin folder with the stand-ins and the two other programs the script runs."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    program = tmp_path / "fake_tool.py"
    program.write_text(FAKE_TOOL)
    for tool in ("docker", "kind", "kubectl", "helm", "python-images"):
        launcher = bin_dir / tool
        launcher.write_text(
            f'#!/bin/sh\nFAKE_TOOL={tool} exec "{sys.executable}" "{program}" "$@"\n'
        )
        launcher.chmod(0o755)
    for program_name in ("dirname", "grep"):
        os.symlink(shutil.which(program_name), bin_dir / program_name)
    state = {"registry": None, "network": False, "clusters": [], "releases": [], "calls": []}
    (tmp_path / "state.json").write_text(json.dumps(state))
    return bin_dir


def cluster_sh(tools: Path, *args: str) -> tuple[subprocess.CompletedProcess, list[dict]]:
    state_file = tools.parent / "state.json"
    before = len(json.loads(state_file.read_text())["calls"])
    env = {
        "PATH": str(tools),
        "FAKE_STATE": str(state_file),
        "PYTHON": str(tools / "python-images"),
    }
    result = subprocess.run(
        ["/bin/bash", str(SCRIPT), *args], env=env, capture_output=True, text=True
    )
    calls = json.loads(state_file.read_text())["calls"][before:]
    return result, calls


def argvs(calls: list[dict]) -> list[str]:
    return [" ".join(call["argv"]) for call in calls]


def test_up_creates_the_registry_and_the_cluster_and_wires_them(tools: Path) -> None:
    result, calls = cluster_sh(tools, "up")
    assert result.returncode == 0, result.stderr
    commands = argvs(calls)
    assert (
        "docker run -d --restart=always -p 127.0.0.1:5001:5000 --network bridge "
        "--name demand-supply-sim-registry registry:3"
    ) in commands
    assert "kind create cluster --config kind-config.yaml --name demand-supply-sim" in commands
    assert "docker network connect kind demand-supply-sim-registry" in commands
    (hosts,) = [c for c in calls if c["argv"][-1].endswith("hosts.toml")]
    assert hosts["argv"][:4] == ["docker", "exec", "-i", "demand-supply-sim-control-plane"]
    assert hosts["argv"][-1] == "/etc/containerd/certs.d/localhost:5001/hosts.toml"
    assert hosts["stdin"] == '[host."http://demand-supply-sim-registry:5000"]\n'
    (apply,) = [c for c in calls if c["argv"][0] == "kubectl"]
    assert apply["argv"] == ["kubectl", "--context", "kind-demand-supply-sim", "apply", "-f", "-"]
    assert "name: local-registry-hosting\n  namespace: kube-public" in apply["stdin"]
    assert 'host: "localhost:5001"' in apply["stdin"]
    assert result.stdout.splitlines()[-1] == "next      make dev (tilt up), or make deploy"


def test_up_twice_creates_nothing_the_second_time(tools: Path) -> None:
    cluster_sh(tools, "up")
    result, calls = cluster_sh(tools, "up")
    assert result.returncode == 0, result.stderr
    commands = argvs(calls)
    assert not [
        c for c in commands if c.startswith(("docker run", "kind create", "docker network"))
    ]
    assert "registry  demand-supply-sim-registry already running on 127.0.0.1:5001" in result.stdout
    assert "cluster   demand-supply-sim already exists" in result.stdout


def test_down_removes_both_and_is_harmless_when_nothing_is_there(tools: Path) -> None:
    cluster_sh(tools, "up")
    result, calls = cluster_sh(tools, "down")
    assert result.returncode == 0, result.stderr
    assert argvs(calls)[-2:] == [
        "docker inspect -f {{.State.Running}} demand-supply-sim-registry",
        "docker rm -f demand-supply-sim-registry",
    ]
    assert "kind delete cluster --name demand-supply-sim" in argvs(calls)
    again, calls = cluster_sh(tools, "down")
    assert again.returncode == 0
    assert not [c for c in argvs(calls) if c.startswith(("kind delete", "docker rm"))]
    assert again.stdout.splitlines() == [
        "cluster   demand-supply-sim does not exist",
        "registry  demand-supply-sim-registry does not exist",
    ]


def test_deploy_builds_loads_and_installs_the_tagged_images(tools: Path) -> None:
    cluster_sh(tools, "up")
    values = "charts/demand-supply-sim/ci/kind-values.yaml"
    result, calls = cluster_sh(tools, "deploy", "1a2b3c4", values)
    assert result.returncode == 0, result.stderr
    commands = argvs(calls)
    build = commands.index("python-images scripts/images.py build --tag 1a2b3c4")
    assert build < commands.index(
        "kind load docker-image demand-supply-sim/inventory:1a2b3c4 --name demand-supply-sim"
    )
    for image in ("inventory", "store", "customer-sim"):
        load = f"kind load docker-image demand-supply-sim/{image}:1a2b3c4 --name demand-supply-sim"
        assert load in commands
    assert commands[-1] == (
        "helm upgrade --install dss charts/demand-supply-sim --kube-context kind-demand-supply-sim"
        f" --set image.tag=1a2b3c4 --wait --timeout 10m --values {values}"
    )


def test_deploy_without_a_cluster_says_to_make_one_first(tools: Path) -> None:
    result, calls = cluster_sh(tools, "deploy", "1a2b3c4")
    assert result.returncode == 1
    assert result.stderr == "error: no kind cluster demand-supply-sim: run make cluster first\n"
    assert not [c for c in argvs(calls) if c.startswith(("python-images", "helm"))]


def test_undeploy_uninstalls_once_and_says_what_it_keeps(tools: Path) -> None:
    cluster_sh(tools, "up")
    cluster_sh(tools, "deploy", "1a2b3c4")
    result, calls = cluster_sh(tools, "undeploy")
    assert "helm uninstall dss --kube-context kind-demand-supply-sim --wait" in argvs(calls)
    assert "kept      Secret dss-database and PVC data-dss-postgres-0" in result.stdout
    again, calls = cluster_sh(tools, "undeploy")
    assert again.returncode == 0 and "release   dss is not installed" in again.stdout


@pytest.mark.parametrize(
    "command, needs",
    [
        ("up", "make cluster needs: docker kind kubectl."),
        ("down", "make cluster-down needs: docker kind."),
        ("deploy", "make deploy needs: docker kind helm."),
        ("undeploy", "make undeploy needs: helm."),
    ],
)
def test_each_command_names_the_tools_it_cannot_find(tools: Path, command: str, needs: str) -> None:
    for tool in ("kind", "helm"):
        (tools / tool).unlink()
    args = [command, "1a2b3c4"] if command == "deploy" else [command]
    result, calls = cluster_sh(tools, *args)
    assert result.returncode == 1 and calls == []
    first, *hints = result.stderr.splitlines()
    missing = [t for t in needs.split(": ")[1].rstrip(".").split() if t in ("kind", "helm")]
    assert first == f"{needs} Not found on PATH: {' '.join(missing)}"
    assert [hint.split(":")[0].strip() for hint in hints] == missing
