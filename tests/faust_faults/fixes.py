"""A reference fix for the recovery stall (fault 4), for the workers of these reproductions (`--fix-stall`).

The cause (see README.md here): faust hands the Kafka client thread its live `Consumer._active_partitions` set
(`Consumer._wait_next_records` -> `ThreadDelegateConsumer._getmany` -> `AIOKafkaConsumerThread._fetch_records`
-> aiokafka `Fetcher.fetched_records(partitions)`). A fetch started before a rebalance waits in that thread for
the new assignment and then for records (up to its 1 s timeout); meanwhile the rebalance empties the set
(`pause_partitions(assigned)`), and aiokafka reads an empty `partitions` as "every partition"
(`if partitions and tp not in partitions`). So the call returns the records of every assigned partition,
changelogs included, that arrived after `Recovery._seek_offsets` sought them, and the client's positions move to
the end. Back in `Consumer.getmany` the flow is still stopped (recovery has not resumed it), so faust drops the
batch and calls `perform_seek()`, which seeks only partitions with a committed offset: not changelogs. Recovery
then resumes the changelog partitions at their end and waits for records that were already consumed.

The fix, in a `Consumer` subclass:
- `_getmany` passes the Kafka client a snapshot of the active partitions and fetches nothing when it is empty;
- `getmany` notes, per partition, the records of the batch it did not hand out (dropped because the flow
  stopped, the generation changed, or the partition left the active set) and seeks the partition back to the
  first of them, in the client's thread, if the client still stands where that batch left it (a seek made since,
  by recovery or `perform_seek`, wins).

faust private names it relies on: `Consumer.getmany`, `ThreadDelegateConsumer._getmany`, `Consumer._thread`
(`AIOKafkaConsumerThread`: `call_thread`, `_ensure_consumer()`), `Consumer.should_stop`; aiokafka's
`AIOKafkaConsumer._fetcher._subscriptions.subscription.assignment.state_value(tp).position` and its public
`seek(tp, offset)`.
"""

from __future__ import annotations

import logging

from faust.transport.drivers.aiokafka import Consumer

log = logging.getLogger(__name__)


class RewindingConsumer(Consumer):
    """faust's aiokafka consumer, re-reading what it took from the Kafka client and did not hand out."""

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

    async def getmany(self, timeout):
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
        """In the Kafka client's thread: seek back to the first record not handed out, where the client still
        stands right after this batch."""
        client = self._thread._ensure_consumer()
        assignment = client._fetcher._subscriptions.subscription.assignment
        for tp, (first, last) in left.items():
            try:
                state = assignment.state_value(tp)
            except Exception:  # noqa: BLE001 - no longer assigned
                continue
            if state is not None and state.has_valid_position and state.position == last + 1:
                log.warning("%s[%d]: offsets %d..%d were taken from the Kafka client and not handed out: "
                            "reading them again", tp.topic, tp.partition, first, last)
                client.seek(tp, first)


def install(app) -> None:
    """Make `app` create a RewindingConsumer (call before the worker starts)."""
    app.transport.Consumer = RewindingConsumer
