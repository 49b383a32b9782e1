"""The simulator's domain: the scenario format and the things it talks about (products,
customers, distributions, opening hours). Plain Python and pydantic; no I/O."""
