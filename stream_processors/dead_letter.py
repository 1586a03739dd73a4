"""The dead-letter topic: a message we cannot process, with the reason, so its partition flows on."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

from pydantic import ValidationError

from config.logs import get_logger
from producers.kafka import encode
from stream_processors.app import dead_letter_topic

log = get_logger(__name__)


def reason_of(exc: Exception) -> str:
    """Why a message failed, without the values it carried: a validation error's input may be a
    citizen's phone number or e-mail, and reasons go to the logs (the raw message stays in the topic)."""
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'message'}: {e['msg']}" for e in exc.errors())
    return str(exc)


async def send_to_dead_letter(agent: str, source_topic: str, key: bytes | None, value: bytes | None,
                              reason: str) -> None:
    from stream_processors.metrics import DEAD_LETTERS

    DEAD_LETTERS.labels(agent).inc()
    log.warning("dead_letter", agent=agent, topic=source_topic, case_id=key.decode(errors="replace") if key else None,
                reason=reason[:500])
    record = {
        "agent": agent,
        "source_topic": source_topic,
        "reason": reason[:2000],
        "key": key.decode(errors="replace") if key else None,
        "value_b64": base64.b64encode(value).decode() if value is not None else None,
        "failed_at": datetime.now(UTC).isoformat(),
    }
    await dead_letter_topic.send(key=key, value=encode(record))
