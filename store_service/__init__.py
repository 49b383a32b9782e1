"""store_service: stores, their catalogs, carts, checkout against the inventory, and sales.

Layers, inner to outer: ``domain`` (cart and order rules, plain Python), ``application`` (one
function per use case, run in a unit of work; read queries; the inventory port), ``adapters``
(SQLModel tables, repository, the HTTP client of inventory_service), ``api`` (FastAPI routes
and schemas). ``python -m store_service`` is the CLI.
"""
