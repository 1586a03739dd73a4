"""JSON log lines (structlog) for ours, uvicorn's and faust's loggers alike, and fields instead of text."""

import io
import json
import logging
import logging.config

import pytest

from aduan.logs import get_logger, logging_config
from aduan.settings import Settings

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
