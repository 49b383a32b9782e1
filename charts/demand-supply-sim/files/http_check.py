"""Wait until a URL answers 200, for the simulator Job and the `helm test` pod.

    python http_check.py URL [--wait SECONDS] [--check NAME ...]

Exit 0 once URL answers 200 and, for each --check NAME, the JSON body's ``checks.NAME`` is
"ok" (the store's /readyz reports whether it reaches the inventory that way); exit 1 when that
has not happened within --wait seconds (0: try once). Standard library only: it runs in the
simulator image, with no tools of its own.
"""

import argparse
import json
import sys
import time
import urllib.error
import urllib.request


def attempt(url: str, checks: list[str]) -> str | None:
    """None when the URL answers as required, else what it answered."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            body = response.read().decode()
    except urllib.error.HTTPError as error:
        return f"HTTP {error.code}: {error.read().decode()[:300]}"
    except (OSError, ValueError) as error:
        return str(error)
    if checks:
        try:
            reported = json.loads(body).get("checks", {})
        except (ValueError, AttributeError):
            return f"not a JSON object with checks: {body[:300]}"
        failing = {name: reported.get(name) for name in checks if reported.get(name) != "ok"}
        if failing:
            return f"checks not ok: {failing}"
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description="Wait until a URL answers 200.")
    parser.add_argument("url")
    parser.add_argument("--wait", type=float, default=0, help="seconds to keep trying")
    parser.add_argument("--check", action="append", default=[], help="a checks.NAME to be ok")
    args = parser.parse_args()
    deadline = time.monotonic() + args.wait
    while True:
        problem = attempt(args.url, args.check)
        if problem is None:
            print(f"ok: {args.url}", flush=True)
            return 0
        if time.monotonic() >= deadline:
            print(f"FAILED: {args.url}: {problem}", file=sys.stderr, flush=True)
            return 1
        print(f"waiting for {args.url}: {problem}", flush=True)
        time.sleep(2)


if __name__ == "__main__":
    sys.exit(main())
