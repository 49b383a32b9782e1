"""What every client error must look like, checked the same way for both services."""

from __future__ import annotations

import json
from typing import Any

#: An error's body stays small whatever the client sent (a bounded excerpt of the input).
MAX_ERROR_BYTES = 8 * 1024


def strict_json(text: str) -> Any:
    """Parse as RFC 8259 JSON: NaN and Infinity are not JSON, though Python accepts them."""

    def refuse(token: str) -> Any:
        raise ValueError(f"not JSON: {token}")

    return json.loads(text, parse_constant=refuse)


def assert_client_error(response: Any, status: int, *field: str | int) -> Any:
    """``response`` is ``status`` with a small, valid JSON body; for a 422, one of its
    problems is at the location ending with ``field``. Returns the parsed body."""
    assert response.status_code == status, (response.status_code, response.text[:500])
    assert len(response.content) <= MAX_ERROR_BYTES, len(response.content)
    body = strict_json(response.text)
    assert body["detail"], body
    if field:
        locations = [tuple(problem["loc"][-len(field) :]) for problem in body["detail"]]
        assert tuple(field) in locations, (field, locations)
    return body
