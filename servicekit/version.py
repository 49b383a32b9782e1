"""The project's version, read from the repository's ``VERSION`` file.

One file is the single source of truth: the FastAPI apps report it, the images carry it in
their OCI label (``make images`` passes it as a build argument), and the Helm chart's
``appVersion`` must equal it (a test checks that they agree). Each image copies the file to
``/app/VERSION``, beside the packages, so the same path works in a checkout and an image.
"""

from __future__ import annotations

from pathlib import Path

VERSION_FILE = Path(__file__).resolve().parent.parent / "VERSION"


def project_version() -> str:
    """The version string, e.g. ``0.1.0``."""
    return VERSION_FILE.read_text(encoding="utf-8").strip()
