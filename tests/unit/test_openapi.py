import pytest

from api.app import create_app
from config.settings import Settings

pytestmark = pytest.mark.unit


def refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def test_every_reference_in_the_api_description_resolves():
    spec = create_app(Settings()).openapi()
    schemas = spec["components"]["schemas"]
    missing = {r for r in refs(spec) if r.removeprefix("#/components/schemas/") not in schemas}
    assert not missing
    body = spec["paths"]["/api/v1/complaints"]["post"]["requestBody"]["content"]
    assert set(body) == {"application/json", "multipart/form-data"}
    assert {"category", "description", "regency"} <= set(schemas["ComplaintCreate"]["required"])
