"""The fix for the recovery stall (fault 4) that Aduan's workers run (stream_processors/faust_adapter.py), for
the workers of these reproductions (`--fix-stall`).

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

from stream_processors.faust_adapter import RewindingConsumer  # the fix as the workers run it


def install(app) -> None:
    """Make `app` create a RewindingConsumer (call before the worker starts)."""
    app.transport.Consumer = RewindingConsumer


__all__ = ["RewindingConsumer", "install"]
