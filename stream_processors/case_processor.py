"""The case agent's work, as a plain object: decide each message of a batch in order, send the events, await
their acknowledgements once, then store the cases' state and their next alarms.

It knows nothing of faust. It is given:
- `store`: a mapping case id -> the case state as JSON (faust's `cases` table in the worker, a dict in tests);
- `alarms`: the deadline index (`sla_timer.AlarmIndex`);
- `send_event(key, value)`: hands an event to the producer of `cases.events` and returns an awaitable of its
  acknowledgement (faust's `topic.send`); `dead_letters`: the same for the dead-letter topic;
- `context(record)`: a context manager within which the table reads and writes for `record` happen
  (in the worker: the record made faust's current event, so that they go to its partition).

"State only after Kafka acknowledged its events": the table's changelog and the events go to different
partitions, and a worker killed between their deliveries could otherwise keep the state and lose its events
for good (a replay finds the state and decides nothing new). A crash before the table writes replays the
batch, which decides the same events again (same seq, same id); consumers skip what they have. Within a batch
a case decided twice sees its own new state (`pending`), never the stored one, so its seq never forks.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import TypeAdapter, ValidationError

from domain import events as ev
from domain.case import Case, apply
from domain.commands import Command
from domain.events import Event
from domain.jurisdiction import Jurisdiction
from domain.lifecycle import ConflictingSubmission, UnknownCase, decide, decide_submission
from domain.sla import decide_sla
from producers.sealing import Sealer
from stream_processors.dead_letter import reason_of
from stream_processors.sla_timer import SlaDue

AGENT = "case_agent"
_command = TypeAdapter(Command)
# Bad messages, dead-lettered (a sealed part that does not open, Unreadable, among them). A missing data key
# (producers.sealing.KeyMissing) is not one: it propagates, and the batch is read again once the key store is
# right, as after a failed acknowledgement.
REJECTED = (ValueError, ValidationError, ConflictingSubmission, UnknownCase)


@dataclass(frozen=True)
class Record:
    """One message of the case agent's input topics; `handle` is what `context` needs (faust's event)."""

    topic: str
    key: bytes | None
    value: bytes | None
    handle: Any = None


class CaseProcessor:
    def __init__(self, jurisdiction: Jurisdiction, submissions_topic: str, store, alarms,
                 send_event: Callable[[bytes, bytes], Awaitable[Awaitable]], dead_letters, metrics, sealer: Sealer,
                 context: Callable[[Record], AbstractContextManager] = lambda record: nullcontext()) -> None:
        self.jurisdiction, self.submissions_topic = jurisdiction, submissions_topic
        self.store, self.alarms, self.send_event = store, alarms, send_event
        self.dead_letters, self.metrics, self.context = dead_letters, metrics, context
        self.sealer = sealer  # personal fields are sealed in the events, the commands and the table

    def stored(self, case_id: str) -> Case | None:
        state = self.store.get(case_id)
        return Case.model_validate(self.sealer.open_state(state)) if state else None

    def decide(self, record: Record, case_of: Callable[[str], Case | None]) -> tuple[str, list[Event]]:
        """Parse one message and decide: (case id, new events). Raises one of REJECTED for a bad message."""
        value, key = record.value, record.key
        if value is None:
            raise ValueError("empty message")
        if record.topic == self.submissions_topic:
            submitted = self.sealer.event_from(value)
            if submitted.type != ev.COMPLAINT_SUBMITTED or submitted.seq != 1:
                raise ValueError(f"expected a {ev.COMPLAINT_SUBMITTED} event with seq 1, got {submitted.type}")
            case_id = submitted.case_id
            self._check_key(key, case_id)
            new = decide_submission(case_of(case_id), submitted, self.jurisdiction, datetime.now(UTC))
        else:
            data = json.loads(value)
            if isinstance(data, dict) and data.get("type") == "sla.due":
                due = SlaDue.model_validate(data)
                case_id = due.case_id
                self._check_key(key, case_id)
                case = case_of(case_id)
                if case is None:
                    raise UnknownCase(f"no case {case_id}")
                # Decided at the times the messages carry, never the agent's clock, so that a message
                # replayed after a crash decides exactly the same events again.
                new = decide_sla(case, self.jurisdiction, datetime.fromtimestamp(due.at, UTC))
            else:
                command = _command.validate_python(self.sealer.open_command(data))
                case_id = command.case_id
                self._check_key(key, case_id)
                new = decide(case_of(case_id), command, self.jurisdiction, command.issued_at)
        return case_id, new

    @staticmethod
    def _check_key(key: bytes | None, case_id: str) -> None:
        # The key places the message, and so the case's table entries, in the case's partition.
        if key is None or key.decode(errors="replace") != case_id:
            raise ValueError(f"message key {key!r} is not the case id {case_id!r}")

    async def process(self, records: Iterable[Record]) -> None:
        records = list(records)
        # The batch's data keys in one read, off the event loop: no record waits on the database by itself.
        await self.sealer.prefetch({r.key.decode(errors="replace") for r in records if r.key})
        pending: dict[str, tuple[Case, Record]] = {}  # decided in this batch, not stored yet
        read: dict[str, Case | None] = {}  # stored states read in this batch (unchanged until the batch stores)
        unchanged: dict[str, tuple[Case, Record]] = {}  # decided nothing new: their alarm indexed again
        acks: list[Awaitable] = []
        decided: list[Event] = []
        for record in records:
            def case_of(case_id: str, record: Record = record) -> Case | None:
                if case_id in pending:
                    return pending[case_id][0]
                if case_id not in read:
                    with self.context(record):
                        read[case_id] = self.stored(case_id)
                return read[case_id]

            try:
                case_id, new_events = self.decide(record, case_of)
            except REJECTED as exc:
                self.metrics.events_failed.labels(AGENT).inc()
                acks.append(await self.dead_letters.send(AGENT, record.topic, record.key, record.value,
                                                         reason_of(exc)))
                continue
            self.metrics.events_processed.labels(AGENT).inc()
            case = case_of(case_id)
            if not new_events:
                if case is not None and case_id not in pending:
                    # A replay after a crash between the two table writes finds the case stored but maybe
                    # not its next alarm: index it again, or its clocks would never fire.
                    unchanged[case_id] = (case, record)
                continue
            for event in new_events:
                case = apply(case, event)
                acks.append(await self.send_event(case_id.encode(), self.sealer.event_bytes(event)))
            pending[case_id] = (case, record)
            unchanged.pop(case_id, None)
            decided.extend(new_events)
        for ack in acks:
            await ack
        for case_id, (case, record) in pending.items():
            with self.context(record):
                self.store[case_id] = self.sealer.seal_state(case.model_dump(mode="json"))
                self.alarms.index_next_alarm(case)
        for case, record in unchanged.values():
            with self.context(record):
                self.alarms.index_next_alarm(case)
        self.metrics.count_sla_events(decided)
