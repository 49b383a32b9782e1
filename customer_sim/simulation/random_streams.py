"""One seeded random stream per source of randomness.

Arrivals, budgets, wish-list sizes, wish-list products, wish-list quantities and visit timing
each draw from their own `random.Random`, seeded from (scenario seed, stream name). Changing how
one source draws (another budget distribution, a longer wish list) therefore never reshuffles
the others, and two policies compared under one seed face the very same customers.

The stream's seed is a SHA-256 of the pair, not Python's ``hash()``: that is salted per process
(PYTHONHASHSEED) and would make runs irreproducible.
"""

from __future__ import annotations

import hashlib
from random import Random

ARRIVALS = "arrivals"
BUDGETS = "budgets"
WISH_LIST_SIZES = "wish-list-sizes"
WISH_LIST_PRODUCTS = "wish-list-products"
WISH_LIST_QUANTITIES = "wish-list-quantities"
TIMING = "timing"


def stream_seed(seed: int, name: str) -> int:
    """A 64-bit seed for stream ``name``, stable across processes, platforms and versions."""
    digest = hashlib.sha256(f"{seed}:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


class RandomStreams:
    """The named streams of one run; asking twice for a name returns the same stream."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._streams: dict[str, Random] = {}

    def __getitem__(self, name: str) -> Random:
        stream = self._streams.get(name)
        if stream is None:
            stream = self._streams[name] = Random(stream_seed(self.seed, name))
        return stream
