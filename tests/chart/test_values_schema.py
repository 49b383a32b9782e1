"""values.schema.json rejects bad values before anything is applied, naming the value."""

from __future__ import annotations

import json

import pytest

from testkit import helm


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"store": {"replicas": -1}}, "/store/replicas"),
        ({"logFormat": "xml"}, "/logFormat"),
        ({"externalDatabase": {"port": "5432x"}}, "/externalDatabase/port"),
        ({"inventory": {"service": {"port": 80.5}}}, "/inventory/service/port"),
        ({"invetory": {"replicas": 2}}, "invetory"),
        ({"store": {"replica": 2}}, "replica"),
        ({"image": {"tag": "latest"}}, "/image/tag"),
        ({"simulator": {"image": {"tag": "latest"}}}, "/simulator/image/tag"),
        ({"simulator": {"days": 0}}, "/simulator/days"),
        ({"externalDatabase": {"sslmode": "sometimes"}}, "/externalDatabase/sslmode"),
        ({"postgres": {"persistence": {"size": "lots"}}}, "/postgres/persistence/size"),
    ],
)
def test_bad_values_fail_naming_the_value(values: dict, named: str) -> None:
    with pytest.raises(helm.ChartError) as error:
        helm.render(values)
    assert named in str(error.value)


def test_our_own_objects_allow_no_unknown_keys() -> None:
    """Every object the schema describes closes itself, except Kubernetes pass-throughs."""
    schema = json.loads((helm.CHART_DIR / "values.schema.json").read_text())
    passthrough = {"affinity", "podAnnotations", "nodeSelector", "annotations"}

    def walk(node: dict, path: str) -> list[str]:
        open_objects = []
        if node.get("type") == "object" and "properties" in node:
            if node.get("additionalProperties") is not False:
                open_objects.append(path)
        for key, child in node.get("properties", {}).items():
            if key not in passthrough:
                open_objects += walk(child, f"{path}.{key}")
        for key, child in node.get("definitions", {}).items():
            open_objects += walk(child, f"#{key}")
        return open_objects

    assert walk(schema, "values") == []


def test_every_default_value_is_described_by_the_schema() -> None:
    schema = json.loads((helm.CHART_DIR / "values.schema.json").read_text())
    defaults = helm.load_values(helm.CHART_DIR / "values.yaml")

    def resolve(node: dict) -> dict:
        ref = node.get("$ref")
        return schema["definitions"][ref.split("/")[-1]] if ref else node

    def undescribed(values: dict, node: dict, path: str) -> list[str]:
        node = resolve(node)
        missing = []
        for key, value in values.items():
            child = node.get("properties", {}).get(key)
            if child is None:
                missing.append(f"{path}.{key}")
            elif isinstance(value, dict) and "properties" in resolve(child):
                missing += undescribed(value, child, f"{path}.{key}")
        return missing

    assert undescribed(defaults, schema, "values") == []
