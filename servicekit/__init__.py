"""Plumbing shared by the HTTP services (store_service, inventory_service) and the simulator.

Only what is the same in every service lives here: settings, the database engine, logging,
Prometheus metrics, health endpoints, error mapping, migrations, the command line, and the
JSON HTTP client between the parts. Domain code never imports it, except for the column type
`UTCDateTime` used by table models.
"""
