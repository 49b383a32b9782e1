"""Checks of a service's OpenAPI document shared by the services' tests."""

from __future__ import annotations

from typing import Any


def assert_documented(spec: dict[str, Any], expected: set[tuple[str, str]]) -> None:
    """Each expected (method, path) is documented with a summary, and its request body (if
    any) refers to a schema that carries examples, so the docs show a body to try."""
    paths = spec["paths"]
    documented = {(method, path) for path, operations in paths.items() for method in operations}
    assert expected <= documented, expected - documented
    schemas = spec["components"]["schemas"]
    for method, path in expected:
        operation = paths[path][method]
        assert operation.get("summary"), (method, path)
        body = operation.get("requestBody")
        if body:
            ref = body["content"]["application/json"]["schema"]
            ref = ref.get("$ref") or next(x["$ref"] for x in ref["anyOf"] if "$ref" in x)
            assert schemas[ref.split("/")[-1]].get("examples"), (method, path)
