import logging

import pytest

from api.logs import WithoutQuery

pytestmark = pytest.mark.unit


def test_the_access_log_keeps_the_path_and_drops_the_query_string():
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5000", "GET", "/lacak/BKL-AAAAA-BBBBB?kunci=rahasia", "1.1", 200), None)
    assert WithoutQuery().filter(record)
    assert record.getMessage() == '127.0.0.1:5000 - "GET /lacak/BKL-AAAAA-BBBBB HTTP/1.1" 200'
    plain = logging.LogRecord("x", logging.INFO, __file__, 1, "no args here", None, None)
    assert WithoutQuery().filter(plain) and plain.getMessage() == "no args here"
