"""orjson where Aduan writes JSON itself: Kafka messages (producers.kafka.encode), the Elasticsearch client's
serializer (config.connections.es_options) and the answers routes build (api.routes.responses.JSON). Each
gives what the json module gave: the same bytes for ASCII, the same values always."""

import json
from datetime import UTC, date, datetime
from uuid import UUID

import orjson
import pytest
from elasticsearch import AsyncElasticsearch, Elasticsearch
from elasticsearch.serializer import JsonSerializer, OrjsonSerializer
from starlette.responses import JSONResponse

from api.routes.responses import JSON
from config.connections import es_options
from config.settings import Settings
from domain.case import submission_event
from producers.kafka import encode
from search.documents import index_action
from search.public import public_actions
from tests.unit.test_public_record import CITIZEN, RESOLVED, T0, J, case_through

pytestmark = pytest.mark.unit


def json_module(value) -> bytes:
    """What `encode` wrote before orjson."""
    return json.dumps(value, separators=(",", ":"), default=str).encode()


DEAD_LETTER = {"agent": "cases", "source_topic": "it.complaints.submitted", "reason": "category: Field required",
               "key": "BKL-AAAAA-BBBBB", "value_b64": "eyJ4IjogMX0=", "failed_at": "2026-11-02T01:00:00+00:00"}
ASCII = [DEAD_LETTER, {**DEAD_LETTER, "key": None, "value_b64": None}, {"n": 1, "x": 1.5, "t": True, "l": [1, None]},
         {"at": datetime(2026, 11, 2, 1, 0, 0, 123456, tzinfo=UTC), "on": date(2026, 11, 2)}, {1: "a", 2: ["b"]},
         {"id": UUID(int=7)}, [], {}, "text", 12, {"nested": {"deeper": [{"k": "v"}]}}]


@pytest.mark.parametrize("value", ASCII)
def test_encode_writes_the_json_modules_bytes_for_ascii(value):
    assert encode(value) == json_module(value)


def test_encode_writes_other_characters_as_themselves_with_the_same_value():
    value = {**DEAD_LETTER, "reason": "kategori tidak dikenal — “sampah” ✓ 日本", "key": "BKL-ÄÖ"}
    assert json.loads(encode(value)) == json.loads(json_module(value)) == value
    assert "“sampah” ✓ 日本".encode() in encode(value)  # UTF-8, not \\u escapes


@pytest.mark.parametrize("value", [{"big": 2**70}, {"reason": "cut \ud800 here"}])
def test_what_orjson_refuses_the_json_module_still_writes(value):
    with pytest.raises(orjson.JSONEncodeError):
        orjson.dumps(value)
    assert encode(value) == json_module(value)


def test_models_keep_pydantics_encoding():
    event = submission_event("BKL-AAAAA-BBBBB", case_through().complaint, T0)
    assert encode(event) == event.model_dump_json().encode()


def case_documents():
    resolved = case_through(*RESOLVED, ("accept", CITIZEN, {"rating": 4, "comment": "Terima kasih — sudah rata"}))
    actions = [index_action("cases", c, J) for c in (case_through(), resolved, case_through(anonymous=True))]
    actions += public_actions("public-cases", None, resolved, J, resolved.updated_at)
    assert len(actions) == 4
    return actions


def test_the_elasticsearch_clients_use_orjson_for_json_and_its_compatibility_type():
    for client in (Elasticsearch(**es_options(Settings())), AsyncElasticsearch(**es_options(Settings()))):
        serializers = client.transport.serializers
        assert isinstance(serializers.get_serializer("application/json"), OrjsonSerializer)
        assert isinstance(serializers.get_serializer("application/vnd.elasticsearch+json"), OrjsonSerializer)


def test_bulk_lines_are_the_bytes_the_json_serializer_wrote():
    """The bulk helpers encode every action and document line with the client's JSON serializer."""
    before, after = JsonSerializer(), OrjsonSerializer()
    for action in case_documents():
        line = {k: v for k, v in action.items() if not k.startswith("_") or k in ("_index", "_id")}
        for part in (line, action.get("_source", {})):
            assert after.dumps(part) == before.dumps(part)
            assert after.loads(after.dumps(part)) == part
    with_dates = {"range": {"due_at": {"lte": datetime(2026, 11, 2, 1, 0, tzinfo=UTC)}}, "d": date(2026, 1, 2)}
    assert after.dumps(with_dates) == before.dumps(with_dates)


@pytest.mark.parametrize("content", [{"status": "ready", "kafka": "ok", "elasticsearch": "ok"},
                                     [{"code": 404, "description": "service_request_id 'x' not found — “x”"}],
                                     {"detail": "Kasus tidak ditemukan / case not found", "command_id": None},
                                     [{"lat": -3.79, "lon": 102.26, "n": 0, "ok": False, "nested": {"a": [1.25]}}]])
def test_the_apis_own_json_answers_are_starlettes_bytes(content):
    assert JSON(content).body == JSONResponse(content).body
    assert JSON(content, status_code=503).headers["content-type"] == "application/json"
