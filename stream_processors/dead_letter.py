"""The dead-letter topic: a message we cannot process, with the reason, so its partition flows on."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

from pydantic import ValidationError

from config.logs import get_logger
from producers.kafka import encode

log = get_logger(__name__)


def reason_of(exc: Exception) -> str:
    """Why a message failed, without the values it carried: a validation error's input may be a
    citizen's phone number or e-mail, and reasons go to the logs (the raw message stays in the topic)."""
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'message'}: {e['msg']}" for e in exc.errors())
    return str(exc)


def dead_letter_record(agent: str, source_topic: str, key: bytes | None, value: bytes | None, reason: str) -> dict:
    return {
        "agent": agent,
        "source_topic": source_topic,
        "reason": reason[:2000],
        "key": key.decode(errors="replace") if key else None,
        "value_b64": base64.b64encode(value).decode() if value is not None else None,
        "failed_at": datetime.now(UTC).isoformat(),
    }


class DeadLetters:
    """Sends to the dead-letter topic (a faust topic, or anything with an async `send(key=, value=)`)."""

    def __init__(self, topic, metrics, sealer) -> None:
        self.topic, self.metrics, self.sealer = topic, metrics, sealer

    async def send(self, agent: str, source_topic: str, key: bytes | None, value: bytes | None, reason: str):
        """Hands the record to the producer; returns what the topic's send returns (a future of the ack)."""
        self.metrics.dead_letters.labels(agent).inc()
        log.warning("dead_letter", agent=agent, topic=source_topic,
                    case_id=key.decode(errors="replace") if key else None, reason=reason[:500])
        # The message and its key sealed (they may hold what a citizen wrote): producers/sealing.py.
        record = self.sealer.seal_dead_letter(dead_letter_record(agent, source_topic, key, value, reason))
        return await self.topic.send(key=key, value=encode(record))
