"""`make run`'s demo data on the real stack: complaints arrive through Kafka and are routed; staff accounts
exist. (A demo loader that went through the public API tripped its rate limit: this is its test.)"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlparse

import pytest

from aduan.demo import DEMO_PASSWORD, ensure_demo_accounts, submit_demo_complaints, work_demo_cases
from api.accounts.mfa import code_now
from tests.integration.test_lifecycle import headers
from tests.support import wait_for

pytestmark = pytest.mark.integration


def test_demo_accounts_sign_in_and_the_coordinators_and_admins_second_factor_is_printed(client, stack):
    said: list[str] = []
    ensure_demo_accounts(stack, log=said.append)
    uris = {line.split()[0]: line.split(": ", 1)[1] for line in said if "otpauth://totp/" in line}
    assert set(uris) == {"koordinator", "admin"}, said
    again: list[str] = []
    ensure_demo_accounts(stack, log=again.append)  # a rerun changes nothing and prints the same
    assert again == said

    def sign_in(username: str, otp: str = ""):
        return client.post("/api/v1/auth/token", data={"username": username, "password": DEMO_PASSWORD, "otp": otp})

    assert sign_in("budi.pupr").status_code == 200  # an officer: the password alone
    assert sign_in("koordinator").json() == {"detail": "mfa_required"}
    secret = parse_qs(urlparse(uris["koordinator"]).query)["secret"][0]
    assert sign_in("koordinator", code_now(secret, datetime.now(UTC))).status_code == 200


def test_demo_complaints_are_routed_and_a_rerun_adds_none(client, stack):
    ids = submit_demo_complaints(stack, 12, log=lambda m: None)
    assert len(set(ids)) == 12
    for case_id in ids:
        wait_for(lambda c=case_id: client.get(f"/api/v1/complaints/{c}").json().get("status") == "routed",
                 f"demo case {case_id} routed")
    assert submit_demo_complaints(stack, 12, log=lambda m: None) == ids


def test_demo_cases_are_answered_resolved_and_public_and_a_rerun_changes_nothing(client, es, stack):
    ids = submit_demo_complaints(stack, 12, log=lambda m: None, seed=99)
    worked = work_demo_cases(stack, ids, log=lambda m: None)
    assert worked == 6  # every other case

    def settled():
        docs = {d["_id"]: d["_source"] for d in es.mget(index=stack.indices.cases, ids=ids[::2])["docs"]}
        return docs if all(d["status"] in ("resolved", "closed") for d in docs.values()) else None

    docs = wait_for(settled, "the worked demo cases resolved")
    assert any(d["status"] == "closed" and d["metrics"]["rating"] for d in docs.values())
    public = [i for i in ids[::2] if not docs[i]["confidential"]]
    wait_for(lambda: all(client.get(f"/api/v1/public/cases/{i}").status_code == 200 for i in public),
             "the worked demo cases on the public pages")
    seqs = {i: d["seq"] for i, d in docs.items()}
    work_demo_cases(stack, ids, log=lambda m: None)
    # A note after the repeated commands, on each case: once it is in, the repeats before it were decided,
    # and they added nothing (their ids were known), so each case is exactly one event further.
    coordinator = headers(stack, "coordinator", None, user="kord")
    for case_id in seqs:
        sent = client.post(f"/api/v1/officer/cases/{case_id}/actions", headers=coordinator,
                           json={"type": "add_note", "text": "Catatan setelah demo diulang."})
        assert sent.status_code == 202, sent.text

    def noted():
        now = {d["_id"]: d["_source"]["seq"] for d in es.mget(index=stack.indices.cases, ids=list(seqs))["docs"]}
        return now if all(now[i] > seqs[i] for i in seqs) else None

    assert wait_for(noted, "the notes after the re-run") == {i: seq + 1 for i, seq in seqs.items()}
