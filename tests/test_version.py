"""One project version: the VERSION file, which the apps report, the images' OCI label carries
and the chart's appVersion repeats."""

from __future__ import annotations

import re

import yaml
from fastapi.testclient import TestClient

from servicekit.version import project_version
from testkit.processes import ROOT
from tests.chart.code_facts import PARTS, SERVICES

VERSION = (ROOT / "VERSION").read_text().strip()


def test_the_version_file_holds_a_version() -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?", VERSION)
    assert project_version() == VERSION


def test_the_charts_app_version_is_the_project_version() -> None:
    chart = yaml.safe_load((ROOT / "charts" / "demand-supply-sim" / "Chart.yaml").read_text())
    assert chart["appVersion"] == VERSION


def test_the_services_report_the_project_version() -> None:
    import importlib

    for part in SERVICES:
        settings = importlib.import_module(f"{part.package}.config").Settings
        app = importlib.import_module(f"{part.package}.api.app").create_app(
            settings(database_url="sqlite://")
        )
        with TestClient(app) as client:
            assert client.get("/openapi.json").json()["info"]["version"] == VERSION


def test_every_image_labels_itself_with_the_version_make_images_passes() -> None:
    images_script = (ROOT / "scripts" / "images.py").read_text()
    assert '"--build-arg", f"VERSION={version}"' in images_script
    assert 'return (ROOT / "VERSION").read_text' in images_script
    for part in PARTS:
        dockerfile = (ROOT / part.package / "Dockerfile").read_text()
        assert "ARG VERSION" in dockerfile
        assert 'org.opencontainers.image.version="${VERSION}"' in dockerfile
        assert "COPY --chown=${CODE_OWNER} VERSION VERSION" in dockerfile
