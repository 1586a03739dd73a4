"""Key rotation on the real stack: an API of its own, with a key file of its own, restarted after each
rotation. A staff page session, a citizen's form (its CSRF token) and case links (`/lacak/{id}?kunci=…`,
`GET /api/v1/complaints/{id}?kunci=…`) made before `aduan keys rotate` stay valid after it, and after the
root moves into ADUAN_SECRET_KEY with the file's roots as ADUAN_PREVIOUS_SECRET_KEYS; what was made before
purpose keys (with the root itself) too. Cookies and secrets of an unrelated key are refused, and so is all
that was made under a root once it is no longer listed."""

from __future__ import annotations

import subprocess
import sys
import uuid

import httpx
import pytest
from pydantic import SecretStr

from api.accounts import AccountStore
from api.auth import citizen_secret
from config.keys import KeyRing, Purpose, new_root, read_key_file
from tests.integration.test_staff_pages import sign_in
from tests.integration.test_web_intake import csrf_of
from tests.support import free_port, search_marker, session_cookie, settings_env, start_api, wait_for

pytestmark = pytest.mark.integration
PASSWORD = "Kunci-Berganti-Bengkulu-7"
QUEUE, LOGIN = "/petugas", "/petugas/masuk"
UNRELATED = KeyRing(new_root().encode())


@pytest.fixture(scope="module")
def keyed(stack, worker, tmp_path_factory):
    """Settings whose root comes from a key file of their own (made by the API at its first start), and a
    staff account."""
    settings = stack.model_copy(update={
        "api_port": free_port(), "secret_key": SecretStr(""), "previous_secret_keys": SecretStr(""),
        "secret_key_file": tmp_path_factory.mktemp("keys") / "secret_key"})
    store = AccountStore.from_settings(settings)
    username = f"keys-{uuid.uuid4().hex[:8]}"
    store.add(username, "officer", "DLHK", PASSWORD)
    store.close()
    return settings, username


class Api:
    """One run of the API with these settings, as a context: started, then stopped."""

    def __init__(self, settings, logs_dir, name: str) -> None:
        self.settings, self.logs_dir, self.name = settings, logs_dir, name

    def __enter__(self):
        self.process = start_api(self.settings, self.logs_dir, name=self.name)
        return self

    def __exit__(self, *exc) -> None:
        self.process.stop()


def submit(client: httpx.Client, marker: str) -> tuple[str, str]:
    answer = client.post("/api/v1/complaints", json={
        "category": "sampah-kebersihan", "regency": "17.71", "district": "17.71.02",
        "description": f"Sampah menumpuk di pinggir jalan sudah seminggu, kode {marker}."})
    assert answer.status_code == 202, answer.text
    return answer.json()["tracking_id"], answer.json()["secret"]


def sees_own_case(client: httpx.Client, case_id: str, kunci: str, marker: str) -> bool:
    """Does `kunci` open the citizen's own view of the case, on the JSON API and the tracking page alike?"""
    view = wait_for(lambda: (r := client.get(f"/api/v1/complaints/{case_id}", params={"kunci": kunci}))
                    .status_code == 200 and r, f"case {case_id}")
    page = client.get(f"/lacak/{case_id}", params={"kunci": kunci})
    assert page.status_code == 200
    owner = "description" in view.json()
    assert (marker in view.text) is owner and (marker in page.text) is owner
    return owner


def signed_in(pages: httpx.Client) -> bool:
    answer = pages.get(QUEUE)
    assert answer.status_code == 200 or answer.headers.get("location") == LOGIN, answer.status_code
    return answer.status_code == 200


def staff_cookie(settings, username: str, key: bytes) -> httpx.Client:
    """A browser holding a live page session's token in a cookie signed with `key`."""
    store = AccountStore.from_settings(settings)
    try:
        token = store.open_session(username, settings.staff_token_ttl_s)
    finally:
        store.close()
    cookie = session_cookie(settings, {"staff_session": token, "csrf": "c" * 43}, key=key)
    return httpx.Client(base_url=settings.base_url, timeout=30, cookies={"aduan_session": cookie})


def rotate(settings, *args: str) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "aduan.cli", "keys", "rotate", *args], env=settings_env(settings),
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done


def test_rotation_keeps_sessions_and_case_links_valid_and_refuses_unrelated_keys(keyed, logs_dir):
    settings, username = keyed
    path = settings.secret_key_file
    marker, new_marker = search_marker(), search_marker()
    client = httpx.Client(base_url=settings.base_url, timeout=30)
    pages = httpx.Client(base_url=settings.base_url, timeout=30)  # an officer's browser
    citizen = httpx.Client(base_url=settings.base_url, timeout=30)  # a citizen's, with the form open

    with Api(settings, logs_dir, "api-keys-first"):
        first_root, *none = read_key_file(path)  # made by the API at its start
        assert not none
        assert sign_in(pages, username, PASSWORD).status_code == 303 and signed_in(pages)
        form_csrf = csrf_of(citizen.get("/").text)
        case_id, kunci = submit(client, marker)
        assert kunci == citizen_secret(KeyRing(first_root).purpose_key(Purpose.CASE_SECRET), case_id)
        assert sees_own_case(client, case_id, kunci, marker)
        # Legacy: a link and a page session made before purpose keys, with the root itself.
        legacy_kunci = citizen_secret(first_root, case_id)
        assert sees_own_case(client, case_id, legacy_kunci, marker)
        legacy_pages = staff_cookie(settings, username, first_root)
        assert signed_in(legacy_pages)

    rotated = rotate(settings)
    assert "restart every API process" in rotated.stdout and first_root.decode() not in rotated.stdout
    second_root, *previous = read_key_file(path)
    assert previous == [first_root]

    with Api(settings, logs_dir, "api-keys-rotated"):
        assert signed_in(pages)  # the officer's session of before the rotation
        for old in (kunci, legacy_kunci):
            assert sees_own_case(client, case_id, old, marker)
        # The citizen's form, opened before the rotation, is still accepted: its CSRF token is in the session.
        sent = citizen.post("/", data={"csrf": form_csrf, "category": "sampah-kebersihan", "location": "17.71.02",
                                       "description": f"Sampah di depan sekolah belum diangkut, kode {new_marker}.",
                                       "client_request_id": uuid.uuid4().hex})
        assert sent.status_code == 303, sent.text
        new_case, new_kunci = sent.headers["location"].removeprefix("/lacak/").split("?kunci=")
        assert new_kunci == citizen_secret(KeyRing(second_root).purpose_key(Purpose.CASE_SECRET), new_case)
        assert sees_own_case(client, new_case, new_kunci, new_marker)
        assert citizen.get(sent.headers["location"]).status_code == 200
        # An unrelated key opens nothing: neither a case link nor a cookie holding a live session's token.
        for forged in (citizen_secret(UNRELATED.purpose_key(Purpose.CASE_SECRET), case_id),
                       citizen_secret(UNRELATED.root, case_id), "kunci-palsu-sama-panjangnya-22"):
            assert not sees_own_case(client, case_id, forged, marker)
        for key in (UNRELATED.purpose_key(Purpose.SESSION), UNRELATED.root):
            with staff_cookie(settings, username, key) as forged_pages:
                assert not signed_in(forged_pages)
        with staff_cookie(settings, username, KeyRing(second_root).purpose_key(Purpose.SESSION)) as current:
            assert signed_in(current)

    # The root moves into the environment (as on a cluster): a new ADUAN_SECRET_KEY, the file's roots listed
    # as previous ones.
    from_env = settings.model_copy(update={
        "secret_key": SecretStr(new_root()),
        "previous_secret_keys": SecretStr(",".join(r.decode() for r in read_key_file(path)))})
    with Api(from_env, logs_dir, "api-keys-environment"):
        assert signed_in(pages) and signed_in(legacy_pages)
        assert sees_own_case(client, case_id, kunci, marker) and sees_own_case(client, case_id, legacy_kunci, marker)
        assert sees_own_case(client, new_case, new_kunci, new_marker)

    # Once a root is no longer listed, nothing it signed is accepted.
    dropped = from_env.model_copy(update={"previous_secret_keys": SecretStr(second_root.decode())})
    with Api(dropped, logs_dir, "api-keys-dropped"):
        assert not signed_in(pages) and not signed_in(legacy_pages)
        assert not sees_own_case(client, case_id, kunci, marker)
        assert not sees_own_case(client, case_id, legacy_kunci, marker)
        assert sees_own_case(client, new_case, new_kunci, new_marker)  # made under the root still listed

    for browser in (client, pages, citizen, legacy_pages):
        browser.close()
