"""The password policy: long enough, not common, not the username (after NIST SP 800-63B).

No composition rules (digits, symbols): they make passwords harder to remember, not harder to guess.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

MIN_LENGTH = 8
MAX_LENGTH = 128
COMMON_FILE = Path(__file__).with_name("common_passwords.txt")


class WeakPassword(ValueError):
    """The password breaks the policy; the message says why, in Bahasa Indonesia and English."""


@cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def check_password(password: str, username: str = "") -> None:
    """Raise WeakPassword if `password` may not be used by `username`."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"Kata sandi minimal {MIN_LENGTH} karakter / "
                           f"the password must have at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"Kata sandi maksimal {MAX_LENGTH} karakter / "
                           f"the password must have at most {MAX_LENGTH} characters")
    if username and password.strip().lower() == username.strip().lower():
        raise WeakPassword("Kata sandi tidak boleh sama dengan nama pengguna / "
                           "the password must not be the username")
    if password.strip().lower() in common_passwords():
        raise WeakPassword("Kata sandi ini terlalu umum dan mudah ditebak; pilih yang lain / "
                           "this password is too common and easy to guess; choose another")
