"""Evaluate the Tiltfile without Tilt, and record what it declares.

Tilt runs its Tiltfile with a Starlark interpreter whose built-ins deploy things. Here the same
file runs under starlark-rust (the ``starlark-pyo3`` package) with stand-ins for the built-ins
it calls. Each stand-in has the parameters of Tilt's own API (internal/tiltfile/api in
tilt-dev/tilt), so a misspelled or unknown argument fails here as it would under Tilt; each
records its call, so tests can check the declarations against the chart, the Dockerfiles and
the README.

    declared = evaluate()                       # as `tilt up` in the kind context
    declared.resources["store"]["port_forwards"]
    evaluate(args=["store"]).enabled_resources  # as `tilt up -- store`
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import starlark

from testkit.processes import ROOT

TILTFILE = ROOT / "Tiltfile"
KIND_CONTEXT = "kind-demand-supply-sim"
TRIGGER_MODE_AUTO = "TRIGGER_MODE_AUTO"
TRIGGER_MODE_MANUAL = "TRIGGER_MODE_MANUAL"


class TiltfileFailed(Exception):
    """The Tiltfile stopped, by ``fail()`` or an error Tilt would report too."""


@dataclass
class Declared:
    """What one evaluation declared, by built-in."""

    images: dict[str, dict[str, Any]] = field(default_factory=dict)  # ref -> docker_build args
    yaml: list[Any] = field(default_factory=list)  # k8s_yaml arguments (helm() results)
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> k8s_resource
    local_resources: dict[str, dict[str, Any]] = field(default_factory=dict)
    allowed_contexts: list[str] = field(default_factory=list)
    version_constraint: str = ""
    config_settings: dict[str, dict[str, Any]] = field(default_factory=dict)
    enabled_resources: list[str] | None = None  # None: set_enabled_resources was not called


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


class _Tilt:
    """The stand-ins for Tilt's built-ins, with Tilt's parameter names and defaults."""

    def __init__(self, context: str, args: list[str]) -> None:
        self.context = context
        self.args = args
        self.declared = Declared()

    # -- top level ------------------------------------------------------------------------------

    def version_settings(self, check_updates=True, constraint=""):
        self.declared.version_constraint = constraint

    def allow_k8s_contexts(self, contexts):
        self.declared.allowed_contexts.extend(_as_list(contexts))

    def k8s_context(self):
        return self.context

    def fail(self, msg):
        raise TiltfileFailed(msg)

    # -- images and live update -----------------------------------------------------------------

    def docker_build(
        self,
        ref,
        context,
        build_args={},
        dockerfile="Dockerfile",
        dockerfile_contents="",
        live_update=[],
        match_in_env_vars=False,
        ignore=[],
        only=[],
        entrypoint=[],
        target="",
        ssh="",
        network="",
        secret="",
        extra_tag="",
        container_args=None,
        cache_from=[],
        pull=False,
        platform="",
        extra_hosts=[],
    ):
        if ref in self.declared.images:
            raise TiltfileFailed(f"Image for ref {ref!r} has already been defined")
        steps = [step["step"] for step in live_update]
        order = {"fall_back_on": 0, "sync": 1, "run": 2}
        if steps != sorted(steps, key=order.__getitem__):  # Tilt's rule for live_update
            raise TiltfileFailed(f"{ref}: live_update steps out of order: {steps}")
        self.declared.images[ref] = {
            "context": context,
            "dockerfile": dockerfile,
            "build_args": dict(build_args),
            "only": _as_list(only),
            "ignore": _as_list(ignore),
            "live_update": list(live_update),
        }

    def fall_back_on(self, files):
        return {"step": "fall_back_on", "files": _as_list(files)}

    def sync(self, local_path, remote_path):
        return {"step": "sync", "local": local_path, "remote": remote_path}

    def run(self, cmd, trigger=[], echo_off=False):
        return {"step": "run", "cmd": cmd, "trigger": _as_list(trigger)}

    # -- Kubernetes -----------------------------------------------------------------------------

    def helm(
        self,
        pathToChartDir,
        name="",
        namespace="",
        values=[],
        set=[],
        kube_version="",
        skip_crds=False,
    ):
        return {
            "helm": pathToChartDir,
            "name": name,
            "namespace": namespace,
            "values": _as_list(values),
            "set": _as_list(set),
        }

    def k8s_yaml(self, yaml, allow_duplicates=False):
        self.declared.yaml.append(yaml)

    def port_forward(self, local_port, container_port=None, name=None, link_path=None, host=None):
        return {
            "local_port": local_port,
            "container_port": container_port,
            "name": name,
            "link_path": link_path,
        }

    def k8s_resource(
        self,
        workload="",
        new_name="",
        port_forwards=[],
        extra_pod_selectors=[],
        trigger_mode=TRIGGER_MODE_AUTO,
        resource_deps=[],
        objects=[],
        auto_init=True,
        pod_readiness="",
        links=[],
        labels=[],
        discovery_strategy="",
    ):
        name = new_name or workload
        if name in self.declared.resources:
            raise TiltfileFailed(f"k8s_resource {name!r} is configured twice")
        self.declared.resources[name] = {
            "workload": workload,
            "port_forwards": [_port_forward(p) for p in _as_list(port_forwards)],
            "trigger_mode": trigger_mode,
            "resource_deps": list(resource_deps),
            "objects": list(objects),
            "auto_init": auto_init,
            "labels": _as_list(labels),
        }

    def local_resource(
        self,
        name,
        cmd,
        deps=None,
        trigger_mode=TRIGGER_MODE_AUTO,
        resource_deps=[],
        ignore=[],
        auto_init=True,
        serve_cmd="",
        cmd_bat="",
        serve_cmd_bat="",
        allow_parallel=False,
        links=[],
        labels=[],
        env={},
        serve_env={},
        readiness_probe=None,
        dir="",
        serve_dir="",
    ):
        if not auto_init and trigger_mode == TRIGGER_MODE_AUTO:  # Tilt refuses this pair
            raise TiltfileFailed(f"{name}: auto_init=False incompatible with TRIGGER_MODE_AUTO")
        self.declared.local_resources[name] = {
            "cmd": cmd,
            "deps": _as_list(deps),
            "trigger_mode": trigger_mode,
            "resource_deps": list(resource_deps),
            "auto_init": auto_init,
            "labels": _as_list(labels),
        }

    # -- the config module ----------------------------------------------------------------------

    def config_define_string_list(self, name, args=False, usage=""):
        self.declared.config_settings[name] = {"type": "string_list", "args": args}

    def config_parse(self):
        """The settings as `tilt up -- ARGS` gives them: the positional ones only."""
        positional = [n for n, s in self.declared.config_settings.items() if s["args"]]
        if self.args and not positional:
            raise TiltfileFailed("positional args given, but no setting takes them")
        return {positional[0]: list(self.args)} if self.args else {}

    def config_set_enabled_resources(self, resources):
        self.declared.enabled_resources = list(resources)


def _port_forward(value: Any) -> dict[str, Any]:
    """Tilt's three spellings of a port forward, as one shape."""
    if isinstance(value, dict):
        return value
    parts = str(value).split(":")
    local = int(parts[-2] if len(parts) > 1 else parts[-1])
    return {"local_port": local, "container_port": int(parts[-1]), "name": None, "link_path": None}


# Names the module gets as plain values, and the config module as a struct of stand-ins.
_PRELUDE = """
config = struct(
    define_string_list = _config_define_string_list,
    parse = _config_parse,
    set_enabled_resources = _config_set_enabled_resources,
)
"""
_BUILTINS = [
    "version_settings",
    "allow_k8s_contexts",
    "k8s_context",
    "fail",
    "docker_build",
    "fall_back_on",
    "sync",
    "run",
    "helm",
    "k8s_yaml",
    "port_forward",
    "k8s_resource",
    "local_resource",
]


def _dialect() -> starlark.Dialect:
    """Starlark as Tilt's interpreter (starlark-go) accepts it: top-level if/for, def, lambda;
    no f-strings or type annotations, which Tilt would refuse."""
    dialect = starlark.Dialect.standard()
    dialect.enable_top_level_stmt = True
    dialect.enable_def = True
    dialect.enable_lambda = True
    dialect.enable_f_strings = False
    return dialect


def evaluate(
    path: Path = TILTFILE, *, context: str = KIND_CONTEXT, args: list[str] | None = None
) -> Declared:
    """Run the Tiltfile as ``tilt up -- ARGS`` would against ``context``."""
    tilt = _Tilt(context, list(args or []))
    module = starlark.Module()
    for name in _BUILTINS:
        module.add_callable(name, getattr(tilt, name))
    for name in ("define_string_list", "parse", "set_enabled_resources"):
        module.add_callable(f"_config_{name}", getattr(tilt, f"config_{name}"))
    module["TRIGGER_MODE_AUTO"] = TRIGGER_MODE_AUTO
    module["TRIGGER_MODE_MANUAL"] = TRIGGER_MODE_MANUAL
    globals_ = starlark.Globals.extended_by(
        [starlark.LibraryExtension.StructType, starlark.LibraryExtension.Print]
    )
    try:
        starlark.eval(module, starlark.parse("prelude", _PRELUDE, _dialect()), globals_)
        source = path.read_text(encoding="utf-8")
        starlark.eval(module, starlark.parse(path.name, source, _dialect()), globals_)
    except starlark.StarlarkError as error:
        raise TiltfileFailed(str(error)) from error
    return tilt.declared
