"""Intake: a complaint from any channel becomes a `complaint.submitted` event on Kafka, its personal fields sealed
(producers/sealing.py)."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import BaseModel

from domain.case import submission_event
from domain.complaint import Complaint
from domain.events import Event
from domain.ids import case_id_for_request, case_id_from_bytes
from producers.kafka import EventProducer
from producers.sealing import Sealer


@dataclass(frozen=True)
class Receipt:
    case_id: str
    event: Event


class Intake:
    def __init__(self, producer: EventProducer, topic: str, case_prefix: str, sealer: Sealer) -> None:
        self._producer = producer
        self._topic = topic
        self._prefix = case_prefix
        self._sealer = sealer

    def case_id_for(self, idempotency_key: str | None) -> str:
        """The id the case will have: the same for the same key (a client's request id, its scope and the
        content's fingerprint), else a new random one."""
        if idempotency_key:
            return case_id_for_request(self._prefix, idempotency_key)
        return case_id_from_bytes(self._prefix, os.urandom(8))

    def claim(self, case_id: str) -> bool:
        """Make the case's data key (a database write: call it off the event loop); False when the case of
        this id had its personal data erased (its submission sent again long after)."""
        return self._sealer.claim(case_id)

    async def submit(self, case_id: str, complaint: Complaint, now: datetime | None = None) -> Receipt:
        """Returns once Kafka confirmed the submission; raises `NotConfirmed` otherwise."""
        receipt = Receipt(case_id, submission_event(case_id, complaint, now or datetime.now(UTC)))
        # The case's data key is made here (a database write: off the event loop).
        value = await asyncio.to_thread(self._sealer.event_bytes, receipt.event)
        await self._producer.send(self._topic, receipt.case_id, value)
        return receipt


class CommandSender:
    """Commands go to `cases.commands`, keyed by case id, for the case agent to decide."""

    def __init__(self, producer: EventProducer, topic: str, sealer: Sealer) -> None:
        self._producer = producer
        self._topic = topic
        self._sealer = sealer

    async def send(self, command: BaseModel) -> None:
        """Returns once Kafka confirmed the command (its texts sealed); raises `NotConfirmed` otherwise."""
        value = await asyncio.to_thread(self._sealer.command_bytes, command)
        await self._producer.send(self._topic, command.case_id, value)
