"""`make run`'s demo data on the real stack: complaints arrive through Kafka and are routed; staff accounts
exist. (A demo loader that went through the public API tripped its rate limit: this is its test.)"""

from __future__ import annotations

import pytest

from aduan.demo import submit_demo_complaints
from tests.support import wait_for

pytestmark = pytest.mark.integration


def test_demo_complaints_are_routed_and_a_rerun_adds_none(client, stack):
    ids = submit_demo_complaints(stack, 12, log=lambda m: None)
    assert len(set(ids)) == 12
    for case_id in ids:
        wait_for(lambda c=case_id: client.get(f"/api/v1/complaints/{c}").json().get("status") == "routed",
                 f"demo case {case_id} routed")
    assert submit_demo_complaints(stack, 12, log=lambda m: None) == ids
