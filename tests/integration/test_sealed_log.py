"""The log on the real broker holds no personal data in clear (issue 14, UU PDP): after a submission with full
contact details, a question and the citizen's answer, a resolution and a rating comment, and a malformed
message carrying a phone number, no raw record of `complaints.submitted`, `cases.commands`, `cases.events`,
the case worker's changelog topics or the dead-letter topic contains any of them; the staff view, read
through the projection, shows them all. The one text in clear is the public record's, recorded at the
resolution so that it outlives an erasure: scrubbed, exactly as the public index shows it."""

from __future__ import annotations

import base64
import json
import uuid

import pytest
from kafka import KafkaProducer

from producers.sealing import sealer_for
from stream_processors.app import TABLES, changelog_topic
from tests.integration.test_lifecycle import Case, headers
from tests.support import topic_records, wait_for

pytestmark = pytest.mark.integration


def without_public_texts(value: bytes) -> tuple[bytes, list[dict]]:
    """A record's value without the public record's texts (`payload.public` of an event, `published_text` of the
    case state), and those texts."""
    try:
        data = json.loads(value)
    except ValueError:
        return value, []
    if not isinstance(data, dict):
        return value, []
    texts = []
    if isinstance(data.get("payload"), dict) and "public" in data["payload"]:
        texts.append(data["payload"].pop("public"))
    if data.get("published_text"):
        texts.append(data.pop("published_text"))
    return json.dumps(data).encode(), texts


def test_no_record_of_the_log_holds_personal_data_in_clear(client, es, stack):
    run = uuid.uuid4().hex[:8]
    name, email, phone = f"Siti Rahmawati {run}", f"siti.{run}@contoh.id", "+62 812 7788 " + run[:4].translate(
        str.maketrans("abcdef", "123456"))
    address, description = f"Jl. Merpati {run} No. 9", f"Lampu jalan {run} di depan rumah kami mati seminggu."
    question, answer = f"Tiang nomor berapa {run}?", f"Tiang dekat rumah Bu Siti {run}"
    resolution, comment = f"Lampu {run} sudah diganti.", f"Terima kasih {run}, cepat sekali."
    officer = headers(stack, "officer", "PUPR-KOTA")
    case = Case(client, es, stack, title=f"Lampu mati {run}", description=description, address=address,
                lat=-3.7912, lon=102.2634, reporter={"name": name, "phone": phone, "email": email},
                attributes={})
    case.staff(officer, type="request_info", question=question)
    case.citizen(type="citizen_reply", message=answer)
    case.staff(officer, type="resolve", resolution=resolution)
    case.citizen(type="accept", rating=5, comment=comment)
    # A message the case agent refuses, with a contact in it: to the dead-letter topic.
    marker = f"telepon 0812{run}"
    producer = KafkaProducer(bootstrap_servers=stack.kafka_bootstrap, acks="all")
    producer.send(stack.topics.submissions, key=case.id.encode(), value=f"bukan JSON, {marker}".encode())
    producer.flush(10)
    producer.close()

    topics = [stack.topics.submissions, stack.topics.commands, stack.topics.events, stack.topics.dead_letter,
              *(changelog_topic(stack, table) for table in TABLES)]

    def dead_lettered() -> bool:
        return any(r.key == case.id.encode() for r in topic_records(stack.kafka_bootstrap, stack.topics.dead_letter))

    wait_for(dead_lettered, "the malformed message in the dead-letter topic", timeout_s=60)
    personal = [name, email, phone, phone.replace(" ", ""), address, description, question, answer, resolution,
                comment, marker, f"Lampu mati {run}", "-3.7912", "102.2634"]
    contact = [name, email, phone, phone.replace(" ", ""), address, answer, comment, marker, "-3.7912", "102.2634",
               "Siti"]
    public = wait_for(lambda: es.get(index=stack.indices.public_cases, id=case.id)["_source"], "the public record")
    published: list[dict] = []
    seen: dict[str, int] = {}
    for topic in topics:
        for record in topic_records(stack.kafka_bootstrap, topic):
            if topic == stack.topics.submissions and (record.value or b"").startswith(b"bukan JSON"):
                continue  # written by this test, as a client outside Aduan: only its dead letter is Aduan's
            value, texts = without_public_texts(record.value or b"")
            if case.id.encode() in (record.key or b""):  # this case's (the topics hold other tests' cases too)
                published += texts
            raw = (record.key or b"") + b"\0" + value
            if case.id.encode() in raw or run.encode() in raw:
                seen[topic] = seen.get(topic, 0) + 1
            found = [p for p in personal if p.encode() in raw]
            assert not found, f"{topic} holds {found} in clear: {raw[:300]!r}"
    # The records read are the case's own, in every topic (the check above is not about empty topics).
    assert set(seen) == set(topics), seen
    # The public texts in clear: the case.resolved event's, and the case state's copy of them; the public
    # record's own, scrubbed (no contact, no name), and nothing beside.
    assert published and all(p["description"] == public["description"] and p["resolution"] == public["resolution"]
                             and p["title"] == public["title"] for p in published), published
    assert not [c for c in contact if c in json.dumps(published)]
    # The refused message would sit base64-encoded in a dead letter, where the search above cannot see it: its
    # record must carry it sealed, and nothing of it beside.
    letters = [json.loads(r.value) for r in topic_records(stack.kafka_bootstrap, stack.topics.dead_letter)
               if r.key == case.id.encode()]
    assert letters and all("sealed" in d and "value_b64" not in d and "key" not in d for d in letters), letters
    opened = [sealer_for(stack).open_dead_letter(d) for d in letters]
    assert any(marker.encode() in base64.b64decode(d["value_b64"]) for d in opened)

    # Opened again where they are used: the officer's view shows them, read from the projection.
    view = client.get(f"/api/v1/officer/cases/{case.id}", headers=officer).json()
    assert view["reporter"]["name"] == name and view["reporter"]["email"] == email
    assert view["description"] == description and view["address"] == address
    texts = [entry.get("text") for entry in view["timeline"]]
    assert question in texts and answer in texts and resolution in texts
