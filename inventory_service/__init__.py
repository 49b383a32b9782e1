"""inventory_service: stock per (location, SKU), its movement ledger, replenishment policies
and purchase orders with lead times.

Layers, inner to outer: ``domain`` (rules, plain Python), ``application`` (one function per
use case, run in a unit of work; read queries), ``adapters`` (SQLModel tables, repositories,
database), ``api`` (FastAPI routes and schemas). ``python -m inventory_service`` is the CLI.
"""
