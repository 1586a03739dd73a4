"""Headers of the API's answers, on the real stack: nothing that carries a case secret or a staff page may be
kept by a cache, whatever its status; HSTS over HTTPS; only the configured host names answered; the session
cookie `Secure` unless the API listens on loopback only."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.test_lifecycle import Case, headers
from tests.support import free_port, start_api

pytestmark = pytest.mark.integration


def no_store(answer: httpx.Response) -> bool:
    return answer.headers.get_list("cache-control") == ["no-store"]


def test_no_answer_to_an_address_or_form_with_a_case_secret_is_stored_whatever_its_status(client, es, stack):
    case = Case(client, es, stack)
    answers = {
        "tracking page": client.get(f"/lacak/{case.id}", params={"kunci": case.secret}),
        "tracking page, wrong secret": client.get(f"/lacak/{case.id}", params={"kunci": "x" * 22}),
        "tracking page, no such case": client.get("/lacak/ADU-2026-00000000", params={"kunci": case.secret}),
        "citizen API": client.get(f"/api/v1/complaints/{case.id}", params={"kunci": case.secret}),
        "citizen API, capitalised": client.get(f"/api/v1/complaints/{case.id}", params={"KUNCI": case.secret}),
        "citizen action form": client.post(f"/lacak/{case.id}/tindakan",
                                           data={"kunci": case.secret, "type": "rate", "rating": "9"}),
        "citizen API action": client.post(f"/api/v1/complaints/{case.id}/actions",
                                          json={"secret": case.secret, "type": "nonsense"}),
        "a public page with a secret in its address": client.get("/cari", params={"kunci": case.secret}),
    }
    stored = {name: (a.status_code, a.headers.get_list("cache-control")) for name, a in answers.items()
              if not no_store(a)}
    assert not stored, stored
    assert {a.status_code for a in answers.values()} > {200}  # errors and redirects among them


def test_staff_answers_are_not_stored_and_public_ones_may_be(client, stack):
    staff = headers(stack, "officer", "PUPR-KOTA")
    for answer in (client.get("/petugas/masuk"), client.get("/petugas"), client.get("/api/v1/officer/queue"),
                   client.get("/api/v1/officer/queue", headers=staff), client.get("/")):
        assert no_store(answer), (answer.request.url, answer.status_code, answer.headers.get("cache-control"))
    for path in ("/cari", "/kinerja", "/api/v1/public/scorecards", "/api/v1/categories", "/static/aduan.css"):
        answer = client.get(path)
        assert answer.status_code == 200 and "no-store" not in answer.headers.get("cache-control", ""), path


def test_every_answer_keeps_its_referrer_to_itself_and_hsts_comes_over_https(stack, client, logs_dir):
    plain = client.get("/cari")
    assert plain.headers["referrer-policy"] == "no-referrer"
    assert "strict-transport-security" not in plain.headers
    # No proxy is listed (ADUAN_TRUSTED_PROXIES): a client saying it came over HTTPS is not believed.
    assert "strict-transport-security" not in client.get("/cari", headers={"X-Forwarded-Proto": "https"}).headers
    # Over HTTPS, as a TLS-ending proxy on this machine, listed as trusted, says it was.
    settings = stack.model_copy(update={"api_port": free_port(), "trusted_proxies": "127.0.0.1"})
    api = start_api(settings, logs_dir, name="api-behind-tls")
    try:
        secure = httpx.get(f"{settings.base_url}/cari", headers={"X-Forwarded-Proto": "https"}, timeout=30)
    finally:
        api.stop()
    assert secure.headers["strict-transport-security"].startswith("max-age=")
    assert int(secure.headers["strict-transport-security"].split("=")[1].split(";")[0]) >= 31536000


def test_only_the_configured_host_names_are_answered_but_probes_reach_the_health_paths(client):
    assert client.get("/cari", headers={"Host": "aduan.evil.example"}).status_code == 400
    assert client.get("/api/v1/categories", headers={"Host": "localhost"}).status_code == 200
    for path in ("/healthz", "/metrics"):
        assert client.get(path, headers={"Host": "10.1.2.3:8000"}).status_code == 200, path


def test_the_session_cookie_is_secure_unless_the_api_listens_on_loopback_only(stack, client, logs_dir):
    # A client of its own: the shared one already holds a session cookie, so it is not sent one again.
    loopback = httpx.get(f"{stack.base_url}/", timeout=30).headers["set-cookie"].lower()  # listens on 127.0.0.1
    assert "httponly" in loopback and "secure" not in loopback
    port = free_port()
    # All interfaces, as in a container; the test still talks to 127.0.0.1 only.
    everywhere = stack.model_copy(update={"api_host": "0.0.0.0", "api_port": port,  # noqa: S104
                                          "public_url": f"http://127.0.0.1:{port}", "cookie_secure": None})
    api = start_api(everywhere, logs_dir, name="api-all-interfaces")
    try:
        cookie = httpx.get(f"http://127.0.0.1:{port}/", timeout=30).headers["set-cookie"].lower()
    finally:
        api.stop()
    assert "; secure" in cookie and "httponly" in cookie
