"""The chart's value variants: its defaults, every ci/*-values.yaml CI installs, and the dev
loop's values-dev.yaml, each rendered once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from testkit import helm

CI_VALUES = sorted((helm.CHART_DIR / "ci").glob("*-values.yaml"))
DEV_VALUES = helm.CHART_DIR / "values-dev.yaml"
# name -> values file (None: the chart's defaults)
VARIANTS: dict[str, Path | None] = {
    "defaults": None,
    **{path.name: path for path in CI_VALUES},
    DEV_VALUES.name: DEV_VALUES,
}
# What CI installs: the defaults and ci/*; the dev values are for a local cluster only.
INSTALLED = ["defaults", *(path.name for path in CI_VALUES)]

_rendered: dict[str, helm.Rendered] = {}


def variant_values(name: str) -> dict:
    path = VARIANTS[name]
    return helm.load_values(path) if path else {}


def rendered_variant(name: str) -> helm.Rendered:
    if name not in _rendered:
        _rendered[name] = helm.render(variant_values(name))
    return _rendered[name]


@pytest.fixture(params=list(VARIANTS))
def variant(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def rendered(variant: str) -> helm.Rendered:
    return rendered_variant(variant)


@pytest.fixture
def defaults() -> helm.Rendered:
    return rendered_variant("defaults")
