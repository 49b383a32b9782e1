"""``python -m customer_sim run|compare|list|show|validate``."""

import sys

from customer_sim.cli import main

if __name__ == "__main__":
    sys.exit(main())
