"""The web settings' defaults: cookies `Secure` unless the API listens on loopback only; the host names
answered, from the public URL."""

from __future__ import annotations

import pytest

from config.settings import Settings, listens_on_loopback_only


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("127.0.0.2", True), ("::1", True), ("[::1]", True), ("localhost", True),
    ("0.0.0.0", False), ("::", False), ("10.0.0.5", False), ("api.example.org", False),  # noqa: S104
])
def test_loopback_only(host, loopback):
    assert listens_on_loopback_only(host) is loopback


def test_cookies_are_secure_by_default_except_on_loopback_and_the_setting_wins():
    assert Settings(api_host="0.0.0.0", cookie_secure=None).secure_cookies  # noqa: S104
    assert not Settings(api_host="127.0.0.1", cookie_secure=None).secure_cookies
    assert not Settings(api_host="0.0.0.0", cookie_secure=False).secure_cookies  # noqa: S104
    assert Settings(api_host="127.0.0.1", cookie_secure=True).secure_cookies


def test_the_host_names_answered_come_from_the_public_url_unless_named():
    assert Settings(public_url="https://aduan.bengkuluprov.go.id", allowed_hosts="").trusted_hosts == [
        "127.0.0.1", "aduan.bengkuluprov.go.id", "localhost"]
    assert Settings(allowed_hosts="a.example, b.example").trusted_hosts == ["a.example", "b.example"]
    assert Settings(allowed_hosts="*").trusted_hosts == ["*"]
