"""Every operation of the inventory API, fuzzed over HTTP (see `testkit.fuzzing`)."""

from __future__ import annotations

import httpx
import pytest

from inventory_service.tests.conftest import at, iso
from testkit.fixtures import unique_id
from testkit.fuzzing import fuzz


@pytest.mark.slow
def test_no_input_breaks_the_api(inventory_server, tmp_path):
    location = unique_id("fuzz")
    policy = {"type": "rQ", "reorder_point": 5, "order_quantity": 10}
    item = {"on_hand": 20, "policy": policy, "lead_time_minutes": 60, "at": iso(at(0))}
    answer = httpx.put(f"{inventory_server.url}/locations/{location}/items/milk", json=item)
    assert answer.status_code == 201, answer.text
    code, output = fuzz(
        inventory_server.url, {"location": [location], "sku": ["milk"]}, tmp_path / "junit.xml"
    )
    assert code == 0, output
