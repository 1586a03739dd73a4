"""Schemathesis against the running API, on the real stack: every operation of the OpenAPI document
(`/openapi.json` of this session's API process) with generated input, valid and invalid, over HTTP on
127.0.0.1. No answer may be a server error, every status code the API answers must be documented for its
operation, and every documented answer's body and content type must match the document.

The officer operations get a real bearer token: a coordinator account signs in at
`POST /api/v1/auth/token` (a coordinator may send every staff command and sees every case, so the most
code runs); Schemathesis also drops the header on purpose, so the 401s are exercised as well. The
submission rate limit is raised in the session's settings (tests/conftest.py), so generated submissions
are not refused with 429. Generation is stateless; one operation is excluded: `POST /api/v1/auth/logout`,
which would end that token for every operation after it (tests/integration/test_auth.py tests it).

Half the time a path or query parameter takes a real value (a routed case with a photo, its secret, an
Open311 format), so the operations get past their 404s into the code behind them; the other half is
generated.

A failure prints Schemathesis's report: each finding with the `curl` line that reproduces it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import pytest

from api.accounts import AccountStore
from tests.integration.test_lifecycle import BODY, headers
from tests.integration.test_web_intake import jpeg_with_gps, post_multipart
from tests.support import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]
PASSWORD = "Pantai-Panjang-Sore-Hari-9"
MAX_EXAMPLES = 25  # generated cases per operation in the fuzzing phase
MAX_TIME_S = 60  # the whole run's budget; it ends sooner when every phase is done
REQUEST_TIMEOUT_S = 15  # a citizen's action waits up to 5 s for the case agent; longer is a failure
# The same cases every run, so a finding reproduces; ADUAN_SCHEMATHESIS_SEED=N explores others.
SEED = os.environ.get("ADUAN_SCHEMATHESIS_SEED", "20260511")
CHECKS = "not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance"


@pytest.fixture(scope="module")
def coordinator_token(client, stack) -> str:
    username = f"st-{uuid.uuid4().hex[:8]}"
    store = AccountStore.from_settings(stack)  # the same database as the API process
    store.add(username, "coordinator", None, PASSWORD)
    code = store.enroll_mfa(username).recovery_codes[0]
    store.close()
    answer = client.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD, "otp": code})
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


@pytest.fixture(scope="module")
def real_case(client, es, stack) -> dict[str, str]:
    """A resolved case with a photo, on the public index too (so the searches read dates on a shard that holds
    a document): its tracking id, photo id and secret."""
    accepted = post_multipart(client, BODY, [("jalan.jpg", jpeg_with_gps(), "image/jpeg")])
    assert accepted.status_code == 202, accepted.text
    case_id, secret = accepted.json()["tracking_id"], accepted.json()["secret"]

    def status() -> str:
        return es.get(index=stack.indices.cases, id=case_id)["_source"]["status"]

    wait_for(lambda: status() == "routed", "routing")
    officer = headers(stack, "officer", "PUPR-KOTA")
    for command in ({"type": "acknowledge"}, {"type": "resolve", "resolution": "Lubang sudah ditambal."}):
        sent = client.post(f"/api/v1/officer/cases/{case_id}/actions", json=command, headers=officer)
        assert sent.status_code == 202, sent.text
        wait_for(lambda c=command: status() == ("in_progress" if c["type"] == "acknowledge" else "resolved"),
                 command["type"])
    wait_for(lambda: client.get(f"/api/v1/public/cases/{case_id}").status_code == 200, "the public case")
    photo = es.get(index=stack.indices.cases, id=case_id)["_source"]["state"]["complaint"]["photos"][0]
    return {"case": case_id, "photo": photo, "secret": secret}


def config(real_case: dict[str, str]) -> str:
    """schemathesis.toml: pools of real values, each used for half the values of its parameters."""
    pools = {"cases": [real_case["case"]], "photos": [real_case["photo"]], "secrets": [real_case["secret"]],
             "formats": ["json", "xml"]}
    uses = {"cases": ["path.case_id", "path.tracking_id", "path.service_request_id", "path.token"],
            "photos": ["path.photo_id"], "secrets": ["query.secret"], "formats": ["path.fmt"]}
    lines = [f"[dictionaries.{name}]\nvalues = {json.dumps(values)}\n" for name, values in pools.items()]
    lines.append("[parameters]")
    lines += [f'"{key}" = {{ dictionary = "{name}", probability = 0.5 }}'
              for name, keys in uses.items() for key in keys]
    return "\n".join(lines) + "\n"


def test_schemathesis_finds_no_server_error_and_no_undocumented_status(stack, coordinator_token, real_case, tmp_path):
    schema_url = f"{stack.base_url}/openapi.json"
    assert schema_url.startswith("http://127.0.0.1:"), schema_url  # only this machine's API is ever called
    (tmp_path / "schemathesis.toml").write_text(config(real_case))
    command = [sys.executable, "-m", "schemathesis.cli", "--config-file", str(tmp_path / "schemathesis.toml"),
               "run", schema_url,
               "--checks", CHECKS,
               "--phases", "examples,coverage,fuzzing",  # stateless: no stateful phase
               "--max-examples", str(MAX_EXAMPLES), "--max-time", str(MAX_TIME_S),
               "--request-timeout", str(REQUEST_TIMEOUT_S),
               "--seed", SEED,
               # One worker: with several, Hypothesis's lambda descriptions call ast.parse from threads, which
               # CPython 3.11 answers with "AST constructor recursion depth mismatch" (a Runtime Error).
               "--workers", "1",
               "--header", f"Authorization: Bearer {coordinator_token}",
               "--exclude-path", "/api/v1/auth/logout",
               "--no-color"]
    # In tmp_path: Hypothesis's example database stays out of the repository.
    run = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=MAX_TIME_S * 4,
                         env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "NO_COLOR": "1"})
    report = run.stdout + run.stderr
    assert run.returncode == 0, "Schemathesis found failures (each with its curl line):\n" + report
