"""The case agent's work without faust (stream_processors.case_processor.CaseProcessor): a batch decided in
order, its events sent before any state is stored, and stored only once Kafka acknowledged them; bad
messages dead-lettered; the deadline index kept beside the state."""

from __future__ import annotations

import asyncio
import json
from contextlib import contextmanager

import pytest

from config.jurisdiction_file import load_jurisdiction
from config.settings import DEFAULT_JURISDICTION
from domain import events as ev
from domain.case import submission_event
from domain.complaint import Complaint
from domain.events import Event
from producers.kafka import encode
from producers.sealing import MemoryDataKeys, Sealer
from stream_processors.case_processor import CaseProcessor, Record
from stream_processors.metrics import WorkerMetrics
from stream_processors.sla_timer import AlarmIndex
from tests.unit.test_lifecycle import OFFICER, T0, cmd

pytestmark = pytest.mark.unit

J = load_jurisdiction(DEFAULT_JURISDICTION)
SEALER = Sealer(MemoryDataKeys())
SUBMISSIONS, COMMANDS = "t.submissions", "t.commands"
CASE_ID = "BKL-AAAAA-BBBBB"  # the case of tests.unit.test_lifecycle.cmd
OTHER = "BKL-CCCCC-DDDDD"


class Producer:
    """Records what is sent; each send's acknowledgement is a future the test resolves (or fails)."""

    def __init__(self) -> None:
        self.sent: list[tuple[bytes, bytes]] = []
        self.acks: list[asyncio.Future] = []

    async def send(self, key: bytes, value: bytes) -> asyncio.Future:
        self.sent.append((key, value))
        ack = asyncio.get_running_loop().create_future()
        self.acks.append(ack)
        return ack

    def acknowledge_all(self) -> None:
        for ack in self.acks:
            if not ack.done():
                ack.set_result(None)

    def events(self) -> list[Event]:
        return [SEALER.event_from(v) for _, v in self.sent]


class DeadLetters:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes | None, str]] = []

    async def send(self, agent, source_topic, key, value, reason):
        self.sent.append((source_topic, key, reason))
        future = asyncio.get_running_loop().create_future()
        future.set_result(None)
        return future


def submission(case_id: str) -> Record:
    complaint = Complaint(category="jalan-jembatan", description="Jalan berlubang besar di depan pasar",
                          regency="17.71", district="17.71.01")
    return Record(SUBMISSIONS, case_id.encode(), encode(submission_event(case_id, complaint, T0)))


def command(n: int, type_: str, **fields) -> Record:
    return Record(COMMANDS, CASE_ID.encode(), json.dumps(cmd(n, type_, OFFICER, **fields).model_dump(mode="json"))
                  .encode())


def processor(contexts: list | None = None):
    store: dict = {}
    producer, dead = Producer(), DeadLetters()
    alarms = AlarmIndex({}, J)

    @contextmanager
    def context(record):
        if contexts is not None:
            contexts.append(record.key)
        yield

    p = CaseProcessor(J, SUBMISSIONS, store, alarms, producer.send, dead, WorkerMetrics(), SEALER, context=context)
    return p, store, producer, dead, alarms


async def test_a_batch_is_decided_in_order_and_stored_only_after_its_events_are_acknowledged():
    p, store, producer, dead, alarms = processor()
    batch = [submission(CASE_ID), submission(OTHER), command(1, "acknowledge")]
    task = asyncio.create_task(p.process(batch))
    await asyncio.sleep(0.05)
    assert producer.sent and not task.done()
    assert store == {} and alarms.table == {}, "state stored before Kafka acknowledged the events"
    producer.acknowledge_all()
    await asyncio.wait_for(task, 5)
    mine = [e for e in producer.events() if e.case_id == CASE_ID]
    # The command saw the case the submission opened in the same batch: one unbroken run of seqs.
    assert [e.seq for e in mine] == list(range(1, len(mine) + 1))
    assert mine[0].type == ev.COMPLAINT_SUBMITTED and mine[-1].type == ev.CASE_ACKNOWLEDGED
    assert store[CASE_ID]["seq"] == mine[-1].seq and store[CASE_ID]["status"] == "in_progress"
    assert store[OTHER]["seq"] == 2
    assert set(alarms.table) == {CASE_ID, OTHER} and not dead.sent


async def test_nothing_is_stored_when_an_acknowledgement_fails():
    p, store, producer, _, _ = processor()
    task = asyncio.create_task(p.process([submission(CASE_ID)]))
    await asyncio.sleep(0.05)
    producer.acks[-1].set_exception(RuntimeError("broker gone"))
    producer.acknowledge_all()
    with pytest.raises(RuntimeError):
        await asyncio.wait_for(task, 5)
    assert store == {}  # the batch is read again and decided again, to the same events


async def test_the_same_batch_again_decides_nothing_new():
    p, store, producer, _, _ = processor()
    batch = [submission(CASE_ID), command(1, "acknowledge")]
    first = asyncio.create_task(p.process(batch))
    await asyncio.sleep(0.01)
    producer.acknowledge_all()
    await first
    sent = len(producer.sent)
    again = asyncio.create_task(p.process(batch))  # a replay after a crash past the table writes
    await asyncio.sleep(0.01)
    producer.acknowledge_all()
    await again
    assert len(producer.sent) == sent


async def test_bad_messages_go_to_the_dead_letters_and_the_rest_of_the_batch_flows_on():
    p, store, producer, dead, _ = processor()
    wrong_key = Record(SUBMISSIONS, OTHER.encode(), submission(CASE_ID).value)
    batch = [Record(COMMANDS, b"x", b"not json"), wrong_key, Record(SUBMISSIONS, None, None), submission(OTHER)]
    task = asyncio.create_task(p.process(batch))
    await asyncio.sleep(0.01)
    producer.acknowledge_all()
    await task
    assert len(dead.sent) == 3 and "is not the case id" in dead.sent[1][2]
    assert set(store) == {OTHER}


async def test_every_table_read_and_write_happens_in_the_context_of_its_own_record():
    contexts: list = []
    p, store, producer, _, _ = processor(contexts)
    task = asyncio.create_task(p.process([submission(CASE_ID), submission(OTHER)]))
    await asyncio.sleep(0.01)
    producer.acknowledge_all()
    await task
    # Reads while deciding, then the writes of each case under its own message (so its partition).
    assert contexts[-2:] == [CASE_ID.encode(), OTHER.encode()]
    assert set(contexts) == {CASE_ID.encode(), OTHER.encode()}


async def test_without_an_sla_timer_in_the_process_the_index_keeps_no_heap():
    """A cases worker started with --no-sla-timer writes the deadline table only: a heap nobody pops would
    grow with every change of every case."""
    p, store, producer, _, _ = processor()
    p.alarms = AlarmIndex({}, J, keep_heap=False)
    task = asyncio.create_task(p.process([submission(CASE_ID), submission(OTHER)]))
    await asyncio.sleep(0.01)
    producer.acknowledge_all()
    await task
    assert set(p.alarms.table) == {CASE_ID, OTHER} and p.alarms.heap == []


async def test_a_record_whose_data_key_is_missing_stops_the_batch_and_is_never_dead_lettered():
    """The key store is wrong (another database, a restore older than the log): the batch is read again once
    it is right, instead of an accepted case thrown away."""
    from producers.sealing import KeyMissing

    p, store, producer, dead, _ = processor()
    unknown = "BKL-KEYLS-MISNG"  # a case whose key this processor's key store does not hold
    sealed = Sealer(MemoryDataKeys()).event_bytes(submission_event(unknown, Complaint(
        category="jalan-jembatan", description="Jalan berlubang besar di depan pasar", regency="17.71",
        district="17.71.01"), T0))
    with pytest.raises(KeyMissing):
        await asyncio.wait_for(p.process([Record(SUBMISSIONS, unknown.encode(), sealed)]), 5)
    assert store == {} and not dead.sent and not producer.sent


@pytest.mark.parametrize("value", [
    b'{"payload":{"sealed":{}}}', b'{"case_id":"BKL-AAAAA-BBBBB","payload":{"sealed":7}}',
    b'{"case_id":"BKL-AAAAA-BBBBB","payload":{"complaint":{"sealed":{"n":1}}}}'])
async def test_a_malformed_sealed_part_is_dead_lettered_not_a_crash(value):
    p, store, producer, dead, _ = processor()
    p.process_task = asyncio.create_task(p.process([Record(SUBMISSIONS, CASE_ID.encode(), value),
                                                    submission(OTHER)]))
    await asyncio.sleep(0.05)
    producer.acknowledge_all()
    await asyncio.wait_for(p.process_task, 5)
    assert [topic for topic, _, _ in dead.sent] == [SUBMISSIONS] and OTHER in store
