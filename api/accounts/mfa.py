"""The second factor of staff sign-in: TOTP (RFC 6238, through pyotp) and single-use recovery codes.

A TOTP code is accepted once: the store keeps the last time step an account used, and only a later step
passes, so a code seen over someone's shoulder cannot be replayed in its 30 seconds. One step of clock drift
either way is allowed. Recovery codes are random (60 bits each) and kept only as SHA-256 hashes, as the
session tokens are: at that entropy a slow hash adds nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

import pyotp

MFA_ROLES = ("coordinator", "admin")  # these roles cannot sign in without a second factor
ISSUER = "Aduan"
RECOVERY_CODES = 10
DRIFT_STEPS = 1
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread


def new_secret() -> str:
    return pyotp.random_base32(32)  # 160 bits, as RFC 4226 recommends


def provisioning_uri(secret: str, username: str, issuer: str = ISSUER) -> str:
    """The `otpauth://` URI an authenticator app takes (typed in, or as a QR code)."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=issuer)


def code_now(secret: str, now: datetime) -> str:
    return pyotp.TOTP(secret).at(now)


def matching_step(secret: str, code: str, now: datetime, after_step: int | None) -> int | None:
    """The time step whose code `code` is (now, or one step either side), if later than `after_step`."""
    code = (code or "").strip().replace(" ", "")
    if not (code.isascii() and code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if (after_step is None or step > after_step) and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def new_recovery_codes(count: int = RECOVERY_CODES) -> list[str]:
    """`count` codes such as `k7mq-2xha-pw9d`."""
    return ["-".join("".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(4)) for _ in range(3))
            for _ in range(count)]


def looks_like_recovery_code(code: str) -> bool:
    return len(normalise_recovery_code(code)) == 12


def normalise_recovery_code(code: str) -> str:
    return "".join(c for c in (code or "").strip().lower() if c.isascii() and c.isalnum())


def recovery_code_hash(code: str) -> str:
    return hashlib.sha256(f"recovery/{normalise_recovery_code(code)}".encode()).hexdigest()
