"""The one-worker ceiling: the least a FastAPI route that writes can cost on this machine.

One POST route that validates a small JSON body, inserts one row into SQLite (WAL, one
transaction) and answers it, as a synchronous (thread pool) route, like ours. Run as
``uvicorn ceiling_app:app`` (``CEILING_DB`` names the file); our routes are reported as a
multiple of its cost.
"""

from __future__ import annotations

import os
import sqlite3
import threading

from fastapi import FastAPI
from pydantic import BaseModel

app = FastAPI()
_local = threading.local()


class LineIn(BaseModel):
    sku: str
    quantity: int


class LineOut(LineIn):
    id: int


def _connection() -> sqlite3.Connection:
    connection = getattr(_local, "connection", None)
    if connection is None:
        connection = sqlite3.connect(os.environ["CEILING_DB"], isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute("CREATE TABLE IF NOT EXISTS lines (id INTEGER PRIMARY KEY, sku, qty)")
        _local.connection = connection
    return connection


@app.post("/lines", response_model=LineOut, status_code=201)
def add_line(body: LineIn) -> LineOut:
    connection = _connection()
    connection.execute("BEGIN IMMEDIATE")
    row_id = connection.execute(
        "INSERT INTO lines (sku, qty) VALUES (?, ?)", (body.sku, body.quantity)
    ).lastrowid
    connection.execute("COMMIT")
    return LineOut(id=row_id, sku=body.sku, quantity=body.quantity)
