"""Personal fields sealed in the records Aduan writes to Kafka (producers/sealing.py): gone from the bytes,
back when opened, the same bytes for the same record, bound to their record, and older clear records read."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import orjson
import pytest

from domain import events as ev
from domain.case import CITIZEN, apply, submission_event
from domain.commands import CitizenReply
from domain.complaint import Complaint, Reporter
from domain.events import Actor
from producers.sealing import DEAD_LETTERS, KeyMissing, MemoryDataKeys, Sealer, SqlDataKeys, Unreadable
from tests.unit.test_lifecycle import cmd

pytestmark = pytest.mark.unit
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
CASE = "BKL-AAAAA-BBBBB"
NAME, PHONE, EMAIL, ADDRESS = "Siti Rahmawati", "+62 812 3456 7890", "siti.rahma@contoh.id", "Jl. Merpati No. 9"
DESCRIPTION = "Lampu jalan di depan rumah Bu Siti mati sejak seminggu, gelap sekali."
SECRETS = (NAME, PHONE, EMAIL, ADDRESS, DESCRIPTION, "Merpati", "-3.79", "102.26")


def complaint() -> Complaint:
    return Complaint(category="jalan-jembatan", title="Lampu mati di Jl. Merpati", description=DESCRIPTION,
                     regency="17.71", district="17.71.01", address=ADDRESS, lat=-3.7912, lon=102.2634,
                     reporter=Reporter(name=NAME, phone=PHONE, email=EMAIL), attributes={"nik": "1771010101010001"})


@pytest.fixture
def sealer() -> Sealer:
    return Sealer(MemoryDataKeys())


def test_a_submission_is_sealed_and_opens_to_the_same_event(sealer):
    event = submission_event(CASE, complaint(), T0)
    value = sealer.event_bytes(event)
    assert not [s for s in (*SECRETS, "1771010101010001") if s in value.decode()]
    data = orjson.loads(value)
    assert data["case_id"] == CASE and data["type"] == ev.COMPLAINT_SUBMITTED and data["seq"] == 1
    assert data["payload"]["complaint"]["category"] == "jalan-jembatan"  # routing needs no key
    assert data["payload"]["complaint"]["regency"] == "17.71"
    assert sealer.event_from(value) == event


def test_texts_of_events_and_commands_are_sealed(sealer):
    replied = ev.new_event(CASE, 3, ev.CITIZEN_REPLIED, T0, CITIZEN, message=f"Rumah saya di {ADDRESS}",
                           command_id="c-00000001")
    value = sealer.event_bytes(replied)
    assert ADDRESS not in value.decode() and "c-00000001" in value.decode()
    assert sealer.event_from(value) == replied
    command = CitizenReply(command_id="c-00000002", case_id=CASE, issued_at=T0, actor=CITIZEN,
                           message=f"Hubungi {PHONE}")
    sealed = sealer.command_bytes(command)
    assert PHONE not in sealed.decode() and '"type":"citizen_reply"' in sealed.decode()
    assert CitizenReply.model_validate(sealer.open_command(orjson.loads(sealed))) == command


def test_an_event_without_personal_fields_is_left_as_it_is(sealer):
    breach = ev.new_event(CASE, 4, ev.SLA_BREACHED, T0, Actor(role="system", id="sla"), alarm="response/0/2",
                          clock="response")
    assert orjson.loads(sealer.event_bytes(breach))["payload"] == {"alarm": "response/0/2", "clock": "response"}


def test_the_same_record_seals_to_the_same_bytes_and_others_never_share_a_nonce(sealer):
    event = submission_event(CASE, complaint(), T0)
    assert sealer.event_bytes(event) == sealer.event_bytes(event)  # a replayed batch writes what it wrote
    other = submission_event(CASE, complaint().model_copy(update={"description": DESCRIPTION + "!"}), T0)
    nonce = orjson.loads(sealer.event_bytes(event))["payload"]["complaint"]["sealed"]["n"]
    assert nonce != orjson.loads(sealer.event_bytes(other))["payload"]["complaint"]["sealed"]["n"]


def test_a_sealed_part_moved_to_another_record_does_not_open(sealer):
    first = orjson.loads(sealer.event_bytes(ev.new_event(CASE, 3, ev.CASE_REPLIED, T0, CITIZEN, message="a")))
    second = orjson.loads(sealer.event_bytes(ev.new_event(CASE, 4, ev.CASE_REPLIED, T0, CITIZEN, message="b")))
    second["payload"]["sealed"] = first["payload"]["sealed"]
    with pytest.raises(Unreadable):
        sealer.event_from(orjson.dumps(second))
    other_case = {**first, "case_id": "BKL-CCCCC-DDDDD"}
    sealer.keys.key_for("BKL-CCCCC-DDDDD", create=True)
    with pytest.raises(Unreadable):
        sealer.event_from(orjson.dumps(other_case))


def test_a_record_whose_key_is_missing_is_refused(sealer):
    value = sealer.event_bytes(submission_event(CASE, complaint(), T0))
    with pytest.raises(KeyMissing):
        Sealer(MemoryDataKeys()).event_from(value)


def test_an_older_clear_record_opens_as_it_is(sealer):
    event = submission_event(CASE, complaint(), T0)
    assert sealer.event_from(event.model_dump_json().encode()) == event


def test_the_case_state_is_sealed_with_its_timeline_texts(sealer):
    case = apply(None, submission_event(CASE, complaint(), T0))
    case = apply(case, ev.new_event(CASE, 2, ev.CASE_ROUTED, T0, Actor(role="system", id="router"),
                                    agency="PUPR-KOTA"))
    case = apply(case, ev.new_event(CASE, 3, ev.CASE_RESOLVED, T0, Actor(role="officer", id="budi"),
                                    resolution=f"Lampu di {ADDRESS} sudah diganti."))
    state = case.model_dump(mode="json")
    sealed = sealer.seal_state(state)
    text = orjson.dumps(sealed).decode()
    assert not [s for s in SECRETS if s in text]
    assert sealed["status"] == "resolved" and sealed["agency"] == "PUPR-KOTA"
    assert sealer.open_state(sealed) == state


def test_dead_letters_are_sealed_under_their_own_key(sealer):
    record = {"agent": "case_agent", "source_topic": "t", "reason": "message: not JSON", "key": CASE,
              "value_b64": "eyJuYW1lIjoiU2l0aSJ9", "failed_at": "2026-03-02T01:00:00+00:00"}
    sealed = sealer.seal_dead_letter(record)
    assert "value_b64" not in sealed and "key" not in sealed and sealed["reason"] == record["reason"]
    assert sealer.keys.key_for(DEAD_LETTERS) is not None
    assert sealer.open_dead_letter(sealed) == record


def test_two_processes_making_one_cases_key_at_once_use_the_same(tmp_path):
    from aduan.bootstrap import ensure_accounts_schema
    from config.connections import engine_for
    from config.settings import Settings

    settings = Settings(database_url=f"sqlite:///{tmp_path}/accounts.db")
    ensure_accounts_schema(settings)
    stores = [SqlDataKeys(engine_for(settings.database_url)) for _ in range(4)]
    keys, start = [], threading.Barrier(8)

    def make(i: int) -> None:
        start.wait()
        keys.append(stores[i % 4].key_for(CASE, create=True))

    threads = [threading.Thread(target=make, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(keys)) == 1 and len(keys[0]) == 32
    assert SqlDataKeys(engine_for(settings.database_url)).key_for(CASE) == keys[0]
    assert stores[0].key_for("BKL-NONE0-NONE0") is None  # reading makes none


def test_a_command_of_the_tests_seals_too(sealer):
    command = cmd(1, "reply", Actor(role="officer", id="budi", agency="PUPR-KOTA"), message=f"Ke {ADDRESS}")
    assert ADDRESS not in sealer.command_bytes(command).decode()


def test_a_batchs_keys_are_read_ahead_in_one_go(tmp_path):
    """Before a batch the case agent reads its keys at once (off the event loop), so no record of it waits on
    the database by itself."""
    import asyncio

    from aduan.bootstrap import ensure_accounts_schema
    from config.connections import engine_for
    from config.settings import Settings

    settings = Settings(database_url=f"sqlite:///{tmp_path}/accounts.db")
    ensure_accounts_schema(settings)
    engine = engine_for(settings.database_url)
    made = {f"BKL-PRE{i:02d}-AAAAA": SqlDataKeys(engine).key_for(f"BKL-PRE{i:02d}-AAAAA", create=True)
            for i in range(12)}
    reader = Sealer(SqlDataKeys(engine))
    queries = []
    from sqlalchemy import event as sa_event

    sa_event.listen(engine, "before_cursor_execute", lambda *a: queries.append(a[2]))
    asyncio.run(reader.prefetch([*made, "BKL-NOKEY-NOKEY"]))
    assert len([q for q in queries if q.lstrip().upper().startswith("SELECT")]) == 1
    queries.clear()
    assert all(reader.keys.key_for(case_id) == key for case_id, key in made.items())
    assert queries == []  # every one from the cache


def test_a_destroyed_key_is_gone_for_every_store_and_never_made_again(tmp_path):
    from aduan.bootstrap import ensure_accounts_schema
    from config.connections import engine_for
    from config.settings import Settings
    from producers.sealing import KeyErased

    settings = Settings(database_url=f"sqlite:///{tmp_path}/accounts.db")
    ensure_accounts_schema(settings)  # migrations 0007 and 0008: a key may be NULL
    engine = engine_for(settings.database_url)
    here, elsewhere, fresh = SqlDataKeys(engine), SqlDataKeys(engine, ttl_s=0.0), SqlDataKeys(engine)
    key = here.key_for(CASE, create=True)
    assert elsewhere.key_for(CASE) == key
    sealed = Sealer(here).event_bytes(submission_event(CASE, complaint(), T0))

    assert here.erase(CASE) is True
    for store in (here, elsewhere, fresh):  # this process at once; another once its copy expired; a new one
        with pytest.raises(KeyErased):
            store.key_for(CASE)
        with pytest.raises(KeyErased):
            store.key_for(CASE, create=True)
    opened = Sealer(fresh).event_from(sealed).payload["complaint"]
    assert opened["description"] == "[dihapus]" and opened["reporter"] == {} and opened["lat"] is None
    assert not [s for s in SECRETS if s in orjson.dumps(opened).decode()]
    assert here.erase(CASE) is False  # erased before: nothing more to destroy

    never = "BKL-NEVER-NEVER"
    assert fresh.erase(never) is False  # no key yet: none will ever be made
    with pytest.raises(KeyErased):
        here.key_for(never, create=True)
