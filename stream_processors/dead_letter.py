"""The dead-letter topic: a message we cannot process, with the reason, so its partition flows on."""

from __future__ import annotations

import base64
import logging
from datetime import UTC, datetime

from producers.kafka import encode
from stream_processors.app import dead_letter_topic

log = logging.getLogger(__name__)


async def send_to_dead_letter(agent: str, source_topic: str, key: bytes | None, value: bytes | None,
                              reason: str) -> None:
    log.warning("dead-lettering a message of %s: %s", source_topic, reason)
    record = {
        "agent": agent,
        "source_topic": source_topic,
        "reason": reason[:2000],
        "key": key.decode(errors="replace") if key else None,
        "value_b64": base64.b64encode(value).decode() if value is not None else None,
        "failed_at": datetime.now(UTC).isoformat(),
    }
    await dead_letter_topic.send(key=key, value=encode(record))
