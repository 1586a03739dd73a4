"""Elasticsearch is off the 202's path: a submission is answered once Kafka has confirmed it, its first
document (the receipt) is written beside the answer, and a read right after the 202 still finds the case.

Each test runs an API process of its own on the session's topics, so the session's worker routes and
indexes what it accepts."""

from __future__ import annotations

import contextlib
import select
import socket
import threading
import uuid

import httpx
import pytest

from aduan.bootstrap import bootstrap
from config.settings import Settings
from tests.support import delete_indices, free_port, start_api, wait_for

pytestmark = pytest.mark.integration

BODY = {"category": "jalan-jembatan", "regency": "17.71", "district": "17.71.03", "title": "Jalan berlubang",
        "description": "Jalan di depan pasar Panorama berlubang besar dan membahayakan pengendara."}


class SilentElasticsearch:
    """A port that takes HTTP requests and answers none until released (a stuck node): each request's path,
    and whether its client gave up on it (closed the connection) while it was held."""

    def __init__(self) -> None:
        self._server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._server.getsockname()[1]}"
        self.requests: list[dict] = []
        self.released = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            threading.Thread(target=self._hold, args=(conn,), daemon=True).start()

    def _hold(self, conn: socket.socket) -> None:
        with conn:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                head += chunk
            request = {"path": head.split(b" ", 2)[1].decode(), "given_up": False}
            self.requests.append(request)
            while not self.released.wait(0.05):
                readable, _, _ = select.select([conn], [], [], 0)
                if readable and not conn.recv(65536, socket.MSG_PEEK):
                    request["given_up"] = True
                    return
            with contextlib.suppress(OSError):
                conn.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")

    def close(self) -> None:
        self.released.set()
        self._server.close()


def test_accepted_while_elasticsearch_does_not_answer_and_indexed_later(stack: Settings, logs_dir, client, es):
    silent = SilentElasticsearch()
    stuck = stack.model_copy(update={"es_url": silent.url, "api_port": free_port()})
    api = start_api(stuck, logs_dir, name="api-es-stuck")
    try:
        with httpx.Client(base_url=stuck.base_url, timeout=60) as stuck_api:
            response = stuck_api.post("/api/v1/complaints", json={**BODY, "client_request_id": uuid.uuid4().hex})
            assert response.status_code == 202, response.text
            tracking_id = response.json()["tracking_id"]
            # The 202 came while the receipt's write is still held, unanswered and not given up: the answer
            # did not wait for Elasticsearch (nor for its client's timeout).
            receipt = wait_for(lambda: next((r for r in silent.requests if "_bulk" in r["path"]), None),
                               "the receipt's bulk request")
            assert not receipt["given_up"], silent.requests
            silent.released.set()  # now every request fails: the receipt is not written
            wait_for(lambda: f"receipt of case {tracking_id} not indexed" in api.log_path.read_text(),
                     "the failed receipt in the log")
    finally:
        api.stop()
        silent.close()
    # The worker (with a working Elasticsearch) routes and indexes the case all the same.
    view = wait_for(lambda: (v := client.get(f"/api/v1/complaints/{tracking_id}").json()).get("status") == "routed"
                    and v, f"case {tracking_id} routed")
    assert view["agency"]["code"] == "PUPR-KOTA"
    assert es.get(index=stack.indices.cases, id=tracking_id)["_source"]["status"] == "routed"


@pytest.fixture
def unprojected(stack: Settings, logs_dir, es):
    """An API whose `cases` index no worker writes (indices of its own, the session's topics): whatever it
    reads of a new case is the receipt it wrote itself."""
    mine = stack.model_copy(update={"index_prefix": f"{stack.index_prefix}rcpt-", "api_port": free_port()})
    bootstrap(mine, log=lambda m: None)
    api = start_api(mine, logs_dir, name="api-own-indices")
    try:
        with httpx.Client(base_url=mine.base_url, timeout=30) as c:
            yield c
    finally:
        api.stop()
        delete_indices(es, mine.index_prefix)


def test_the_case_reads_right_after_its_202_from_the_receipt_alone(unprojected: httpx.Client):
    accepted = unprojected.post("/api/v1/complaints", json={**BODY, "reporter": {"name": "Siti Aminah"}})
    assert accepted.status_code == 202, accepted.text
    tracking_id, secret = accepted.json()["tracking_id"], accepted.json()["secret"]

    tracking = unprojected.get(f"/api/v1/complaints/{tracking_id}")
    assert tracking.status_code == 200 and tracking.json()["status"] == "received"
    assert "description" not in tracking.json()  # without the secret: no texts, as before
    owner = unprojected.get(f"/api/v1/complaints/{tracking_id}", params={"kunci": secret})
    assert owner.status_code == 200 and owner.json()["description"] == BODY["description"]
    assert "reporter" not in owner.json() and "Siti" not in owner.text
    page = unprojected.get(f"/lacak/{tracking_id}", params={"kunci": secret})
    assert page.status_code == 200 and "pasar Panorama" in page.text
    assert unprojected.get(f"/lacak/{tracking_id}").status_code == 200
    assert "pasar Panorama" not in unprojected.get(f"/lacak/{tracking_id}").text


def test_a_confidential_receipt_is_still_nothing_without_its_secret(unprojected: httpx.Client):
    accepted = unprojected.post("/api/v1/complaints", json={**BODY, "confidential": True}).json()
    tracking_id = accepted["tracking_id"]
    owner = unprojected.get(f"/api/v1/complaints/{tracking_id}", params={"kunci": accepted["secret"]})
    assert owner.status_code == 200 and owner.json()["confidential"] is True  # the receipt is there
    assert unprojected.get(f"/api/v1/complaints/{tracking_id}").status_code == 404
    assert unprojected.get(f"/api/v1/complaints/{tracking_id}", params={"kunci": "salah"}).status_code == 404
    assert unprojected.get(f"/lacak/{tracking_id}").status_code == 404
