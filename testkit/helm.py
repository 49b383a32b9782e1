"""Render and lint the Helm chart without a cluster, with Helm's own engine.

The ``helm`` CLI when it is on PATH (CI runners have it); otherwise the ``helm-python-sdk``
package (Helm's Go SDK as a shared library, pinned in requirements-dev.txt), so `make test`
needs no binary download. Both give the same objects: the chart's tests and the dev loop's
checks use `render` and do not care which engine ran.

    rendered = render({"simulator": {"enabled": False}})
    rendered.get("Deployment", "dss-store")
    lint_problems(CHART_DIR, {}, kube_version="1.30.0")
"""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import yaml

from testkit.processes import ROOT

CHART_DIR = ROOT / "charts" / "demand-supply-sim"
RELEASE = "dss"
NAMESPACE = "dss"
TEST_HOOK_DIR = "/templates/tests/"
# The Kubernetes version `helm template` renders for (.Capabilities.KubeVersion): the oldest
# the chart is checked against.
KUBE_VERSION = "1.30.0"


class ChartError(Exception):
    """Helm refused the chart or the values (a schema violation, a failing template)."""


@dataclass
class Rendered:
    """The objects a release would apply, and its `helm test` pods apart."""

    objects: list[dict[str, Any]] = field(default_factory=list)
    tests: list[dict[str, Any]] = field(default_factory=list)

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [obj for obj in self.objects if obj["kind"] == kind]

    def get(self, kind: str, name: str) -> dict[str, Any]:
        matches = [obj for obj in self.of_kind(kind) if obj["metadata"]["name"] == name]
        if len(matches) != 1:
            names = [obj["metadata"]["name"] for obj in self.of_kind(kind)]
            raise KeyError(f"{kind} {name!r}: {len(matches)} found (there are {names})")
        return matches[0]

    def everything(self) -> list[dict[str, Any]]:
        return [*self.objects, *self.tests]


def helm_cli() -> str | None:
    """The ``helm`` binary, or None when the SDK renders instead."""
    return shutil.which("helm")


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge values like repeated ``-f`` files: later maps win key by key."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_values(*files: Path | str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for path in files:
        values = merge(values, yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {})
    return values


def render(
    values: dict[str, Any] | None = None,
    *,
    chart: Path = CHART_DIR,
    release: str = RELEASE,
    namespace: str = NAMESPACE,
    revision: int = 1,
    kube_apiserver: str | None = None,
) -> Rendered:
    """Render the chart as `helm install` (revision 1) or `helm upgrade` (revision > 1) would.

    With ``kube_apiserver`` the SDK renders against that API server, so ``lookup`` sees its
    objects (``helm template`` never does); otherwise ``lookup`` finds nothing, as on a
    first install. A later revision also needs the SDK: ``helm template`` cannot set it.
    """
    values = values or {}
    if kube_apiserver is not None:
        return _parse(_render_sdk(values, chart, release, namespace, revision, kube_apiserver))
    if helm_cli() and revision == 1:
        return _parse(_render_cli(values, chart, release, namespace))
    return _parse(_render_sdk(values, chart, release, namespace, revision))


def render_notes(values: dict[str, Any] | None = None, *, chart: Path = CHART_DIR) -> str:
    """NOTES.txt as `helm install` prints it (always with the SDK: `helm template` skips it)."""
    import helm_python

    with helm_python.Chart.load(chart) as loaded:
        try:
            rendered = loaded.render(values or {}, name=RELEASE, namespace=NAMESPACE)
        except helm_python.HelmError as error:
            raise ChartError(str(error)) from error
    return next(text for path, text in rendered.items() if path.endswith("/NOTES.txt"))


def lint_problems(
    chart: Path = CHART_DIR, values: dict[str, Any] | None = None, *, kube_version: str
) -> list[str]:
    """What `helm lint --strict` reports as a warning or an error (empty: clean)."""
    values = values or {}
    if helm_cli():
        with _values_file(values) as path:
            result = subprocess.run(
                [helm_cli(), "lint", "--strict", str(chart), "--values", path,
                 "--kube-version", kube_version],
                capture_output=True,
                text=True,
            )  # fmt: skip
        if result.returncode == 0:
            return []
        lines = (result.stdout + result.stderr).splitlines()
        return [line for line in lines if "[WARNING]" in line or "[ERROR]" in line] or lines
    import helm_python

    report = helm_python.lint(chart, values, strict=True, kube_version=kube_version)
    messages = [f"{m['path']}: {m['error']}" for m in report["messages"] if m["severity"] >= 2]
    return messages + list(report.get("errors") or [])


# -- engines ------------------------------------------------------------------------------------


class _values_file:
    """The values as a temporary YAML file, for the CLI's ``--values``."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def __enter__(self) -> str:
        self.file = tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False)
        json.dump(self.values, self.file)  # JSON is YAML
        self.file.close()
        return self.file.name

    def __exit__(self, *exc_info: object) -> None:
        Path(self.file.name).unlink(missing_ok=True)


def _render_cli(
    values: dict[str, Any], chart: Path, release: str, namespace: str
) -> dict[str, str]:
    command = [helm_cli(), "template", release, str(chart), "--namespace", namespace,
               "--kube-version", KUBE_VERSION]  # fmt: skip
    with _values_file(values) as path:
        result = subprocess.run([*command, "--values", path], capture_output=True, text=True)
    if result.returncode != 0:
        raise ChartError(result.stderr.strip())
    sources: dict[str, str] = {}
    for document in result.stdout.split("\n---"):
        first = document.strip().splitlines()[:1]
        if first and first[0].startswith("# Source: "):
            source = first[0].removeprefix("# Source: ")
            sources[source] = sources.get(source, "") + "\n---\n" + document
    return sources


def _render_sdk(
    values: dict[str, Any],
    chart: Path,
    release: str,
    namespace: str,
    revision: int,
    kube_apiserver: str | None = None,
) -> dict[str, str]:
    """Offline (``lookup`` finds nothing), or against ``kube_apiserver`` (``lookup`` asks it)."""
    import helm_python

    options = {
        "name": release,
        "namespace": namespace,
        "revision": revision,
        "is_install": revision == 1,
        "is_upgrade": revision > 1,
    }
    with ExitStack() as stack:
        loaded = stack.enter_context(helm_python.Chart.load(chart))
        if kube_apiserver is None:
            render = loaded.render
        else:
            config = stack.enter_context(
                helm_python.Config(kubeconfig_content=_kubeconfig(kube_apiserver, namespace))
            )
            render = functools.partial(config.render, loaded)
        try:
            return render(values, **options)
        except helm_python.HelmError as error:
            raise ChartError(str(error)) from error


def _kubeconfig(server: str, namespace: str) -> str:
    """A kubeconfig for one API server (no TLS, a dummy token)."""
    context = {"cluster": "test", "user": "test", "namespace": namespace}
    return yaml.safe_dump(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "test", "cluster": {"server": server}}],
            "users": [{"name": "test", "user": {"token": "test-token"}}],
            "contexts": [{"name": "test", "context": context}],
            "current-context": "test",
        }
    )


def _parse(sources: dict[str, str]) -> Rendered:
    rendered = Rendered()
    for path, text in sorted(sources.items()):
        if not path.endswith((".yaml", ".yml")):
            continue
        target = rendered.tests if TEST_HOOK_DIR in path else rendered.objects
        target.extend(doc for doc in yaml.safe_load_all(text) if isinstance(doc, dict) and doc)
    return rendered


def containers(pod_spec: dict[str, Any], *, init: bool = True) -> Iterable[dict[str, Any]]:
    """A pod's containers, its initContainers first."""
    yield from (pod_spec.get("initContainers") or []) if init else []
    yield from pod_spec.get("containers") or []


def pod_specs(rendered: Rendered) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(owner object, pod template spec) of every workload and test pod."""
    specs = []
    for obj in rendered.everything():
        if obj["kind"] == "Pod":
            specs.append((obj, obj["spec"]))
        elif obj["kind"] in ("Deployment", "StatefulSet", "Job", "DaemonSet"):
            specs.append((obj, obj["spec"]["template"]["spec"]))
    return specs
