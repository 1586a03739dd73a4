"""Everything Aduan asks of faust-streaming beyond its public API, in one place.

- `RewindingConsumer`, a subclass of faust's aiokafka `Consumer`, reads again what it took from the Kafka
  client and did not hand out (the cause of the table recovery stall, fault 4 of the README's "Known
  faust-streaming faults", reproduced by `python -m tests.faust_faults.recovery_stall`);
- `GuardedConsumer`, a subclass of that, keeps the agents' input partitions in offset order and never commits
  a record that was handed back unprocessed (faults 1 and 2; the rules are in `consumer_guard`);
- `AduanApp`, a `faust.App` whose transport makes that consumer, so nothing of faust is patched: another
  faust app in the same process keeps faust's own consumer;
- `check_faust_internals`, run when a worker is built: the private attributes these rely on must exist,
  or the worker refuses to start with an error naming the faust version (an upgrade of faust that renamed
  them would otherwise turn the guard off without a word);
- `current_event_of`, which makes a record of a batch faust's "current event", so a table read or write
  goes to that record's partition (faust picks a table's changelog partition, and the RocksDB partition
  store, from the current event).

The rules the guard applies are pure and live in `consumer_guard` (unit-tested without faust).
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import faust
import faust.streams
from aiokafka.consumer.subscription_state import Assignment, TopicPartitionState
from faust.transport.consumer import Consumer as BaseConsumer
from faust.transport.consumer import ThreadDelegateConsumer
from faust.transport.drivers import aiokafka as aiokafka_driver
from faust.types.tuples import ack_lock
from mode.threads import QueueServiceThread
from mode.utils.futures import notify

from stream_processors.consumer_guard import ContiguousOffsets

log = logging.getLogger(__name__)

# The private parts of faust used here and by the worker's watches (consumer_guard.FetchWatch, watchdog,
# metrics): (owner, attribute). Instance attributes of the consumer are checked on a built consumer.
_CLASS_ATTRIBUTES = [
    (BaseConsumer, "getmany"), (BaseConsumer, "perform_seek"), (BaseConsumer, "seek"),
    (BaseConsumer, "on_partitions_revoked"), (BaseConsumer, "ack"), (ThreadDelegateConsumer, "seek_wait"),
    (aiokafka_driver.Transport, "Consumer"), (faust.App, "_new_transport"), (faust.streams, "_current_event"),
    (ThreadDelegateConsumer, "_getmany"), (QueueServiceThread, "call_thread"),
    (aiokafka_driver.AIOKafkaConsumerThread, "_ensure_consumer"), (Assignment, "state_value"),
    (TopicPartitionState, "has_valid_position"), (TopicPartitionState, "position"),
]
_CONSUMER_ATTRIBUTES = ["_active_partitions", "_buffered_partitions", "_paused_partitions", "_unacked_messages",
                        "_waiting_for_ack", "_read_offset", "_committed_offset", "_thread", "should_stop"]


class FaustIncompatible(RuntimeError):
    """The installed faust-streaming lacks something this adapter relies on."""


def _defines(owner, name: str) -> bool:
    """A class must define `name` itself (an abstract declaration in a base class does not count); a module
    must have it."""
    return name in vars(owner) if isinstance(owner, type) else hasattr(owner, name)


def check_faust_internals(consumer=None) -> None:
    """Raise FaustIncompatible naming the faust version and what is missing."""
    missing = [f"{getattr(owner, '__name__', owner)}.{name}" for owner, name in _CLASS_ATTRIBUTES
               if not _defines(owner, name)]
    if consumer is not None:
        missing += [f"Consumer.{name}" for name in _CONSUMER_ATTRIBUTES if not hasattr(consumer, name)]
    if missing:
        raise FaustIncompatible(
            f"faust-streaming {faust.__version__} lacks {', '.join(missing)}, which Aduan's consumer guard "
            "relies on (stream_processors/faust_adapter.py, written for 0.15): pin faust-streaming to the "
            "version in pyproject.toml, or adapt the guard to this one")


class RewindingConsumer(aiokafka_driver.Consumer):
    """faust's aiokafka consumer, reading again what it took from the Kafka client and did not hand out.

    faust hands the client's thread its live `_active_partitions` set; a fetch started before a rebalance
    waits there while the rebalance empties the set, and aiokafka reads an empty set as "every partition": the
    fetch returns (and moves the client past) the records of the changelog partitions recovery has just sought,
    faust drops them (the flow is stopped) and `perform_seek` never seeks changelogs, so recovery waits for
    records already consumed. Here the thread gets a snapshot, nothing is fetched for an empty one, and a
    partition whose records were taken and not handed out is sought back to the first of them, if the client
    still stands where that batch left it (a seek made since, by recovery or `perform_seek`, wins)."""

    _not_handed: dict

    async def _getmany(self, active_partitions, timeout):
        self._not_handed = {}
        if active_partitions is not None:
            active_partitions = set(active_partitions)  # a snapshot: faust edits its set while the thread waits
            if not active_partitions:
                await self.sleep(min(timeout, 1.0))
                return {}
        records = await super()._getmany(active_partitions, timeout)
        self._not_handed = {tp: [recs[0].offset, recs[-1].offset] for tp, recs in (records or {}).items() if recs}
        return records

    async def getmany(self, timeout: float):
        self._not_handed = {}
        try:
            async for tp, message in super().getmany(timeout):
                span = self._not_handed.get(tp)
                if span is not None:
                    span[0] = message.offset + 1
                yield tp, message
        finally:
            left = {tp: (first, last) for tp, (first, last) in self._not_handed.items() if first <= last}
            self._not_handed = {}
            if left and not self.should_stop:
                await self._thread.call_thread(self._rewind, left)

    async def _rewind(self, left: dict) -> None:
        """In the Kafka client's thread: back to the first record not handed out, where the client still stands
        right after that batch."""
        client = self._thread._ensure_consumer()
        assignment = client._fetcher._subscriptions.subscription.assignment
        for tp, (first, last) in left.items():
            try:
                state = assignment.state_value(tp)
            except Exception:  # noqa: BLE001, S112 - no longer assigned
                continue
            if state is not None and state.has_valid_position and state.position == last + 1:
                log.warning("%s[%d]: offsets %d..%d were taken from the Kafka client and not handed out: "
                            "reading them again", tp.topic, tp.partition, first, last)
                client.seek(tp, first)


class GuardedConsumer(RewindingConsumer):
    """faust's aiokafka consumer, rewinding (above) and guarding the partitions of `app.guarded_topics` (see
    consumer_guard)."""

    guard: ContiguousOffsets

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.guard = ContiguousOffsets(frozenset(getattr(self.app, "guarded_topics", ())))
        check_faust_internals(self)

    def ack(self, message) -> bool:
        app = self.app
        if not self.guard.guards(message.tp) or (
                app.flow_control.is_active() and message.generation_id == app.consumer_generation_id):
            return super().ack(message)
        # Handed back unprocessed around a rebalance (or processed just before it): done with, as far as the
        # waits for streams to finish go, but not recorded as safe to commit.
        with ack_lock:
            if message.acked:
                return False
            message.acked = True
            self._unacked_messages.discard(message)
            notify(self._waiting_for_ack)
        return False

    async def getmany(self, timeout: float):
        rewound: set = set()
        async for tp, message in super().getmany(timeout):
            if tp in rewound:
                continue  # the rest of a stale batch: fetched again after the seek
            back_to = self.guard.admit(tp, message.offset)
            if back_to is None:
                yield tp, message
                continue
            rewound.add(tp)
            log.warning("%s[%d] jumped from offset %d to %d: reading it again from %d", tp.topic, tp.partition,
                        back_to, message.offset, back_to)
            try:
                # On the Kafka client's own thread, as faust's recovery seeks (seek_wait also sets the read
                # offset faust checks records against).
                await self.seek_wait({tp: back_to})
                self.guard.seeked(tp, back_to)
            except Exception as exc:  # noqa: BLE001 - the partition moved away meanwhile: its next owner seeks
                log.warning("could not seek %s[%d] back to %d: %r", tp.topic, tp.partition, back_to, exc)

    async def perform_seek(self) -> None:
        await super().perform_seek()
        for tp, offset in list(self._read_offset.items()):
            self.guard.seeked(tp, offset)

    async def seek(self, partition, offset: int) -> None:
        await super().seek(partition, offset)
        self.guard.seeked(partition, offset)

    async def on_partitions_revoked(self, revoked) -> None:
        self.guard.forget(revoked)
        await super().on_partitions_revoked(revoked)

    def next_offsets(self) -> dict:
        """The next offset the guard expects to hand on, per guarded partition it knows."""
        return {tp: n for tp, n in self.guard.expected.items() if n is not None}


class GuardedTransport(aiokafka_driver.Transport):
    Consumer = GuardedConsumer


class AduanApp(faust.App):
    """A faust app whose consumer is the GuardedConsumer for `guarded_topics`."""

    def __init__(self, *args, guarded_topics: Iterable[str] = (), **kwargs) -> None:
        self.guarded_topics = frozenset(guarded_topics)
        super().__init__(*args, **kwargs)

    def _new_transport(self):
        url = self.conf.broker_consumer[0]
        if url.scheme not in ("kafka", "aiokafka"):
            raise ValueError(f"Aduan's worker speaks Kafka only, not {url.scheme}://")
        return GuardedTransport(self.conf.broker_consumer, self)


@contextmanager
def current_event_of(event) -> Iterator[None]:
    """Within the block, `event` is faust's current event (table reads and writes go to its partition)."""
    token = faust.streams._current_event.set(weakref.ref(event))
    try:
        yield
    finally:
        faust.streams._current_event.reset(token)
