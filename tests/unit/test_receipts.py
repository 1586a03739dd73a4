"""Receipts written beside the 202 (api/receipts.py): bounded, logged on failure, and waited for by a read."""

import asyncio
import logging

import pytest
from elastic_transport import ApiResponseMeta, HttpHeaders, NodeConfig
from elasticsearch import NotFoundError

from api import receipts as receipts_module
from api.receipts import Receipts
from domain.case import apply, submission_event
from search.documents import case_document
from tests.unit.test_public_record import T0, J, case_through

pytestmark = pytest.mark.unit


class Index:
    """Elasticsearch's realtime get over a dict (a unit test has no node)."""

    def __init__(self) -> None:
        self.docs: dict[str, dict] = {}
        self.gets = 0

    async def get(self, index: str, id: str, realtime: bool):
        self.gets += 1
        if id not in self.docs:
            meta = ApiResponseMeta(404, "1.1", HttpHeaders(), 0.0, NodeConfig("http", "localhost", 9200))
            raise NotFoundError("not found", meta, {"found": False})
        return {"_source": self.docs[id]}


class Writer:
    """A BatchingCaseWriter's `write` that waits for `go` and then indexes, or fails."""

    def __init__(self, index: Index, fail: bool = False) -> None:
        self.index, self.fail, self.go = index, fail, asyncio.Event()

    async def write(self, case) -> None:
        await self.go.wait()
        if self.fail:
            raise ConnectionError("Elasticsearch is away")
        self.index.docs[case.case_id] = case_document(case, J)


def received(case_id: str = "BKL-AAAAA-BBBBB"):
    """A case as its first event makes it: what a receipt holds."""
    complaint = case_through().complaint
    return apply(None, submission_event(case_id, complaint, T0))


async def test_a_read_waits_for_the_receipt_under_way(monkeypatch):
    monkeypatch.setattr(receipts_module, "POLL_PAUSES_S", ())  # found by waiting for the write, not by polling
    index = Index()
    writer = Writer(index)
    receipts = Receipts(writer)
    case = received()
    receipts.schedule(case)
    assert receipts.pending() == 1 and not index.docs  # scheduled, not written: schedule did not wait

    read = asyncio.create_task(receipts.read_case(index, "cases", case.case_id))
    await asyncio.sleep(0)
    assert not read.done()
    writer.go.set()
    found = await read
    assert found is not None and found.case_id == case.case_id and found.seq == 1
    assert receipts.pending() == 0


async def test_a_failed_receipt_is_logged_and_the_read_still_bounded(caplog, monkeypatch):
    monkeypatch.setattr(receipts_module, "POLL_PAUSES_S", (0, 0, 0))
    index = Index()
    writer = Writer(index, fail=True)
    writer.go.set()
    receipts = Receipts(writer)
    case = received()
    with caplog.at_level(logging.WARNING, logger="api.receipts"):
        receipts.schedule(case)
        assert await receipts.read_case(index, "cases", case.case_id) is None
    assert f"receipt of case {case.case_id} not indexed" in caplog.text
    assert index.gets == 1 + 1 + 3  # the first look, once after the failed receipt, then each pause
    assert await receipts.settled(case.case_id) is None  # nothing left pending


async def test_receipts_waiting_at_once_are_bounded(caplog):
    index = Index()
    receipts = Receipts(Writer(index), max_pending=1)
    one, two = received(), received("BKL-CCCCC-DDDDD")
    with caplog.at_level(logging.WARNING, logger="api.receipts"):
        receipts.schedule(one)
        receipts.schedule(two)
    assert receipts.pending() == 1
    assert f"receipt of case {two.case_id} not indexed" in caplog.text and "already waiting" in caplog.text
    await receipts.close(timeout_s=0.01)  # a stuck write does not hold the shutdown


async def test_readers_polling_at_once_are_bounded(monkeypatch):
    monkeypatch.setattr(receipts_module, "MAX_POLLING", 0)
    index = Index()
    receipts = Receipts(Writer(index))
    assert await receipts.read_case(index, "cases", "BKL-00000-00000") is None
    assert index.gets == 1  # answered at once: no poll beyond the bound
