"""`make images` and `make images-check`: build the three images with one tag, then prove that
each runs the way the Helm chart runs it.

    python scripts/images.py build [--tag TAG]     # default tag: the short git SHA
    python scripts/images.py check [--tag TAG]     # needs TEST_DATABASE_URL (an admin URL)

``check`` runs every container as its image's non-root user with a read-only root file system,
no capabilities and a tmpfs on ``/tmp`` (the chart's security context): each service migrates
its own fresh database on the PostgreSQL server and answers ``/readyz``, and the simulator
image completes a one-day scenario against both. The containers share the host's network so
that they reach a PostgreSQL that listens on 127.0.0.1 only; the services listen on free
local ports.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from testkit.database import create_database, drop_database, find_server  # noqa: E402
from testkit.processes import free_port  # noqa: E402

# The image user of every Dockerfile: numeric, so Kubernetes' runAsNonRoot can verify it.
IMAGE_USER = "10001:10001"
HARDENED = ["--read-only", "--tmpfs", "/tmp:rw,mode=1777", "--cap-drop", "ALL",
            "--security-opt", "no-new-privileges", "--user", IMAGE_USER]  # fmt: skip
# Tools that have no business in a runtime image (build tools stay in the build stage).
BUILD_TOOLS = ["gcc", "cc", "c++", "make"]


@dataclass(frozen=True)
class Image:
    part: str  # the package and folder
    repository: str  # the image repository; the chart's values use the same names

    @property
    def dockerfile(self) -> str:
        return f"{self.part}/Dockerfile"


IMAGES = [
    Image("inventory_service", "demand-supply-sim/inventory"),
    Image("store_service", "demand-supply-sim/store"),
    Image("customer_sim", "demand-supply-sim/customer-sim"),
]


def project_version() -> str:
    return (ROOT / "VERSION").read_text(encoding="utf-8").strip()


def git(*args: str) -> str:
    result = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
    return result.stdout.strip() if result.returncode == 0 else ""


def default_tag() -> str:
    return git("rev-parse", "--short", "HEAD") or "dev"


def source_url() -> str:
    """The repository's public address for the OCI label, from the ``origin`` remote (without
    any credentials in it); ``unknown`` in a checkout without one."""
    url = git("remote", "get-url", "origin")
    if not url:
        return "unknown"
    url = re.sub(r"^git@([^:]+):", r"https://\1/", url)
    url = re.sub(r"^(\w+://)[^@/]+@", r"\1", url)
    return url.removesuffix(".git")


def docker(*args: str, check: bool = True, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(["docker", *args], text=True, capture_output=True, **kwargs)
    if check and result.returncode != 0:
        raise SystemExit(f"docker {' '.join(args[:2])} failed:\n{result.stderr.strip()}")
    return result


def build(tag: str) -> None:
    version, revision = project_version(), git("rev-parse", "HEAD") or "unknown"
    for image in IMAGES:
        ref = f"{image.repository}:{tag}"
        print(f"building {ref} ({image.dockerfile})", flush=True)
        subprocess.run(
            ["docker", "build", "-f", image.dockerfile, "-t", ref,
             "--build-arg", f"VERSION={version}", "--build-arg", f"REVISION={revision}",
             "--build-arg", f"SOURCE_URL={source_url()}", "."],
            cwd=ROOT,
            check=True,
        )  # fmt: skip
    print(docker("image", "ls", "--filter", "reference=demand-supply-sim/*:" + tag).stdout)


# -- check ----------------------------------------------------------------------------------


def check_metadata(ref: str) -> list[str]:
    """What the image says about itself: its user, its labels, no build tools or pip cache."""
    problems = []
    inspected = docker("image", "inspect", ref, check=False)
    if inspected.returncode != 0:
        return [f"{ref}: no such image (run `make images` with the same TAG first)"]
    config = json.loads(inspected.stdout)[0]["Config"]
    if config.get("User") != IMAGE_USER:
        problems.append(f"{ref}: USER is {config.get('User')!r}, not {IMAGE_USER}")
    labels = config.get("Labels") or {}
    if labels.get("org.opencontainers.image.version") != project_version():
        problems.append(f"{ref}: version label {labels.get('org.opencontainers.image.version')!r}")
    for key in ("source", "revision", "title"):
        if not labels.get(f"org.opencontainers.image.{key}"):
            problems.append(f"{ref}: no org.opencontainers.image.{key} label")
    found = docker("run", "--rm", "--user", "0", "--entrypoint", "sh", ref, "-c",
                   f"command -v {' '.join(BUILD_TOOLS)}; ls -d /root/.cache/pip 2>/dev/null",
                   check=False).stdout.split()  # fmt: skip
    if found:
        problems.append(f"{ref}: build tools or a pip cache in the final image: {found}")
    return problems


def wait_ready(url: str, container: str, timeout: float = 90) -> str | None:
    """None once ``url`` answers 200, else what went wrong (with the container's log)."""
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = docker("inspect", "-f", "{{.State.Running}}", container, check=False).stdout
        if state.strip() != "true":
            break
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return None
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    log = docker("logs", "--tail", "30", container, check=False)
    return f"{url} not ready:\n{log.stdout}{log.stderr}"


def check(tag: str, admin_url: str) -> int:
    refs = {image.part: f"{image.repository}:{tag}" for image in IMAGES}
    problems = [problem for ref in refs.values() for problem in check_metadata(ref)]
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    run_id = uuid.uuid4().hex[:8]
    urls = {part: create_database(admin_url, f"images_{part}") for part in refs}
    containers: list[str] = []
    try:
        services = {}
        for part, prefix in (("inventory_service", "INVENTORY"), ("store_service", "STORE")):
            env = ["-e", f"{prefix}_DATABASE_URL={urls[part]}", "-e", "LOG_FORMAT=json"]
            if part == "store_service":
                env += ["-e", f"INVENTORY_URL={services['inventory_service']}"]
            hardened = ["--network", "host", *HARDENED, *env, refs[part], "python", "-m", part]
            migrate = docker("run", "--rm", *hardened, "migrate", "--wait", "30", check=False)
            if migrate.returncode != 0:
                print(f"{part} migrate failed:\n{migrate.stderr}", file=sys.stderr)
                return 1
            port = free_port()
            name = f"images-check-{part.replace('_', '-')}-{run_id}"
            docker("run", "-d", "--name", name, *hardened, "serve", "--host", "127.0.0.1",
                   "--port", str(port))  # fmt: skip
            containers.append(name)
            services[part] = f"http://127.0.0.1:{port}"
            failure = wait_ready(f"{services[part]}/readyz", name)
            if failure:
                print(f"{refs[part]}: {failure}", file=sys.stderr)
                return 1
            print(f"ok   {refs[part]}: migrated, /readyz 200 as {IMAGE_USER}, read-only root")
        env = ["-e", f"SIM_DATABASE_URL={urls['customer_sim']}",
               "-e", f"STORE_URL={services['store_service']}",
               "-e", f"INVENTORY_URL={services['inventory_service']}"]  # fmt: skip
        run = docker("run", "--rm", "--network", "host", *HARDENED, *env, refs["customer_sim"],
                     "python", "-m", "customer_sim", "run", "customer_sim/scenarios/default.yaml",
                     "--days", "1", check=False, timeout=600)  # fmt: skip
        if run.returncode != 0 or "units sold" not in run.stdout:
            print(f"{refs['customer_sim']}: exit {run.returncode}\n{run.stdout}\n{run.stderr}")
            return 1
        print(run.stdout.rstrip())
        print(f"ok   {refs['customer_sim']}: a 1-day run against both, read-only root")
    finally:
        for name in containers:
            docker("rm", "-f", name, check=False)
        for url in urls.values():
            drop_database(admin_url, url)
    print(docker("image", "ls", "--filter", "reference=demand-supply-sim/*:" + tag).stdout)
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python scripts/images.py", description=__doc__)
    parser.add_argument("command", choices=["build", "check"])
    parser.add_argument("--tag", default="", help="image tag (default: the short git SHA)")
    args = parser.parse_args(argv)
    tag = args.tag or default_tag()
    if args.command == "build":
        build(tag)
        return 0
    return check(tag, find_server())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
