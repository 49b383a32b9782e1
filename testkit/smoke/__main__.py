"""``python -m testkit.smoke``: see the package's docstring."""

from __future__ import annotations

import argparse
import sys

from testkit.smoke import run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m testkit.smoke", description=__doc__)
    parser.add_argument("--release", default="dss", help="the Helm release (default dss)")
    parser.add_argument("--namespace", help="default: the context's namespace, else default")
    parser.add_argument("--context", help="the kubeconfig context (default: the current one)")
    parser.add_argument("--job", help="the simulator Job (default: the release's newest)")
    parser.add_argument(
        "--timeout", type=float, default=900, help="seconds for everything (default 900)"
    )
    args = parser.parse_args(argv)

    from testkit.smoke.cluster import Cluster

    try:
        cluster = Cluster(args.context, args.namespace)
    except Exception as error:  # no kubeconfig, unknown context
        print(f"smoke test FAILED: cannot use the cluster: {error}", file=sys.stderr)
        return 1
    passed = run(cluster, args.release, job_name=args.job, timeout=args.timeout)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
