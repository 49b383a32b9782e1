"""The simulation: a next-event engine, arrival models, customer agents, and the environment
that plays customers against the store through small ports (`ports`). No I/O of its own."""
