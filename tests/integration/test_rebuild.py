"""`aduan projections rebuild`: the cases index deleted and rebuilt from the log gives back the same
documents at the same versions, while the API keeps answering."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

from tests.integration.test_intake import wait_until_projected
from tests.integration.test_lifecycle import Case, headers
from tests.support import settings_env, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def snapshot(es, alias: str) -> dict[str, tuple[int, dict]]:
    es.indices.refresh(index=alias)
    hits = es.search(index=alias, size=10_000, version=True, query={"match_all": {}})["hits"]["hits"]
    return {h["_id"]: (h["_version"], h["_source"]) for h in hits}


def test_rebuild_after_the_index_is_deleted(client, es, stack):
    officer = headers(stack, "officer", "PUPR-KOTA")
    closed = Case(client, es, stack)
    closed.staff(officer, type="acknowledge")
    closed.staff(officer, type="resolve", resolution="Sudah diperbaiki.")
    closed.citizen(type="accept", rating=5)
    Case(client, es, stack, regency="17.03", district=None)
    wait_until_projected(stack)
    before = snapshot(es, stack.indices.cases)
    assert closed.id in before and before[closed.id][0] == closed.doc["seq"]

    for index in es.indices.get_alias(name=stack.indices.cases):
        es.indices.delete(index=index)

    answers: list[int] = []
    stop = threading.Event()

    def keep_asking() -> None:
        while not stop.is_set():
            answers.append(client.get(f"/api/v1/complaints/{closed.id}").status_code)
            stop.wait(0.05)

    asker = threading.Thread(target=keep_asking)
    asker.start()
    try:
        rebuilt = subprocess.run([sys.executable, "-m", "aduan.cli", "projections", "rebuild"],
                                 env=settings_env(stack), capture_output=True, text=True, timeout=300)
    finally:
        stop.set()
        asker.join(10)
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    assert "events" in rebuilt.stdout

    after = snapshot(es, stack.indices.cases)
    assert after.keys() == before.keys()
    assert {k: v[0] for k, v in after.items()} == {k: v[0] for k, v in before.items()}
    assert after == before
    # The API answered all along (404 while there was no index, never an error), and answers again.
    assert answers and set(answers) <= {200, 404}
    assert client.get(f"/api/v1/complaints/{closed.id}").json()["status"] == "closed"

    # The live projection goes on into the new index.
    later = Case(client, es, stack)
    assert later.status == "routed"
    wait_for(lambda: client.get(f"/api/v1/complaints/{later.id}").status_code == 200, "the new case readable")
