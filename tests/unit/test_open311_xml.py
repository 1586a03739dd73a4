"""Open311's XML: the specification's elements, and text XML cannot hold left out (one bad submission must
not make the feed unparseable for every client)."""

from xml.etree import ElementTree as ET

import pytest

from api.routes.open311 import _xml

pytestmark = pytest.mark.unit


def test_requests_and_nested_lists_and_control_characters():
    body = _xml("service_requests", "request", [{"service_request_id": "BKL-1", "description": "a\x01b\x0bc\nd",
                                                 "lat": None, "metadata": True}])
    root = ET.fromstring(body)
    assert body.startswith(b"<?xml") and root.tag == "service_requests"
    assert root.findtext("request/description") == "abc\nd" and root.findtext("request/metadata") == "true"
    assert root.findtext("request/lat") == ""
    definition = ET.fromstring(_xml("service_definition", None, {"service_code": "x", "attributes": [
        {"code": "wilayah", "values": [{"key": "17.71", "name": "Kota"}]}]}))
    assert definition.findtext("attributes/attribute/values/value/key") == "17.71"
