"""The first slice end to end on the real stack: HTTP -> Kafka -> case agent -> cases.events ->
projection agent -> Elasticsearch -> HTTP."""

from __future__ import annotations

import base64
import json
import uuid

import httpx
import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient

from tests.support import wait_for

pytestmark = pytest.mark.integration


def complaint(**kw):
    body = {
        "category": "jalan-jembatan",
        "title": "Jalan berlubang",
        "description": "Jalan di depan pasar Panorama berlubang besar dan membahayakan pengendara.",
        "regency": "17.71",
        "district": "17.71.03",
        "lat": -3.80,
        "lon": 102.27,
        "reporter": {"name": "Siti Aminah", "phone": "0812-7300-1234", "email": "siti@example.org"},
    }
    body.update(kw)
    return body


def routed(client: httpx.Client, tracking_id: str) -> dict | None:
    view = client.get(f"/api/v1/complaints/{tracking_id}").json()
    return view if view.get("status") == "routed" else None


def test_submitted_complaint_is_routed_to_the_right_agency(client, es, stack):
    response = client.post("/api/v1/complaints", json=complaint())
    assert response.status_code == 202, response.text
    accepted = response.json()
    tracking_id = accepted["tracking_id"]
    assert accepted["status"] == "received"
    assert accepted["status_url"].endswith(f"/api/v1/complaints/{tracking_id}")

    # Readable at once: received (or already routed), never 404.
    first = client.get(f"/api/v1/complaints/{tracking_id}")
    assert first.status_code == 200
    assert first.json()["status"] in ("received", "routed")

    view = wait_for(lambda: routed(client, tracking_id), f"case {tracking_id} routed")
    assert view["agency"] == {"code": "PUPR-KOTA", "name": "Dinas Pekerjaan Umum dan Penataan Ruang Kota Bengkulu"}
    assert [t["status"] for t in view["timeline"]] == ["received", "routed"]
    assert "reporter" not in view and "Siti" not in response.text + str(view)

    doc = es.get(index=stack.indices.cases, id=tracking_id)
    assert doc["_version"] == 2 and doc["_source"]["seq"] == 2
    assert doc["_source"]["agency"] == "PUPR-KOTA" and doc["_source"]["status"] == "routed"


def test_routing_uses_the_provincial_agency_outside_the_city(client):
    response = client.post("/api/v1/complaints", json=complaint(regency="17.02", district="17.02.06"))
    assert response.status_code == 202, response.text
    view = wait_for(lambda: routed(client, response.json()["tracking_id"]), "case routed")
    assert view["agency"]["code"] == "DPUPR"


def test_tracking_id_is_read_as_people_type_it(client):
    tracking_id = client.post("/api/v1/complaints", json=complaint()).json()["tracking_id"]
    typed = tracking_id.lower().replace("-", " ")
    assert client.get(f"/api/v1/complaints/{typed}").json()["tracking_id"] == tracking_id
    assert client.get("/api/v1/complaints/BKL-00000-00000").status_code == 404
    assert client.get("/api/v1/complaints/not-a-case").status_code == 404


def test_same_client_request_id_gives_the_same_case(client, es, stack):
    body = complaint(client_request_id=str(uuid.uuid4()))
    first = client.post("/api/v1/complaints", json=body)
    second = client.post("/api/v1/complaints", json=body)
    assert first.status_code == second.status_code == 202
    tracking_id = first.json()["tracking_id"]
    assert second.json()["tracking_id"] == tracking_id
    wait_for(lambda: routed(client, tracking_id), "case routed")
    wait_until_projected(stack)
    doc = es.get(index=stack.indices.cases, id=tracking_id)
    assert doc["_version"] == 2 and len(doc["_source"]["state"]["timeline"]) == 2


@pytest.mark.parametrize(
    "change, field",
    [
        ({"description": None}, "description"),
        ({"description": "pendek"}, "description"),
        ({"category": "tidak-ada"}, "category"),
        ({"regency": "99.99", "district": None}, "regency"),
        ({"district": "17.71.99"}, "district"),
        ({"reporter": {"email": "bukan-email"}}, "email"),
        ({"lat": 200}, "lat"),
        ({"unknown_field": 1}, "unknown_field"),
        ({"client_request_id": "short"}, "client_request_id"),
    ],
)
def test_bad_input_answers_422_naming_the_field(client, change, field):
    body = {k: v for k, v in {**complaint(), **change}.items() if v is not None}
    response = client.post("/api/v1/complaints", json=body)
    assert response.status_code == 422, response.text
    fields = [str(part) for err in response.json()["detail"] for part in err["loc"]]
    assert field in fields, response.json()


def test_reference_lists(client):
    categories = client.get("/api/v1/categories").json()
    assert {"jalan-jembatan", "sampah-kebersihan"} <= {c["code"] for c in categories}
    regions = client.get("/api/v1/regions").json()
    assert len(regions) == 10
    kota = next(r for r in regions if r["code"] == "17.71")
    assert kota["name"] == "Kota Bengkulu" and len(kota["districts"]) == 9


def test_health_and_readiness(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["kafka"] == "ok" and ready.json()["elasticsearch"] == "ok"


def wait_until_projected(stack) -> None:
    """Wait until the worker's consumer group has committed every offset of cases.events."""
    consumer = KafkaConsumer(bootstrap_servers=stack.kafka_bootstrap)
    admin = KafkaAdminClient(bootstrap_servers=stack.kafka_bootstrap)
    try:
        partitions = [TopicPartition(stack.topics.events, p)
                      for p in consumer.partitions_for_topic(stack.topics.events)]

        def caught_up() -> bool:
            ends = consumer.end_offsets(partitions)
            committed = admin.list_group_offsets({stack.app_id: partitions})[stack.app_id]
            # Kafka answers -1 for a partition with nothing committed (it never had a message).
            return all(tp in committed and max(committed[tp].offset, 0) >= ends[tp] for tp in partitions)

        wait_for(caught_up, "the projection to commit every offset of cases.events")
    finally:
        consumer.close()
        admin.close()


def test_replayed_events_leave_one_document_at_the_same_version(client, es, stack):
    tracking_id = client.post("/api/v1/complaints", json=complaint()).json()["tracking_id"]
    wait_for(lambda: routed(client, tracking_id), "case routed")
    wait_until_projected(stack)
    before = es.get(index=stack.indices.cases, id=tracking_id)

    # Read the case's events back from the log and append them again, twice.
    consumer = KafkaConsumer(stack.topics.events, bootstrap_servers=stack.kafka_bootstrap,
                             auto_offset_reset="earliest", consumer_timeout_ms=3000, enable_auto_commit=False)
    mine = [m for m in consumer if m.key == tracking_id.encode()]
    consumer.close()
    assert [m.value.count(b'"seq":') for m in mine] == [1, 1] and len(mine) == 2
    producer = KafkaProducer(bootstrap_servers=stack.kafka_bootstrap, acks="all")
    for _ in range(2):
        for m in mine:
            producer.send(stack.topics.events, key=m.key, value=m.value)
    producer.flush(10)
    producer.close()
    wait_until_projected(stack)

    after = es.get(index=stack.indices.cases, id=tracking_id)
    assert after["_version"] == before["_version"] == 2
    assert after["_source"] == before["_source"]
    es.indices.refresh(index=stack.indices.cases)
    assert es.count(index=stack.indices.cases, query={"term": {"case_id": tracking_id}})["count"] == 1


def dead_letter_with(stack, marker: str) -> dict | None:
    """The dead-letter record whose original message contains `marker`, if there is one yet (opened: the
    message is sealed in the topic, producers/sealing.py)."""
    from producers.sealing import sealer_for

    consumer = KafkaConsumer(stack.topics.dead_letter, bootstrap_servers=stack.kafka_bootstrap,
                             auto_offset_reset="earliest", consumer_timeout_ms=2000)
    sealer = sealer_for(stack)
    try:
        records = [sealer.open_dead_letter(json.loads(m.value)) for m in consumer]
    finally:
        consumer.close()
    return next((r for r in records if marker.encode() in base64.b64decode(r["value_b64"] or "")), None)


def test_malformed_submission_goes_to_dead_letter_and_the_next_one_flows(client, stack):
    producer = KafkaProducer(bootstrap_servers=stack.kafka_bootstrap, acks="all")
    marker = uuid.uuid4().hex
    producer.send(stack.topics.submissions, key=b"BKL-XXXXX-XXXXX", value=f"not json {marker}".encode())
    producer.flush(10)
    producer.close()
    tracking_id = client.post("/api/v1/complaints", json=complaint()).json()["tracking_id"]
    wait_for(lambda: routed(client, tracking_id), "the next good submission routed")

    record = wait_for(lambda: dead_letter_with(stack, marker), "the malformed message in the dead-letter topic",
                      timeout_s=30)
    assert record["agent"] == "case_agent" and record["source_topic"] == stack.topics.submissions
    assert "json" in record["reason"].lower()


def test_malformed_command_goes_to_dead_letter_and_the_next_one_flows(client, es, stack):
    from tests.integration.test_lifecycle import Case, headers

    case = Case(client, es, stack)
    producer = KafkaProducer(bootstrap_servers=stack.kafka_bootstrap, acks="all")
    marker = uuid.uuid4().hex
    bad = json.dumps({"command_id": f"bad-{marker}", "case_id": case.id, "type": "resolve"}).encode()  # no actor
    producer.send(stack.topics.commands, key=case.id.encode(), value=bad)
    producer.flush(10)
    producer.close()
    case.staff(headers(stack, "officer", "PUPR-KOTA"), type="acknowledge")
    assert case.status == "in_progress"

    record = wait_for(lambda: dead_letter_with(stack, marker), "the malformed command in the dead-letter topic",
                      timeout_s=30)
    assert record["source_topic"] == stack.topics.commands and "actor" in record["reason"]
