"""The sla worker's copy of the deadline index on disk: so that a restarted sla worker reads only the tail of
the index's changelog instead of all of it (minutes at a million clocks, every alarm late meanwhile).

The copy holds, per changelog partition, each case's next alarm as read from the changelog and the offset of
the last record read into it, written together in one RocksDB write batch: whatever survives a crash (RocksDB
recovers a prefix of its write batches) is the partition as it stood at that offset. A restart loads the
entries and goes on reading at the next offset.

Keys: `e` + partition (4 bytes, big-endian) + case id -> due time (8-byte float, epoch seconds);
`o` + partition -> offset of the last record read (8-byte signed).
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Iterable, Iterator
from pathlib import Path

from rocksdict import Options, Rdict, WriteBatch

log = logging.getLogger(__name__)

_ENTRY, _OFFSET = b"e", b"o"
_AT, _POSITION = struct.Struct(">d"), struct.Struct(">q")


def _partition(partition: int) -> bytes:
    return partition.to_bytes(4, "big")


class AlarmStore:
    """Per changelog partition: the entries read (case id -> due time) and the offset read up to."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        options = Options(raw_mode=True)
        options.create_if_missing(True)
        self.db = Rdict(str(path), options)

    def offset(self, partition: int) -> int | None:
        """The offset of the last record read into `partition`'s entries (None: nothing read yet)."""
        raw = self.db.get(_OFFSET + _partition(partition))
        return None if raw is None else _POSITION.unpack(raw)[0]

    def entries(self, partition: int) -> Iterator[tuple[str, float]]:
        prefix = _ENTRY + _partition(partition)
        for key, value in self.db.items(from_key=prefix):
            if not key.startswith(prefix):
                return
            yield key[len(prefix):].decode(), _AT.unpack(value)[0]

    def write(self, changes: Iterable[tuple[int, str, float | None]], read_up_to: dict[int, int]) -> None:
        """`changes` (partition, case id, due time or None for "no alarm left") and, per partition, the offset
        of the last record they come from: all or nothing."""
        batch = WriteBatch(raw_mode=True)
        for partition, case_id, at in changes:
            key = _ENTRY + _partition(partition) + case_id.encode()
            if at is None:
                batch.delete(key)
            else:
                batch.put(key, _AT.pack(at))
        for partition, offset in read_up_to.items():
            batch.put(_OFFSET + _partition(partition), _POSITION.pack(offset))
        self.db.write(batch)

    def forget(self, partition: int) -> None:
        """Nothing of `partition` kept: read from the start of its changelog again."""
        batch = WriteBatch(raw_mode=True)
        batch.delete_range(_ENTRY + _partition(partition), _ENTRY + _partition(partition + 1))
        batch.delete(_OFFSET + _partition(partition))
        self.db.write(batch)

    def resume(self, partition: int, end: int | None) -> int:
        """The offset to read `partition` from, its entries being kept as they are: the one after the last read,
        unless the changelog ends before it (`end`, its next offset, None when unknown): a topic made again
        under the same name, whose entries would be someone else's; those are forgotten (read from 0)."""
        last = self.offset(partition)
        if last is None:
            self.forget(partition)  # entries without an offset: never the case, unless written by hand
            return 0
        if end is not None and last >= end:
            log.warning("deadline changelog partition %d ends at offset %d, before the copy's %d: reading it "
                        "again from the start", partition, end, last)
            self.forget(partition)
            return 0
        return last + 1

    def close(self) -> None:
        self.db.close()
