"""Erasure of a case's personal data on the real stack (README, "Personal data (UU PDP)"): after `aduan privacy
erase`, no view (officer API, staff page, citizen, export, raw Kafka records opened with the key store) and no
projection rebuilt from the log shows the erased fields; the photos are gone; the public record and the
performance figures are unchanged; the audit list shows the erasure. And the worker's retention job erases a
closed case by itself, the same way, while `aduan privacy due` lists what it would erase."""

from __future__ import annotations

import json
import sys
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from kafka import KafkaProducer
from sqlalchemy import text

from aduan.bootstrap import bootstrap
from api.accounts import AccountStore
from config.connections import engine_for
from domain.commands import Reject
from domain.events import Actor
from producers.sealing import Sealer, SqlDataKeys
from tests.integration.test_lifecycle import Case, headers
from tests.integration.test_privacy import PASSWORD, REPORTER, aduan, entries, photo_case
from tests.integration.test_rebuild import snapshot
from tests.integration.test_staff_pages import sign_in
from tests.integration.test_worker_store import submit
from tests.support import Process, settings_env, topic_records, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]
ADDRESS, LAT, LON = "Jl. Salak No. 3", -3.7956, 102.2592
REASON = "permintaan subjek data no. 7/2026"


def personal(run: str) -> list[str]:
    """What must be gone: the contact, the address, the coordinates, the citizen's own words."""
    return [*REPORTER.values(), "Wulan", ADDRESS, "Salak", str(LAT), str(LON), f"nomor {run}",
            f"kabari {run}", f"Terima kasih {run}"]


def found_in(text: str, run: str) -> list[str]:
    return [value for value in personal(run) if value in text]


def public_doc(es, stack, case_id: str) -> dict:
    return es.get(index=stack.indices.public_cases, id=case_id)["_source"]


@pytest.fixture(scope="module")
def world(client, es, stack):
    run = uuid.uuid4().hex[:6]
    officer = f"hapus-{run}"
    store = AccountStore.from_settings(stack)
    store.add(officer, "officer", "PUPR-KOTA", PASSWORD)
    store.close()
    bearer = headers(stack, "officer", "PUPR-KOTA")
    case, photo = photo_case(client, es, stack, title=f"Jalan {run} berlubang",
                             description=f"Jalan {run} berlubang di depan rumah Bu Wulan Sari, {ADDRESS}.",
                             address=ADDRESS, lat=LAT, lon=LON)
    case.staff(bearer, type="acknowledge")
    case.staff(bearer, type="request_info", question="Di depan nomor rumah berapa, Bu?")
    case.citizen(type="citizen_reply", message=f"Depan rumah nomor {run}, telepon {REPORTER['phone']}.")
    case.staff(bearer, type="add_note", text=f"Bu Wulan minta kabari {run} lewat {REPORTER['email']}")
    case.staff(bearer, type="reply", message="Tim kami menuju lokasi besok pagi.")
    case.staff(bearer, type="resolve", resolution="Lubang sudah ditambal dengan aspal.")
    case.citizen(type="accept", rating=4, comment=f"Terima kasih {run}, Wulan Sari")
    assert case.status == "closed"
    still_open = Case(client, es, stack)
    pages = httpx.Client(base_url=stack.base_url, timeout=30)
    assert sign_in(pages, officer, PASSWORD).status_code == 303
    before = {"public": wait_for(lambda: public_doc(es, stack, case.id), f"public record of {case.id}"),
              "doc": dict(case.doc), "page": client.get(f"/kasus/{case.id}")}
    assert (stack.media_dir / case.id / f"{photo}.jpg").is_file()
    yield {"run": run, "case": case, "photo": photo, "open": still_open, "bearer": bearer, "pages": pages,
           "before": before}
    pages.close()


def test_due_lists_closed_cases_only_as_the_retention_rule_says(world, stack):
    due = aduan(stack, "privacy", "due", "--json", "--limit", "10000", ADUAN_PERSONAL_DATA_RETENTION_DAYS="0")
    assert due.returncode == 0, due.stderr
    listed = {c["tracking_id"]: c for c in json.loads(due.stdout)}
    assert listed[world["case"].id]["status"] == "closed" and world["open"].id not in listed
    kept = json.loads(aduan(stack, "privacy", "due", "--json").stdout)  # 730 days by default
    assert world["case"].id not in {c["tracking_id"] for c in kept}


def test_erasure_leaves_no_view_showing_the_erased_fields(world, client, es, stack):
    case, run = world["case"], world["run"]
    refused = aduan(stack, "privacy", "erase", case.id)  # no reason, no terminal: nothing done
    assert refused.returncode == 1 and "--reason" in refused.stderr
    assert (stack.media_dir / case.id).is_dir()

    done = aduan(stack, "privacy", "erase", case.id.lower(), "--reason", REASON)
    assert done.returncode == 0, done.stderr
    assert "data key destroyed" in done.stdout and "1 photo(s) deleted" in done.stdout
    assert "the cases index shows it erased" in done.stdout

    doc = es.get(index=stack.indices.cases, id=case.id)["_source"]
    state = doc["state"]
    assert doc["erased_at"] and state["erased_at"] and doc["seq"] == world["before"]["doc"]["seq"] + 1
    assert state["complaint"]["description"] == "[dihapus]" and state["complaint"]["reporter"] == {
        "name": None, "phone": None, "email": None}
    assert not found_in(json.dumps({k: v for k, v in doc.items() if k != "state"}), run)
    assert not found_in(json.dumps({k: v for k, v in state.items() if k != "published_text"}), run)

    officer = client.get(f"/api/v1/officer/cases/{case.id}", headers=world["bearer"])
    assert officer.status_code == 200 and officer.json()["personal_data_erased_at"]
    assert officer.json()["photos"] == [] and officer.json()["lat"] is None
    assert {t["text"] for t in officer.json()["timeline"] if t["text"]} == {"[dihapus]"}
    assert not found_in(officer.text, run)
    page = world["pages"].get(f"/petugas/kasus/{case.id}")
    assert page.status_code == 200 and "Data pribadi pelapor telah dihapus" in page.text
    assert not found_in(page.text, run)
    citizen = case.view(owner=True)
    assert citizen["description"] == "[dihapus]" and citizen["address"] == "[dihapus]"
    assert not found_in(json.dumps(citizen), run)

    photo = world["photo"]
    assert not (stack.media_dir / case.id).exists()
    assert client.get(f"/api/v1/officer/cases/{case.id}/photos/{photo}",
                      headers=world["bearer"]).status_code == 404

    exported = aduan(stack, "privacy", "export", case.id, "--reason", REASON)
    assert exported.returncode == 0, exported.stderr
    export = json.loads(exported.stdout)
    assert export["case"]["personal_data_erased_at"] and export["complaint"]["description"] == "[dihapus]"
    assert export["photos"]["items"] == [] and not found_in(exported.stdout, run)

    trail = entries(stack, case.id)
    erasure = next(e for e in trail if e["action"] == "privacy.erase")
    assert erasure["reason"] == REASON and "command line" in erasure["detail"]


def test_the_public_record_and_the_performance_figures_are_unchanged(world, client, es, stack):
    case, before = world["case"], world["before"]
    wait_for(lambda: es.get(index=stack.indices.cases, id=case.id)["_source"]["erased_at"], "the erasure")
    assert public_doc(es, stack, case.id) == before["public"]
    assert es.get(index=stack.indices.cases, id=case.id)["_source"]["metrics"] == before["doc"]["metrics"]
    page = client.get(f"/kasus/{case.id}")
    assert page.status_code == 200 and before["public"]["resolution"] in page.text
    assert before["public"]["description"] in page.text and "Wulan" not in page.text


def test_the_log_opens_erased_and_a_rebuilt_projection_shows_the_same(world, es, stack):
    case, run = world["case"], world["run"]
    wait_for(lambda: es.get(index=stack.indices.cases, id=case.id)["_source"]["erased_at"], "the erasure")
    sealer = Sealer(SqlDataKeys(engine_for(stack.database_url)))
    raw, types = [], []
    for topic in (stack.topics.submissions, stack.topics.events):
        for record in topic_records(stack.kafka_bootstrap, topic):
            if record.key == case.id.encode():
                raw.append(record.value.decode())
                event = sealer.event_from(record.value)  # the key is gone: everything sealed opens erased
                types.append(event.type)
                assert not found_in(event.model_dump_json(exclude={"payload": {"public"}}), run), event.type
    assert "case.personal_data_erased" in types and not [s for s in raw if found_in(s, run)]

    before_cases = snapshot(es, stack.indices.cases)[case.id]
    before_public = public_doc(es, stack, case.id)
    rebuilt = aduan(stack, "projections", "rebuild")
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    assert snapshot(es, stack.indices.cases)[case.id] == before_cases
    assert public_doc(es, stack, case.id) == before_public


def test_an_erasure_again_finishes_it_and_an_unknown_case_is_refused(world, stack):
    case = world["case"]
    again = aduan(stack, "privacy", "erase", case.id, "--reason", REASON, "--wait", "0")
    assert again.returncode == 0 and "destroyed before" in again.stdout and "0 photo(s)" in again.stdout
    unknown = aduan(stack, "privacy", "erase", "BKL-ZZZZZ-ZZZZZ", "--reason", REASON)
    assert unknown.returncode == 1 and "no case" in unknown.stderr


def test_an_erasure_after_a_rebuild_drops_the_case_from_the_old_index_too(world, es, stack):
    """A rebuild without --delete-old (the test above) keeps the old index, with each case as it was."""
    case_id = world["open"].id
    alias = stack.indices.cases
    old = [name for name in es.indices.get(index=f"{alias}-v*") if name not in es.indices.get_alias(name=alias)]
    assert old and all(es.exists(index=name, id=case_id) for name in old)
    done = aduan(stack, "privacy", "erase", case_id, "--reason", REASON)
    assert done.returncode == 0, done.stderr
    assert not [name for name in old if es.exists(index=name, id=case_id)]


def test_the_same_submission_after_its_case_was_erased_opens_a_new_case(client, es, stack):
    run = uuid.uuid4().hex[:6]
    body = {"category": "jalan-jembatan", "regency": "17.71", "district": "17.71.05",
            "client_request_id": f"erased-again-{run}",
            "description": f"Jalan {run} berlubang di depan rumah Bu Wulan, telepon {REPORTER['phone']}."}
    first = client.post("/api/v1/complaints", json=body)
    assert first.status_code == 202, first.text
    case_id = first.json()["tracking_id"]
    assert client.post("/api/v1/complaints", json=body).json()["tracking_id"] == case_id  # a retry: the same
    wait_for(lambda: es.exists(index=stack.indices.cases, id=case_id), f"{case_id} indexed")
    assert aduan(stack, "privacy", "erase", case_id, "--reason", REASON).returncode == 0
    again = client.post("/api/v1/complaints", json=body)
    assert again.status_code == 202, again.text
    assert again.json()["tracking_id"] != case_id
    assert client.post("/api/v1/complaints", json=body).json()["tracking_id"] == again.json()["tracking_id"]


@pytest.fixture
def retention(stack, tmp_path):
    """A world of its own whose worker erases a case as soon as it is closed, checking every 2 s."""
    run = uuid.uuid4().hex[:6]
    settings = stack.model_copy(update={
        "topic_prefix": f"{stack.topic_prefix}ret{run}.", "index_prefix": f"{stack.index_prefix}ret{run}-",
        "app_id": f"{stack.app_id}-ret{run}", "worker_data_dir": tmp_path / "tables", "worker_metrics_port": 0,
        "personal_data_retention_days": 0, "retention_every_s": 2})
    bootstrap(settings, log=lambda m: None)
    return settings


def test_the_retention_job_of_the_worker_erases_a_closed_case(retention, es, logs_dir):
    settings = retention
    worker = Process("retention-worker", [sys.executable, "-m", "aduan.cli", "worker"], settings_env(settings),
                     logs_dir)
    try:
        closed, still_open, half = submit(settings, ["closed", "open", "half-erased"])
        indexed = lambda: all(es.exists(index=settings.indices.cases, id=c) for c in (closed, still_open, half))  # noqa: E731
        wait_for(indexed, "the cases indexed", timeout_s=90)
        # An erasure that stopped after destroying the key (its command never sent), a while ago.
        engine = engine_for(settings.database_url)
        assert SqlDataKeys(engine).erase(half) is True
        with engine.begin() as connection:
            connection.execute(text("UPDATE data_keys SET erased_at = :at WHERE key_id = :id"),
                               {"at": datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=5), "id": half})
        sealer = Sealer(SqlDataKeys(engine_for(settings.database_url)))
        reject = Reject(command_id=f"reject-{closed}", case_id=closed, actor=Actor(role="coordinator", id="kord"),
                        issued_at=datetime.now(UTC),
                        reason="bukan kewenangan pemerintah daerah")
        producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap.split(","), acks="all")
        producer.send(settings.topics.commands, key=closed.encode(), value=sealer.command_bytes(reject))
        producer.flush(30)
        producer.close(10)

        def erased():
            return es.get(index=settings.indices.cases, id=closed)["_source"].get("erased_at")

        wait_for(erased, f"the retention job to erase {closed}", timeout_s=90)
        doc = es.get(index=settings.indices.cases, id=closed)["_source"]["state"]
        assert doc["status"] == "rejected" and doc["rejection_reason"] == "[dihapus]"
        assert doc["complaint"]["description"] == "[dihapus]"
        assert es.get(index=settings.indices.cases, id=still_open)["_source"].get("erased_at") is None
        wait_for(lambda: es.get(index=settings.indices.cases, id=half)["_source"].get("erased_at"),
                 f"the retention job to finish the erasure of {half}", timeout_s=60)
        (entry,) = [e for e in entries(settings, closed) if e["action"] == "privacy.erase"]
        assert entry["actor"] == "retention" and entry["detail"] == "worker retention job"
        assert "rejected at" in entry["reason"]
        due = aduan(settings, "privacy", "due", "--json")
        assert due.returncode == 0 and json.loads(due.stdout) == []
    finally:
        worker.stop()
