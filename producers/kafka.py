"""A kafka-python producer that says when Kafka has *confirmed* a write, or that it could not.

acks=all and the idempotent producer: a write is confirmed once every in-sync replica has it, and a
retried batch is never written twice. The API answers 202 only after `send` returns; a failure or
a timeout raises `NotConfirmed`, which the API turns into 503 (DESIGN.md rule 9).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from typing import Any

import orjson
from kafka import KafkaProducer
from kafka.admin import KafkaAdminClient
from kafka.errors import KafkaError


class NotConfirmed(Exception):
    """Kafka did not confirm the write in time, or refused it."""


class Overloaded(NotConfirmed):
    """Too many writes are already waiting for Kafka's confirmation: this one is refused at once, not queued
    (backpressure: when Kafka is slow the API answers 503 quickly instead of piling up requests)."""


class EventProducer:
    def __init__(self, bootstrap: str, confirm_timeout_s: float = 10.0, client_id: str = "aduan-api",
                 max_pending: int | None = None, **extra: Any) -> None:
        self._bootstrap = [b.strip() for b in bootstrap.split(",") if b.strip()]
        self._max_pending = max_pending  # writes waiting for confirmation at once; None: no limit
        self._pending = 0
        self._timeout_ms = int(confirm_timeout_s * 1000)
        self._client_id = client_id
        self._extra = extra
        self._producer: KafkaProducer | None = None
        self._admin: KafkaAdminClient | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings, client_id: str = "aduan-api") -> EventProducer:
        """A producer that reaches Kafka as the settings say (TLS, SASL and CA included)."""
        from config.connections import kafka_options

        options = kafka_options(settings)
        bootstrap = ",".join(options.pop("bootstrap_servers"))
        return cls(bootstrap, settings.kafka_confirm_timeout_s, client_id=client_id,
                   max_pending=settings.max_pending_submissions, **options)

    def _client(self) -> KafkaProducer:
        # Made on first use so the API starts (and /readyz can say why it is not ready) while Kafka
        # is down; kafka-python's constructor talks to the cluster.
        with self._lock:
            if self._producer is None:
                try:
                    self._producer = KafkaProducer(
                        bootstrap_servers=self._bootstrap,
                        client_id=self._client_id,
                        acks="all",
                        enable_idempotence=True,
                        linger_ms=5,
                        compression_type=None,
                        max_block_ms=self._timeout_ms,
                        # kafka-python wants delivery >= linger + request timeouts.
                        request_timeout_ms=max(1000, self._timeout_ms // 2),
                        delivery_timeout_ms=max(1000, self._timeout_ms // 2) + 100,
                        bootstrap_timeout_ms=self._timeout_ms,
                        **self._extra,
                    )
                except KafkaError as exc:
                    raise NotConfirmed(f"Kafka is not reachable at {','.join(self._bootstrap)}: {exc}") from exc
            return self._producer

    def send_sync(self, topic: str, key: str, value: bytes) -> Any:
        """Send and wait for the confirmation; returns kafka-python's RecordMetadata."""
        try:
            future = self._client().send(topic, key=key.encode(), value=value)
            return future.get(timeout=self._timeout_ms / 1000 + 1)
        except KafkaError as exc:
            raise NotConfirmed(f"Kafka did not confirm the write to {topic}: {exc}") from exc

    async def send(self, topic: str, key: str, value: bytes) -> Any:
        """The same, without holding the event loop while kafka-python works on its own thread. Past
        `max_pending` writes waiting at once, raises `Overloaded` at once."""
        if self._max_pending is not None and self._pending >= self._max_pending:
            raise Overloaded(f"{self._pending} writes are already waiting for Kafka")
        self._pending += 1
        try:
            return await self._send(topic, key, value)
        finally:
            self._pending -= 1

    async def _send(self, topic: str, key: str, value: bytes) -> Any:
        loop = asyncio.get_running_loop()
        confirmed: asyncio.Future[Any] = loop.create_future()

        def _settle(result: Any = None, error: BaseException | None = None) -> None:
            if confirmed.done():
                return
            if error is not None:
                confirmed.set_exception(error)
            else:
                confirmed.set_result(result)

        client = await asyncio.to_thread(self._client)
        try:
            # send() itself may block up to max_block_ms waiting for metadata, so it runs in a thread.
            future = await asyncio.to_thread(lambda: client.send(topic, key=key.encode(), value=value))
        except KafkaError as exc:
            self._discard(client)
            raise NotConfirmed(f"Kafka did not accept the write to {topic}: {exc}") from exc
        future.add_callback(lambda md: loop.call_soon_threadsafe(_settle, md))
        future.add_errback(lambda exc: loop.call_soon_threadsafe(_settle, None, exc))
        try:
            return await asyncio.wait_for(confirmed, timeout=self._timeout_ms / 1000 + 1)
        except (KafkaError, TimeoutError) as exc:
            self._discard(client)
            raise NotConfirmed(f"Kafka did not confirm the write to {topic} in time: {exc!r}") from exc

    def _discard(self, client: KafkaProducer) -> None:
        """Drop a producer whose writes expired: after a broker stalled, kafka-python's idempotent producer
        can stay stuck on the batches it gave up on, refusing every later write. The next write makes a new
        one (a new producer id). What the old one still held was answered 503; if it reaches Kafka later all
        the same, the case agent takes the same submission twice as one (same case id)."""
        with self._lock:
            if self._producer is not client:
                return  # another caller replaced it already
            self._producer = None
        threading.Thread(target=_close_quietly, args=(client, 0), daemon=True).start()

    def topic_exists(self, topic: str) -> bool:
        """A fresh metadata round trip to the cluster (the producer's own metadata may be cached),
        for /readyz. Blocking: call it from a thread."""
        with self._lock:
            if self._admin is None:
                self._admin = KafkaAdminClient(bootstrap_servers=self._bootstrap, client_id=f"{self._client_id}-ping",
                                               request_timeout_ms=self._timeout_ms, **self._extra)
            admin = self._admin
        try:
            described = admin.describe_topics([topic])
            return bool(described) and all(d["error_code"] == 0 for d in described)
        except KafkaError as exc:
            with self._lock:
                self._admin = None
            admin.close()
            raise NotConfirmed(f"Kafka did not answer: {exc!r}") from exc

    def flush(self, timeout_s: float = 10.0) -> None:
        if self._producer is not None:
            self._producer.flush(timeout=timeout_s)

    def close(self, timeout_s: float = 5.0) -> None:
        with self._lock:
            if self._producer is not None:
                _close_quietly(self._producer, timeout_s)
                self._producer = None
            if self._admin is not None:
                self._admin.close()
                self._admin = None


def _close_quietly(producer: KafkaProducer, timeout_s: float) -> None:
    """Close, giving up on what Kafka has not confirmed by then (it was answered 503 already)."""
    with contextlib.suppress(KafkaError):
        producer.close(timeout=timeout_s)


# Datetimes and dataclasses go to `default=str`, as with the json module; keys may be numbers, as there.
_ORJSON_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def encode(model_or_dict: Any) -> bytes:
    """One JSON encoding for every message we write: a model by pydantic's own serializer; anything else by
    orjson, compact and in UTF-8 (the json module's output, but with non-ASCII characters as themselves).
    What orjson refuses (integers past 64 bits, unpaired surrogates) is written by the json module as before."""
    if hasattr(model_or_dict, "model_dump_json"):
        return model_or_dict.model_dump_json().encode()
    try:
        return orjson.dumps(model_or_dict, default=str, option=_ORJSON_OPTIONS)
    except orjson.JSONEncodeError:
        return json.dumps(model_or_dict, separators=(",", ":"), default=str).encode()
