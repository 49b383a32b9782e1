"""Fuzzing a running service's OpenAPI operations with schemathesis, the same way for both.

Every operation gets example, boundary ("coverage"), generated and schema-violating inputs
over real HTTP. A response must never be a 500, must use a documented status code, content
type and schema, must refuse schema-violating input with a 4xx, and must stay small
(`testkit.fuzz_hooks`). `make test` runs a fixed, deterministic budget so CI is stable;
`make fuzz` sets ``FUZZ_EXAMPLES`` for a longer campaign with a fresh seed.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

from testkit.processes import ROOT

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "bounded_body",  # ours, in testkit/fuzz_hooks.py
)
SEED = 20261127


def fuzz(base_url: str, known_ids: dict[str, list[str]], report: Path) -> tuple[int, str]:
    """Run schemathesis against ``base_url``; returns its exit code and its output.

    ``known_ids`` maps path parameter names to ids that exist, so that about half of the
    requests reach an existing store, cart or location instead of a 404.
    """
    campaign = os.environ.get("FUZZ_EXAMPLES")
    command = [
        str(Path(sys.executable).with_name("st")),
        "run",
        f"{base_url}/openapi.json",
        "--checks",
        ",".join(CHECKS),
        "--max-examples",
        campaign or "15",
        "--seed",
        str(random.randrange(2**32) if campaign else SEED),
        "--workers",
        "1",
        "--no-color",
        "--report",
        "junit",
        "--report-junit-path",
        str(report),
    ]
    command += ["--generation-database", "none"] if campaign else ["--generation-deterministic"]
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SCHEMATHESIS_HOOKS": "testkit.fuzz_hooks",
        "FUZZ_KNOWN_IDS": json.dumps(known_ids),
    }
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    return done.returncode, done.stdout + done.stderr
