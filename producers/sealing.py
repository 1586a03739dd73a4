"""Personal fields sealed on their way into Kafka, opened on their way out (UU PDP; README, "Personal data").

Every record that carries what a citizen wrote or who they are is written with those fields encrypted under
the case's own data key (AES-256-GCM), kept in a key store (`DataKeys`: the accounts database here, a KMS
behind the same two methods elsewhere). The rest of each record stays in clear, so routing, ordering,
deduplication and the SLA clocks work without a key: ids, types, sequence numbers, times, agencies, states.

Sealed, per record kind:
- events (`cases.events`, `complaints.submitted`): the complaint's reporter, address, coordinates, title,
  description, attributes and media link; every text of the payload (message, question, note, resolution,
  reason, comment, refer_to);
- commands (`cases.commands`): the same texts;
- the case state the case agent keeps (its table's changelog): the complaint's fields above, the resolution,
  the rating comment, the rejection's reason and referral, and every timeline text;
- dead letters: the refused message and its key, under a data key of the dead-letter topic's own.

The sealed fields go, as one JSON object, into `"sealed": {"v": 1, "f": names, "n": nonce, "c": ciphertext}`
of the record (the complaint's own object for its fields). Only fields with a value are sealed: one that is
None stays in the record as None, so whether a field was given is known without the key (`f` names those
sealed). That is what erasure needs: once a case's key is destroyed (`erase`, `KeyErased`), each sealed field
opens as erased (domain/erasure.py), a record sealed after that carries no ciphertext at all
(`{"v": 1, "f": names, "x": 1}`), and a replay of the log gives the very state the erasure left.

The nonce is synthetic: an HMAC of the plaintext and its context under a key derived from the data key, so the
same record sealed twice (a batch replayed after a crash) is the same bytes, and two different plaintexts
never share a nonce. The context (case id, record kind, seq or command id) is the AEAD's associated data: a
sealed part moved to another record does not open.

A record without `sealed` opens as it is (the log before this change).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Protocol, get_args

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Column, DateTime, Engine, LargeBinary, MetaData, String, Table, select, update
from sqlalchemy.exc import IntegrityError

from domain.case import TEXT_FIELD
from domain.commands import Command
from domain.erasure import ERASED, erased_value
from domain.events import CASE_PERSONAL_DATA_ERASED, CASE_REJECTED, Event

SEALED = "sealed"
VERSION = 1
TEXT_FIELDS = ("text", "message", "question", "resolution", "reason", "comment", "refer_to")
COMPLAINT_FIELDS = ("reporter", "address", "lat", "lon", "title", "description", "attributes", "media_url")
STATE_FIELDS = ("resolution", "rating_comment", "rejection_reason", "refer_to")
DEAD_LETTERS = "dead-letters"  # the key id of the dead-letter topic's records
CACHE_TTL_S = 300.0  # a key read from the store is used this long, then read again (an erasure elsewhere shows)


def _legacy_event_texts(event_type: object) -> tuple[str, ...]:
    """The texts an event of `event_type` carries: what a part sealed before the names were kept in it
    (`f`, 2026-12-06) held, so that it opens erased without a field missing."""
    names = (TEXT_FIELD[event_type],) if event_type in TEXT_FIELD else ()
    return (*names, "refer_to") if event_type == CASE_REJECTED else names


_COMMAND_TEXTS = {model.model_fields["type"].default: tuple(n for n in model.model_fields if n in TEXT_FIELDS)
                  for model in get_args(get_args(Command)[0])}  # Command: Annotated[A | B | ..., discriminator]


class KeyMissing(Exception):
    """The record's data key is not in the key store. Not a bad message (a ValueError, dead-lettered): the key
    store is wrong (another database, a restore older than the log), so whoever reads stops and tries again
    rather than throw an accepted case away."""


class Unreadable(ValueError):
    """A sealed part that does not open: damaged, or moved from another record."""


class KeyErased(Exception):
    """The case's data key was destroyed (its personal data erased): what was sealed under it opens as erased,
    and nothing new is sealed under it."""


class DataKeys(Protocol):
    def key_for(self, key_id: str, create: bool = False, fresh: bool = False) -> bytes | None:
        """The data key of `key_id` (a case id), made first when `create` and missing; None when missing;
        KeyErased when it was destroyed (never made again). `fresh`: asked of the store itself, not of a copy
        this process keeps (an erasure made elsewhere a moment ago counts)."""

    def erase(self, key_id: str) -> bool:
        """Destroy the key of `key_id` for good, and mark it so: True when a key was destroyed, False when
        there was none (erased already, or never made; it will not be made now)."""

    def forget(self, key_id: str) -> None:
        """Drop this process's copy of the key of `key_id` (its erasure was seen)."""


_data_keys = Table(
    "data_keys", MetaData(),
    Column("key_id", String(64), primary_key=True),
    Column("key", LargeBinary(32), nullable=True),  # NULL: destroyed (migration 0008)
    Column("created_at", DateTime, nullable=False),
    Column("erased_at", DateTime, nullable=True),
)
_GONE = b""  # the cache's mark of a destroyed key


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class SqlDataKeys:
    """Data keys in the accounts database (table `data_keys`, made by its migrations), cached in the process for
    `ttl_s`, so that an erasure made by another process reaches this one within that time (the workers drop a
    key at once when they see the case's erasure event). Two processes making a case's key at once: the
    primary key decides, both use the winner's. A destroyed key keeps its row (key NULL), so it is never made
    again."""

    def __init__(self, engine: Engine, cache_size: int = 100_000, ttl_s: float = CACHE_TTL_S) -> None:
        self.engine = engine
        self._cache: OrderedDict[str, tuple[bytes, float]] = OrderedDict()
        self._size, self._ttl = cache_size, ttl_s
        self._lock = threading.Lock()

    def key_for(self, key_id: str, create: bool = False, fresh: bool = False) -> bytes | None:
        key = None if fresh else self._cached(key_id)
        if key is None:
            key = self._read(key_id)
            if key is None and create:
                try:
                    with self.engine.begin() as connection:
                        connection.execute(_data_keys.insert().values(key_id=key_id, key=os.urandom(32),
                                                                      created_at=_now()))
                except IntegrityError:
                    pass  # made (or erased) by another process meanwhile
                key = self._read(key_id)
            if key is None:
                return None
            self._remember({key_id: key})
        if key == _GONE:
            raise KeyErased(f"the data key of {key_id} was destroyed")
        return key

    def erase(self, key_id: str) -> bool:
        with self.engine.begin() as connection:
            destroyed = connection.execute(update(_data_keys).where(_data_keys.c.key_id == key_id,
                                                                    _data_keys.c.key.is_not(None))
                                           .values(key=None, erased_at=_now())).rowcount
            if not destroyed:
                marked = connection.execute(select(_data_keys.c.key_id).where(_data_keys.c.key_id == key_id)).first()
                if marked is None:
                    connection.execute(_data_keys.insert().values(key_id=key_id, key=None, created_at=_now(),
                                                                  erased_at=_now()))
        self.forget(key_id)
        return bool(destroyed)

    def forget(self, key_id: str) -> None:
        with self._lock:
            self._cache.pop(key_id, None)

    def key_state(self, key_id: str) -> str:
        """"live", "erased" or "none" (never made), read from the store."""
        key = self._read(key_id)
        return "none" if key is None else "erased" if key == _GONE else "live"

    def erased_between(self, since: datetime, until: datetime) -> list[str]:
        """The ids whose keys were destroyed in [since, until] (aware times)."""
        naive = [t.astimezone(UTC).replace(tzinfo=None) for t in (since, until)]
        with self.engine.connect() as connection:
            return list(connection.execute(select(_data_keys.c.key_id).where(
                _data_keys.c.key.is_(None), _data_keys.c.erased_at >= naive[0], _data_keys.c.erased_at <= naive[1])
                .order_by(_data_keys.c.erased_at)).scalars())

    def prefetch(self, key_ids: Iterable[str]) -> None:
        """Read the keys of `key_ids` not in the cache, in one query per 500 (before a batch: then none of its
        records waits for the database on its own)."""
        now = time.monotonic()
        with self._lock:
            missing = sorted({k for k in key_ids if k not in self._cache or self._cache[k][1] <= now})
        for start in range(0, len(missing), 500):
            chunk = missing[start:start + 500]
            with self.engine.connect() as connection:
                found = connection.execute(select(_data_keys.c.key_id, _data_keys.c.key)
                                           .where(_data_keys.c.key_id.in_(chunk))).all()
            self._remember({key_id: key if key is not None else _GONE for key_id, key in found})

    def _cached(self, key_id: str) -> bytes | None:
        with self._lock:
            found = self._cache.get(key_id)
            if found is None:
                return None
            if found[1] <= time.monotonic():
                del self._cache[key_id]
                return None
            self._cache.move_to_end(key_id)
            return found[0]

    def _remember(self, keys: dict[str, bytes]) -> None:
        until = time.monotonic() + self._ttl
        with self._lock:
            for key_id, key in keys.items():
                self._cache[key_id] = (key, until)
                self._cache.move_to_end(key_id)
            while len(self._cache) > self._size:
                self._cache.popitem(last=False)

    def _read(self, key_id: str) -> bytes | None:
        """The key, _GONE when destroyed, None when there is no row."""
        with self.engine.connect() as connection:
            row = connection.execute(select(_data_keys.c.key).where(_data_keys.c.key_id == key_id)).first()
        if row is None:
            return None
        return row[0] if row[0] is not None else _GONE


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class Sealer:
    def __init__(self, keys: DataKeys) -> None:
        self.keys = keys

    async def prefetch(self, key_ids: Iterable[str]) -> None:
        """The data keys of `key_ids` read ahead, off the event loop (a key store without `prefetch` reads each
        key when it is first needed)."""
        prefetch = getattr(self.keys, "prefetch", None)
        if prefetch is not None:
            await asyncio.to_thread(prefetch, list(key_ids))

    # -- the envelope ----------------------------------------------------------------------------------

    def _key(self, key_id: str, create: bool) -> bytes:
        key = self.keys.key_for(key_id, create=create)
        if key is None:
            raise KeyMissing(f"no data key for {key_id}")
        return key

    def seal(self, key_id: str, context: str, fields: dict[str, Any]) -> dict[str, Any]:
        """`fields` sealed under the data key of `key_id`, made first if it has none (sealing is done where a
        case's record is written: by intake first, else by the case agent replaying an older, clear log). Under
        a destroyed key nothing is kept of them but their names."""
        names = sorted(fields)
        try:
            key = self._key(key_id, create=True)
        except KeyErased:
            return {"v": VERSION, "f": names, "x": 1}
        plaintext = orjson.dumps(fields, option=orjson.OPT_SORT_KEYS)
        aad = f"aduan/{key_id}/{context}".encode()
        nonce = hmac.new(hmac.new(key, b"nonce", hashlib.sha256).digest(), aad + b"\0" + plaintext,
                         hashlib.sha256).digest()[:12]
        return {"v": VERSION, "f": names, "n": _b64(nonce),
                "c": _b64(AESGCM(key).encrypt(nonce, plaintext, aad))}

    def open(self, key_id: str, context: str, envelope: dict[str, Any]) -> dict[str, Any] | None:
        """The fields sealed in `envelope`; None when they are erased (the key destroyed)."""
        if isinstance(envelope, dict) and envelope.get("x") == 1:
            return None
        if not (isinstance(envelope, dict) and isinstance(envelope.get("n"), str)
                and isinstance(envelope.get("c"), str)):
            raise Unreadable(f"a sealed part of {key_id} ({context}) is not one: no nonce and ciphertext")
        try:
            key = self._key(key_id, create=False)
        except KeyErased:
            return None
        aad = f"aduan/{key_id}/{context}".encode()
        try:
            return orjson.loads(AESGCM(key).decrypt(base64.b64decode(envelope["n"]), base64.b64decode(envelope["c"]),
                                                    aad))
        except (InvalidTag, KeyError, TypeError, ValueError, AttributeError) as exc:
            raise Unreadable(f"a sealed part of {key_id} ({context}) does not open") from exc

    def _open_named(self, key_id: str, context: str, envelope: dict[str, Any],
                    legacy: tuple[str, ...] = ()) -> dict[str, Any]:
        """The fields of `envelope`, or each one it names as erased (`legacy`: the names for a part sealed
        before they were kept in it)."""
        opened = self.open(key_id, context, envelope)
        if opened is None:
            names = envelope.get("f") if isinstance(envelope, dict) else None
            return _erased(n for n in (names if isinstance(names, list) else legacy) if isinstance(n, str))
        return opened

    def _open_complaint(self, key_id: str, context: str, complaint: dict[str, Any]) -> dict[str, Any]:
        """A complaint's object opened: its fields sealed, or erased. Every complaint field is in the object,
        sealed or None, so those not there are those sealed."""
        complaint = dict(complaint)
        opened = self.open(key_id, context, complaint.pop(SEALED))
        if opened is None:
            opened = _erased(n for n in COMPLAINT_FIELDS if n not in complaint)
        complaint.update(opened)
        return complaint

    # -- events ----------------------------------------------------------------------------------------

    def event_bytes(self, event: Event) -> bytes:
        """The Kafka value of `event`, its personal fields sealed."""
        if event.type == CASE_PERSONAL_DATA_ERASED:
            self.forget(event.case_id)
        return orjson.dumps(self.seal_event(event.model_dump(mode="json")))

    def event_from(self, value: bytes | None) -> Event:
        """The event of a Kafka value, its personal fields opened. ValueError for what is no event. An erasure
        event drops this process's copy of the case's key."""
        if value is None:
            raise ValueError("empty message")
        try:
            data = orjson.loads(value)
        except orjson.JSONDecodeError as exc:
            raise ValueError(f"not JSON: {exc}") from None
        if not isinstance(data, dict) or not isinstance(data.get("payload", {}), dict) \
                or not isinstance(data.get("case_id"), str):
            raise ValueError("not an event: a JSON object with a case_id and a payload object")
        if data.get("type") == CASE_PERSONAL_DATA_ERASED:
            self.forget(data["case_id"])
        try:
            return Event.model_validate(self.open_event(data))
        except (KeyError, TypeError, AttributeError) as exc:  # a sealed part or field of the wrong shape
            raise ValueError(f"not an event: {exc!r}") from None

    def forget(self, key_id: str) -> None:
        self.keys.forget(key_id)

    def claim(self, key_id: str) -> bool:
        """Make `key_id`'s data key now, if it has none (intake: before the case's photos are stored, so the
        submission's own sealing finds it at hand); False when it was destroyed, its case's personal data
        erased. Asked of the key store itself: an erasure made by another process a moment ago counts."""
        try:
            self.keys.key_for(key_id, create=True, fresh=True)
        except KeyErased:
            return False
        return True

    def seal_event(self, event: dict[str, Any]) -> dict[str, Any]:
        """A copy of `event` (its JSON form) with its personal fields sealed."""
        payload = dict(event["payload"])
        context = f"event/{event['seq']}"
        texts = _take(payload, TEXT_FIELDS)
        if texts:
            payload[SEALED] = self.seal(event["case_id"], context, texts)
        if isinstance(payload.get("complaint"), dict):
            complaint = dict(payload["complaint"])
            personal = _take(complaint, COMPLAINT_FIELDS)
            complaint[SEALED] = self.seal(event["case_id"], context + "/complaint", personal)
            payload["complaint"] = complaint
        return {**event, "payload": payload}

    def open_event(self, event: dict[str, Any]) -> dict[str, Any]:
        payload = dict(event.get("payload") or {})
        context = f"event/{event.get('seq')}"
        if SEALED in payload:
            payload.update(self._open_named(event["case_id"], context, payload.pop(SEALED),
                                            _legacy_event_texts(event.get("type"))))
        complaint = payload.get("complaint")
        if isinstance(complaint, dict) and SEALED in complaint:
            payload["complaint"] = self._open_complaint(event["case_id"], context + "/complaint", complaint)
        return {**event, "payload": payload}

    # -- commands --------------------------------------------------------------------------------------

    def command_bytes(self, command) -> bytes:
        """The Kafka value of a command (a pydantic model), its texts sealed."""
        return orjson.dumps(self.seal_command(command.model_dump(mode="json")))

    def seal_command(self, command: dict[str, Any]) -> dict[str, Any]:
        command = dict(command)
        texts = _take(command, TEXT_FIELDS)
        if texts:
            command[SEALED] = self.seal(command["case_id"], f"command/{command['command_id']}", texts)
        return command

    def open_command(self, command: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(command, dict) or SEALED not in command:
            return command
        command = dict(command)
        envelope = command.pop(SEALED)
        if not isinstance(command.get("case_id"), str) or not isinstance(envelope, dict):
            raise ValueError("not a command: a sealed part without a case_id")
        command.update(self._open_named(command["case_id"], f"command/{command.get('command_id')}", envelope,
                                        _COMMAND_TEXTS.get(command.get("type"), ())))
        return command

    # -- the case agent's state ------------------------------------------------------------------------

    def seal_state(self, state: dict[str, Any]) -> dict[str, Any]:
        state = dict(state)
        personal = _take(state, STATE_FIELDS)
        complaint = dict(state["complaint"])
        personal["complaint"] = _take(complaint, COMPLAINT_FIELDS)
        state["complaint"] = complaint
        timeline = [dict(entry) for entry in state.get("timeline", ())]
        # The texts by position; an entry without one keeps its None in clear.
        personal["timeline"] = {str(i): entry.pop("text") for i, entry in enumerate(timeline)
                                if entry.get("text") is not None}
        state["timeline"] = timeline
        state[SEALED] = self.seal(state["case_id"], "state", personal)
        return state

    def open_state(self, state: dict[str, Any]) -> dict[str, Any]:
        if SEALED not in state:
            return state
        state = dict(state)
        personal = self.open(state["case_id"], "state", state.pop(SEALED))
        if personal is None:  # erased: what is not in clear was sealed
            personal = {"complaint": _erased(n for n in COMPLAINT_FIELDS if n not in state["complaint"]),
                        "timeline": {str(i): ERASED for i, entry in enumerate(state["timeline"])
                                     if "text" not in entry},
                        **{n: ERASED for n in STATE_FIELDS if n not in state}}
        state["complaint"] = {**state["complaint"], **personal.pop("complaint")}
        texts = personal.pop("timeline")
        if isinstance(texts, list):  # sealed before the texts went by position (2026-12-04)
            texts = {str(i): text for i, text in enumerate(texts)}
        state["timeline"] = [entry if "text" in entry else {**entry, "text": texts.get(str(i))}
                             for i, entry in enumerate(state["timeline"])]
        state.update(personal)
        return state

    # -- dead letters ----------------------------------------------------------------------------------

    def seal_dead_letter(self, record: dict[str, Any]) -> dict[str, Any]:
        """The refused message and its key sealed under the dead-letter topic's data key (the reason names no
        value: stream_processors/dead_letter.reason_of)."""
        record = dict(record)
        personal = _take(record, ("key", "value_b64"))
        record[SEALED] = self.seal(DEAD_LETTERS, f"dead-letter/{record['failed_at']}", personal)
        return record

    def open_dead_letter(self, record: dict[str, Any]) -> dict[str, Any]:
        if SEALED not in record:
            return record
        record = dict(record)
        record.update(self._open_named(DEAD_LETTERS, f"dead-letter/{record['failed_at']}", record.pop(SEALED)))
        return record


def _erased(names: Iterable[str]) -> dict[str, Any]:
    """Each field of `names` as it is once its key is destroyed (domain/erasure.py)."""
    return {name: erased_value(name) for name in names}


def _take(data: dict[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """Remove and return the fields of `names` that `data` has with a value (None stays where it is)."""
    return {name: data.pop(name) for name in names if data.get(name) is not None}


class MemoryDataKeys:
    """Data keys in a dict: for unit tests and tools that hold no database."""

    def __init__(self) -> None:
        self.keys: dict[str, bytes | None] = {}  # None: destroyed

    def key_for(self, key_id: str, create: bool = False, fresh: bool = False) -> bytes | None:
        if key_id not in self.keys and create:
            self.keys[key_id] = os.urandom(32)
        if key_id in self.keys and self.keys[key_id] is None:
            raise KeyErased(f"the data key of {key_id} was destroyed")
        return self.keys.get(key_id)

    def erase(self, key_id: str) -> bool:
        destroyed = self.keys.get(key_id) is not None
        self.keys[key_id] = None
        return destroyed

    def forget(self, key_id: str) -> None:
        pass



def sealer_for(settings) -> Sealer:
    """The sealer of these settings: data keys in the accounts database (its schema made by `aduan bootstrap`,
    `aduan api` or `aduan worker` before this is used)."""
    from config.connections import engine_for

    return Sealer(SqlDataKeys(engine_for(settings.database_url)))
