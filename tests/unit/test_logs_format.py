"""JSON log lines (structlog) for ours, uvicorn's and faust's loggers alike, and fields instead of text."""

import io
import json
import logging
import logging.config

import pytest

from config.logs import get_logger, logging_config
from config.settings import Settings

pytestmark = pytest.mark.unit


@pytest.fixture
def captured():
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    stream = io.StringIO()
    config = logging_config(Settings(log_format="json"))
    logging.config.dictConfig(config)
    root.handlers[0].setStream(stream)  # the configured stdout handler, writing here instead
    yield stream
    root.handlers[:], root.level = saved
    logging_config(Settings())  # back to the console format for the other tests


def test_every_logger_writes_one_json_object_per_line(captured):
    get_logger("stream_processors.dead_letter").warning("dead_letter", case_id="BKL-AAAAA-BBBBB", reason="bad seq")
    logging.getLogger("uvicorn.access").info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:1", "GET", "/healthz", "1.1", 200)
    logging.getLogger("faust.worker").info("Ready")
    lines = [json.loads(line) for line in captured.getvalue().splitlines()]
    assert lines[0]["event"] == "dead_letter" and lines[0]["case_id"] == "BKL-AAAAA-BBBBB"
    assert lines[0]["level"] == "warning" and lines[0]["timestamp"].endswith("Z")
    assert lines[1]["event"] == '127.0.0.1:1 - "GET /healthz HTTP/1.1" 200' and lines[1]["logger"] == "uvicorn.access"
    assert lines[2]["event"] == "Ready" and lines[2]["level"] == "info"


def test_the_console_format_is_kept_by_default():
    assert logging_config(Settings()) is None


def test_personal_data_that_slips_into_a_line_is_scrubbed(captured):
    get_logger("api.submission").warning("refused", reason="hubungi Budi di 0812-7300-1234 atau budi@example.id")
    logging.getLogger("faust.worker").error("bad record: NIK 1771012345678901 from 10.0.0.12:9092 offset 123456")
    logging.getLogger("uvicorn.access").info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:51234", "GET",
                                             "/lacak/BKL-7K3M9-Q2PXZ", "1.1", 200)
    first, second, third = (json.loads(line) for line in captured.getvalue().splitlines())
    assert "0812" not in first["reason"] and "budi@example.id" not in first["reason"] and "[telepon]" in first["reason"]
    assert "1771012345678901" not in second["event"] and "offset 123456" in second["event"]
    assert third["event"] == '127.0.0.1:51234 - "GET /lacak/BKL-7K3M9-Q2PXZ HTTP/1.1" 200'
