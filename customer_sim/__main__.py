"""``python -m customer_sim run|compare|list|show|validate``."""

import gc
import signal
import sys

from customer_sim.cli import main

if __name__ == "__main__":
    # Ctrl-C or `kill -INT` ends a run as interrupted (exit 130), even where a shell started
    # it with SIGINT ignored (a background job: Python then keeps it ignored), as `make demo`
    # and the services do.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    status = main()
    # A quick exit: the collections Python runs as it shuts down would traverse the whole
    # heap (matplotlib's included) for nothing (servicekit.cli.skip_the_final_collections).
    gc.freeze()
    sys.exit(status)
