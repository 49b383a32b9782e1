"""customer_sim: a discrete-event, agent-based demand simulator that shops at the real store.

A scenario (YAML) describes customers, their arrival pattern and a product range with stock and
replenishment policies. A run opens its own store through the store and inventory APIs, plays
the customers against it in simulated time, and reports what the policies achieved.

Layers, inner to outer: ``domain`` (scenario format, arrival models, distributions, products,
customers, the opening-hours calendar; plain Python and pydantic), ``simulation`` (the
next-event engine, customer agents, the environment that plays them against the store ports,
KPI math), ``infrastructure`` (HTTP clients for the services, the run database, reports) and
``cli`` (``python -m customer_sim run|compare|list|show|validate``).
"""
