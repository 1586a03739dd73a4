"""kafka-python checks every record batch (v2, with the CRC-32C of the batch) it writes and reads: with the
`crc32c` package it does so in C, without it in pure Python, one byte at a time (tens of times slower)."""

import time

import crc32c
import pytest
from kafka.record import _crc32c as pure_python
from kafka.record import default_records, util
from kafka.record.default_records import DefaultRecordBatch, DefaultRecordBatchBuilder

pytestmark = pytest.mark.unit


def test_kafka_python_checksums_with_the_c_implementation():
    # calc_crc32c binds its implementation as a default argument when kafka-python is imported.
    used = util.calc_crc32c.__defaults__[0]
    assert used is crc32c.crc32c and used is not pure_python.crc
    assert type(used).__name__ == "builtin_function_or_method"  # compiled, not a Python function
    assert default_records.calc_crc32c is util.calc_crc32c  # what record batches call
    assert util.calc_crc32c(b"123456789") == pure_python.crc(b"123456789") == 0xE3069283  # the check value


def test_a_batch_written_and_read_back_passes_its_check():
    builder = DefaultRecordBatchBuilder(magic=2, compression_type=0, is_transactional=False, producer_id=7,
                                        producer_epoch=0, base_sequence=0, batch_size=1 << 20)
    for i in range(50):
        builder.append(i, timestamp=int(time.time() * 1000), key=f"BKL-{i:05d}".encode(),
                       value=b'{"type":"complaint.submitted"}' * 10, headers=[])
    batch = DefaultRecordBatch(bytes(builder.build()))
    assert batch.validate_crc() and len(list(batch)) == 50
