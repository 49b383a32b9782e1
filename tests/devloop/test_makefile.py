"""The Makefile's cluster targets are there and `make help` lists each with its line."""

from __future__ import annotations

import subprocess

from testkit.processes import ROOT

CLUSTER_TARGETS = ["cluster", "cluster-down", "dev", "deploy", "smoke", "undeploy", "test-chart"]


def test_make_help_lists_every_cluster_target_with_a_description() -> None:
    result = subprocess.run(["make", "help"], cwd=ROOT, capture_output=True, text=True, check=True)
    described = {}
    for line in result.stdout.splitlines():
        target, _, description = line.strip().partition(" ")
        described[target] = description.strip()
    for target in CLUSTER_TARGETS:
        assert described.get(target), f"make help does not describe {target}"


def test_smoke_checks_the_release_that_deploy_installs() -> None:
    dry_run = {
        target: subprocess.run(
            ["make", "-n", target, "TAG=abc1234"], cwd=ROOT, capture_output=True, text=True
        ).stdout
        for target in ("deploy", "smoke", "undeploy")
    }
    assert "RELEASE=dss" in dry_run["deploy"] and "RELEASE=dss" in dry_run["undeploy"]
    assert "scripts/cluster.sh deploy abc1234" in dry_run["deploy"]
    assert "-m testkit.smoke --release dss" in dry_run["smoke"]
